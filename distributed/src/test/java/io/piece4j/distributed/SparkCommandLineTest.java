package io.piece4j.distributed;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.piece4j.cli.PieceCli;
import io.piece4j.nn.model.ModelFiles;
import io.piece4j.piece.MaskFile;
import io.piece4j.tensor.cpu.RefBackend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The commands with --spark, run in-process as the launcher runs them. */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class SparkCommandLineTest {
    /** Runs `piece args...`; returns the exit code and what went to stderr. */
    private static Object[] run(String... args) {
        StringWriter err = new StringWriter();
        CommandLine cl = PieceCli.commandLine();
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new Object[] {code, err.toString()};
    }

    @Test
    void anUnreachableMasterFailsAtOnceWithOneLineAndWritesNothing() throws Exception {
        SparkFixture f = SparkFixture.shared();
        int port;
        try (ServerSocket s = new ServerSocket(0)) { port = s.getLocalPort(); } // closed again: nothing listens there
        Path out = f.dir.resolve("unreachable");
        long t0 = System.nanoTime();
        Object[] r = run("continual", "--model", f.model.toString(), "--tokenizer", "byte", "--suite", f.suite.toString(), "--out", out.toString(),
                "--methods", "piece-s", "--spark", "spark://127.0.0.1:" + port);
        double secs = (System.nanoTime() - t0) / 1e9;
        String err = ((String) r[1]).strip();
        assertEquals(2, r[0], "exit code; stderr: " + err);
        assertEquals(1, err.lines().count(), "one line: " + err);
        assertTrue(err.startsWith("piece continual: --spark spark://127.0.0.1:" + port + ": no Spark master answers at 127.0.0.1:" + port), err);
        assertTrue(secs < MasterAddress.CONNECT_TIMEOUT_MS / 1000.0 + 30, "reported in " + secs + " s, not after Spark's minute of retries");
        assertFalse(Files.exists(out), "nothing written");
    }

    @Test
    void importanceWithOneLeafOnSparkWritesTheLocalMask() throws Exception {
        SparkFixture f = SparkFixture.shared();
        Path task = f.suite.getParent().resolve("reverse/train.jsonl");
        Path local = f.dir.resolve("cli-local.mask"), spark = f.dir.resolve("cli-spark.mask");
        String[] common = {"importance", "--model", f.model.toString(), "--tokenizer", "byte", "--data", task.toString(), "--ratio", "0.02",
                "--backend", "simd", "--threads", "1"};
        Object[] a = run(concat(common, "--out", local.toString()));
        assertEquals(0, a[0], (String) a[1]);
        Object[] b = run(concat(common, "--out", spark.toString(), "--spark", "local[2]", "--spark-leaves", "1"));
        assertEquals(0, b[0], (String) b[1]);
        assertArrayEquals(MaskFile.read(local).indices(), MaskFile.read(spark).indices(), "the mask from one leaf equals the local pass's");
        JsonNode record = new ObjectMapper().readTree(Path.of(spark + ".json").toFile());
        assertEquals("local[2]", record.get("spark").asText(), "the run record names the master");
    }

    @Test
    void trainOnSparkEqualsLocalTrainingAndRecordsTheExchange() throws Exception {
        SparkFixture f = SparkFixture.shared();
        Path task = f.suite.getParent().resolve("reverse/train.jsonl");
        Path mask = f.dir.resolve("cli-train.mask");
        Object[] m = run("importance", "--model", f.model.toString(), "--tokenizer", "byte", "--data", task.toString(), "--ratio", "0.02",
                "--backend", "simd", "--threads", "1", "--out", mask.toString());
        assertEquals(0, m[0], (String) m[1]);
        Path local = f.dir.resolve("cli-local.safetensors"), spark = f.dir.resolve("cli-spark.safetensors");
        String[] common = {"train", "--model", f.model.toString(), "--tokenizer", "byte", "--data", task.toString(), "--mask", mask.toString(),
                "--epochs", "1", "--lr", "1e-2", "--batch", "2", "--accumulation", "2", "--backend", "simd", "--threads", "1"};
        Object[] a = run(concat(common, "--out", local.toString()));
        assertEquals(0, a[0], (String) a[1]);
        Object[] b = run(concat(common, "--out", spark.toString(), "--spark", "local[2]"));
        assertEquals(0, b[0], (String) b[1]);
        assertArrayEquals(ModelFiles.load(local, new RefBackend()).parameters().toArray(), ModelFiles.load(spark, new RefBackend()).parameters().toArray(),
                "the model trained on Spark equals the one trained here");
        JsonNode x = new ObjectMapper().readTree(Path.of(spark + ".json").toFile()).get("exchange");
        long k = MaskFile.read(mask).size();
        assertEquals(k, x.get("k").asLong());
        assertEquals(4 * k * x.get("shard_tasks").asLong(), x.get("value_bytes_down").asLong(), "k float32 down per shard");
        assertTrue(x.get("bytes_per_step").asDouble() < x.get("dense_allreduce_bytes_per_step").asDouble() / 10, x.toString());
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
