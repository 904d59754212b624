import io.piece4j.nn.LlamaConfig;
import io.piece4j.nn.generate.Sampler;
import io.piece4j.nn.model.KvCache;
import io.piece4j.nn.model.LlamaModel;
import io.piece4j.tensor.Autograd;
import io.piece4j.tensor.Backends;
import io.piece4j.tensor.Tensor;
import io.piece4j.tensor.ops.MatMul;
import io.piece4j.tensor.spi.Backend;

/**
 * Does batch-1 decoding follow the C streaming-read test when the test's figure moves? For SECONDS, over and over: the C
 * test (1 GiB, best of 3 passes, 2 threads), then 100 tokens of stories15M fp32 decoding in this JVM, then products of
 * one token with a (ROWS, 288) matrix alone, 37 MB in all (32000 rows, the output head's shape: part of it stays in a
 * 32 MB L3 from one product to the next) or more (256000 rows, 295 MB: nothing does). One line each: the C figure,
 * decoding as GB/s of weights (60.8 MB a token), the lone product's GB/s. Run from the repository root after
 * ./piece build and one `./piece bench compare --parts machine` (which builds the C test):
 *
 *   OMP_NUM_THREADS=2 java --add-modules jdk.incubator.vector -cp "bench/target/lib/*" \
 *       docs/performance/DecodingBesideStreamProbe.java ~/.cache/piece4j/bench-reference/stream_read 150 [ROWS]
 */
public class DecodingBesideStreamProbe {
    public static void main(String[] args) throws Exception {
        String streamRead = args[0];
        long seconds = Long.parseLong(args[1]);
        int rows = args.length > 2 ? Integer.parseInt(args[2]) : 32000;
        int products = Math.max(1, 100 * 32000 / rows); // about 3.7 GB read each time
        try (Backend be = Backends.create("simd", 0)) {
            LlamaConfig c = new LlamaConfig(288, 6, 6, 6, 48, 768, 32000, 256, 1e-5f, 10000f, true, LlamaConfig.RopeLayout.INTERLEAVED, null);
            LlamaModel m = new LlamaModel(c, be);
            m.initRandom(1, 0.02f);
            Tensor head = Tensor.zeros(be, rows, c.dim()), x = Tensor.zeros(be, 1, c.dim()); // (ROWS, C), (1, C)
            for (int i = 0; i < 3; i++) decode(m, 100); // JIT
            long end = System.nanoTime() + seconds * 1_000_000_000L;
            while (System.nanoTime() < end) {
                Process p = new ProcessBuilder(streamRead, "1024", "3").redirectErrorStream(true).start();
                String out = new String(p.getInputStream().readAllBytes());
                p.waitFor();
                String gbps = out.replaceAll("(?s).*\"best_gbps\":([0-9.]+).*", "$1").trim();
                long t0 = System.nanoTime();
                decode(m, 100);
                long t1 = System.nanoTime();
                try (var s = Autograd.noGrad()) {
                    for (int i = 0; i < products; i++) MatMul.linear(x, head);
                }
                long t2 = System.nanoTime();
                System.out.printf("C %s GB/s | decode %.0f us/tok = %.1f GB/s | product alone %.1f GB/s%n", gbps, (t1 - t0) / 100e3,
                        60.77e6 / ((t1 - t0) / 100.0), 4.0 * head.size() * products / (t2 - t1));
            }
        }
    }

    private static void decode(LlamaModel m, int n) {
        KvCache cache = new KvCache(m);
        int token = 1;
        for (int i = 0; i < n; i++) token = Sampler.argmax(cache.forward(token));
    }
}
