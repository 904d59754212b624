package io.piece4j.cli;

import io.piece4j.nn.generate.Generator;
import io.piece4j.nn.generate.Sampler;
import io.piece4j.nn.format.Checkpoint;
import io.piece4j.nn.model.DecodingPrecision;
import io.piece4j.nn.model.DecodingWeights;
import io.piece4j.nn.model.KvCache;
import io.piece4j.nn.model.LlamaModel;
import io.piece4j.nn.model.PackedDecoder;
import io.piece4j.nn.model.TokenDecoder;
import io.piece4j.nn.tokenizer.Tokenizer;
import io.piece4j.tensor.spi.Backend;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/** Text or token-id generation with a KV cache. */
@Command(name = "generate", mixinStandardHelpOptions = true, description = "Generate text from a prompt (greedy at temperature 0).")
final class GenerateCommand implements Callable<Integer> {
    @Mixin ModelOptions options;

    static final class Prompt {
        @Option(names = "--prompt", description = "prompt text (BOS is prepended)") String text;
        @Option(names = "--prompt-ids", split = ",", description = "prompt as token ids, e.g. 1,259,82 (used as given)") int[] ids;
    }

    @ArgGroup(exclusive = true, multiplicity = "1") Prompt prompt;
    @Option(names = "--max-tokens", paramLabel = "N", defaultValue = "256",
            description = "length of the whole sequence: prompt (with its BOS) plus generated tokens, at most the model's max_seq_len;"
                    + " generation stops earlier at BOS or EOS. llama2.c's -n N yields N tokens after BOS: --max-tokens N+1 here")
    int maxTokens;
    @Option(names = "--temperature", defaultValue = "0", description = "0 = greedy") float temperature;
    @Option(names = "--top-p", defaultValue = "1.0", description = "nucleus sampling threshold in (0, 1]") float topP;
    @Option(names = "--top-k", defaultValue = "0", description = "keep only the k most likely tokens (0 = all)") int topK;
    @Option(names = "--seed", defaultValue = "42") long seed;
    @Option(names = "--weights", paramLabel = "f32|bf16|q8", defaultValue = "f32",
            description = "how the decoder holds its weight matrices: f32 (the model as trained), bf16 (bfloat16), or q8 (GGUF's Q8_0:"
                    + " int8 in blocks of 32 with one scale); a GGUF file already in BF16 or Q8_0 is taken as stored")
    String weights;
    @Option(names = "--kv-cache", paramLabel = "f32|bf16", defaultValue = "f32", description = "how the KV cache holds keys and values")
    String kvCache;
    @Option(names = "--ids", description = "print the whole sequence (prompt then generated) as token ids on one line, and nothing else")
    boolean printIds;

    @Override
    public Integer call() throws Exception {
        DecodingPrecision weightType = DecodingPrecision.parse("--weights", weights, DecodingPrecision.F32, DecodingPrecision.BF16, DecodingPrecision.Q8);
        DecodingPrecision cacheType = DecodingPrecision.parse("--kv-cache", kvCache, DecodingPrecision.F32, DecodingPrecision.BF16);
        try (Backend be = options.backend()) {
            Supplier<TokenDecoder> decoder = decoder(be, weightType, cacheType);
            Tokenizer tok = prompt.ids == null || !printIds ? options.tokenizer() : null;
            int[] promptIds = prompt.ids != null ? prompt.ids : tok.encode(prompt.text, true, false);
            int bos = tok != null ? tok.bosId() : 1, eos = tok != null ? tok.eosId() : 2;
            Sampler sampler = new Sampler(temperature, topP, topK, seed);
            PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
            if (printIds) {
                int[] seq = Generator.generate(decoder.get(), promptIds, maxTokens, sampler, bos, eos, null);
                out.println(Arrays.stream(seq).mapToObj(Integer::toString).collect(Collectors.joining(" ")));
                return 0;
            }
            // stream raw UTF-8 bytes: a byte-fallback token may hold part of a character
            for (int i = 0; i < promptIds.length; i++) out.write(tok.tokenBytes(i == 0 ? -1 : promptIds[i - 1], promptIds[i]));
            int[] prev = {promptIds[promptIds.length - 1]};
            long t0 = System.nanoTime();
            int[] seq = Generator.generate(decoder.get(), promptIds, maxTokens, sampler, bos, eos, id -> {
                byte[] b = tok.tokenBytes(prev[0], id);
                out.write(b, 0, b.length);
                out.flush();
                prev[0] = id;
            });
            double secs = (System.nanoTime() - t0) / 1e9;
            out.println();
            System.err.printf("%d tokens generated in %.2f s (%.1f tokens/s) on %s%n", seq.length - promptIds.length, secs,
                    (seq.length - promptIds.length) / secs, be.description());
        }
        return 0;
    }

    /**
     * Fresh decoders: with f32 weights and cache the model as training holds it (one flat float32 buffer) and
     * {@link KvCache}; otherwise {@link DecodingWeights} read straight from the file (no float32 model on the way)
     * and {@link PackedDecoder}.
     */
    private Supplier<TokenDecoder> decoder(Backend be, DecodingPrecision weightType, DecodingPrecision cacheType) throws IOException {
        if (weightType == DecodingPrecision.F32 && cacheType == DecodingPrecision.F32) {
            LlamaModel model = options.load(be);
            return () -> new KvCache(model);
        }
        DecodingWeights w;
        try (Checkpoint c = Checkpoint.open(options.model)) {
            w = DecodingWeights.of(c, weightType);
        }
        System.err.printf("weights %s (%.1f MB), KV cache %s%n", weightType.label(), w.byteSize() / 1e6, cacheType.label());
        return () -> new PackedDecoder(w, be, cacheType);
    }
}
