package io.piece4j.distributed;

import io.piece4j.cli.TokenizerSource;
import io.piece4j.nn.tokenizer.Tokenizer;
import io.piece4j.piece.continual.ContinualRun;
import io.piece4j.piece.continual.ContinualSettings;
import io.piece4j.piece.continual.JsonFiles;
import io.piece4j.piece.continual.Probe;
import io.piece4j.piece.continual.Suite;
import io.piece4j.piece.continual.TaskFileProbe;
import io.piece4j.piece.continual.metrics.TaskMetric;
import io.piece4j.piece.data.TaskRecord;
import org.apache.spark.api.java.JavaSparkContext;

import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Everything an executor needs to rebuild a continual invocation's {@link ContinualRun.Spec}: the base model and
 * tokenizer files, the suite and settings as JSON, and the lists that name the variants. The same spec on
 * every executor gives each run the numbers the local runner gives it.
 *
 * @param files          the base model and, if it has one, the tokenizer file
 * @param modelName      the model's name in files
 * @param tokenizer      "byte", the tokenizer's name in files ("tokenizer/NAME"), or null: the model's own vocabulary
 * @param suiteJson      the suite, read and checked on the driver
 * @param settingsJson   the ContinualSettings
 * @param probes         the extra probes (task files)
 * @param runRoot        the folder holding runs/VARIANT/seed-S on a shared file system, or null: the executor's scratch
 * @param key            names this invocation's run folders (a digest of all of the above and the output folder)
 */
public record SweepInputs(ShippedFiles files, String modelName, String tokenizer, byte[] suiteJson, byte[] settingsJson,
                          List<String> methods, List<Long> seeds, List<Double> ratios, List<Float> lrSweep, HashMap<String, String> methodSettings,
                          List<ProbeData> probes, boolean keepTaskModels, String backend, int threads, String runRoot, String key)
        implements Serializable {

    /** A task-file probe as data: rebuilt with the executor's tokenizer. */
    public record ProbeData(String file, byte[] recordsJson, String metric, int maxNewTokens) implements Serializable {}

    public static SweepInputs of(JavaSparkContext sc, ContinualRun.Spec spec, TokenizerSource tokenizer, String backend, int threads,
                                 Path shared) throws IOException {
        Map<String, Path> files = new LinkedHashMap<>(ModelShipment.filesOf(spec.baseModel()));
        String tok;
        if (TokenizerSource.BYTE.equals(tokenizer.option())) tok = TokenizerSource.BYTE;
        else {
            Path f = tokenizer.file(spec.baseModel());
            tok = f == null ? null : "tokenizer/" + f.getFileName();
            if (f != null) files.put(tok, f);
        }
        byte[] suite = JsonFiles.MAPPER.writeValueAsBytes(spec.suite());
        if (!Objects.equals(JsonFiles.MAPPER.readValue(suite, Suite.class), spec.suite())) {
            throw new IllegalStateException("suite " + spec.suite().name() + " does not read back equal from JSON; it cannot be shipped to executors");
        }
        byte[] settings = JsonFiles.MAPPER.writeValueAsBytes(spec.settings());
        List<ProbeData> probes = new ArrayList<>();
        for (Probe p : spec.extraProbes()) {
            if (!(p instanceof TaskFileProbe t)) {
                throw new IllegalArgumentException("probe " + p.name() + " (" + p.getClass().getSimpleName() + ") cannot be rebuilt on executors: "
                        + "only task-file probes (--probe FILE) can");
            }
            probes.add(new ProbeData(t.file().toString(), JsonFiles.MAPPER.writeValueAsBytes(t.records()), t.metric().name(), t.maxNewTokens()));
        }
        ShippedFiles shipped = ShippedFiles.of(sc, files, shared);
        String key = Digests.ofStrings(shipped.id(), String.valueOf(tok), new String(suite, java.nio.charset.StandardCharsets.UTF_8),
                new String(settings, java.nio.charset.StandardCharsets.UTF_8), spec.methods().toString(), spec.seeds().toString(),
                spec.ratios().toString(), spec.lrSweep().toString(), new java.util.TreeMap<>(spec.methodSettings()).toString(), probes.stream().map(ProbeData::file).toList().toString(),
                Arrays.toString(probes.stream().map(d -> Arrays.hashCode(d.recordsJson())).toArray()), String.valueOf(spec.keepTaskModels()),
                backend, spec.out().toAbsolutePath().normalize().toString());
        String runRoot = shared == null ? null : shared.toAbsolutePath().resolve("runs-" + key).toString();
        return new SweepInputs(shipped, spec.baseModel().getFileName().toString(), tok, suite, settings, List.copyOf(spec.methods()),
                List.copyOf(spec.seeds()), List.copyOf(spec.ratios()), List.copyOf(spec.lrSweep()), new HashMap<>(spec.methodSettings()), List.copyOf(probes),
                spec.keepTaskModels(), backend, threads, runRoot, key);
    }

    /** The folder whose runs/VARIANT/seed-S this machine's executors fill. */
    Path runRootHere() {
        return runRoot != null ? Path.of(runRoot) : ExecutorRuntime.scratch().resolve("sweep-" + key);
    }

    /** The spec as the driver has it, with this machine's copies of the files and run folder. */
    ContinualRun.Spec spec() throws IOException {
        Path inputs = files.folder();
        Path model = inputs.resolve(modelName);
        Tokenizer tok = new TokenizerSource(tokenizer == null || tokenizer.equals(TokenizerSource.BYTE) ? tokenizer
                : inputs.resolve(tokenizer).toString()).load(model);
        Suite suite = JsonFiles.MAPPER.readValue(suiteJson, Suite.class);
        ContinualSettings settings = JsonFiles.MAPPER.readValue(settingsJson, ContinualSettings.class);
        List<Probe> extra = new ArrayList<>();
        for (ProbeData p : probes) {
            TaskRecord[] records = JsonFiles.MAPPER.readValue(p.recordsJson(), TaskRecord[].class);
            extra.add(new TaskFileProbe(Path.of(p.file()), List.of(records), TaskMetric.valueOf(p.metric()), p.maxNewTokens(), tok));
        }
        return new ContinualRun.Spec(model, tok, suite, methods, seeds, ratios, lrSweep, settings, methodSettings, extra, runRootHere(), true,
                keepTaskModels);
    }
}
