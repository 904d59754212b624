package io.piece4j.cli;

import io.piece4j.nn.generate.Generator;
import io.piece4j.nn.generate.Sampler;
import io.piece4j.nn.model.LlamaModel;
import io.piece4j.nn.tokenizer.Tokenizer;
import io.piece4j.tensor.spi.Backend;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.Callable;
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
    @Option(names = "--ids", description = "print the whole sequence (prompt then generated) as token ids on one line, and nothing else")
    boolean printIds;

    @Override
    public Integer call() throws Exception {
        try (Backend be = options.backend()) {
            LlamaModel model = options.load(be);
            Tokenizer tok = prompt.ids == null || !printIds ? options.tokenizer() : null;
            int[] promptIds = prompt.ids != null ? prompt.ids : tok.encode(prompt.text, true, false);
            int bos = tok != null ? tok.bosId() : 1, eos = tok != null ? tok.eosId() : 2;
            Sampler sampler = new Sampler(temperature, topP, topK, seed);
            PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
            if (printIds) {
                int[] seq = Generator.generate(model, promptIds, maxTokens, sampler, bos, eos, null);
                out.println(Arrays.stream(seq).mapToObj(Integer::toString).collect(Collectors.joining(" ")));
                return 0;
            }
            // stream raw UTF-8 bytes: a byte-fallback token may hold part of a character
            for (int i = 0; i < promptIds.length; i++) out.write(tok.tokenBytes(i == 0 ? -1 : promptIds[i - 1], promptIds[i]));
            int[] prev = {promptIds[promptIds.length - 1]};
            long t0 = System.nanoTime();
            int[] seq = Generator.generate(model, promptIds, maxTokens, sampler, bos, eos, id -> {
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
}
