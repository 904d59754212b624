package io.piece4j.cli;

import io.piece4j.nn.LlamaConfig;
import io.piece4j.nn.format.Checkpoint;
import io.piece4j.nn.format.CheckpointTensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;

/** Prints what a model file holds: format, config, parameter count and the tensor table. */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = "Show a model file's format, config, parameter count and tensors (llama2.c .bin, safetensors, GGUF).")
final class InspectCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "MODEL") Path model;

    @Override
    public Integer call() throws Exception {
        try (Checkpoint c = Checkpoint.open(model)) {
            LlamaConfig k = c.config();
            System.out.println("file:       " + model);
            System.out.println("format:     " + c.format());
            System.out.printf("config:     dim %d, layers %d, heads %d, kv heads %d, head dim %d, hidden %d, vocab %d, max seq %d%n",
                    k.dim(), k.layers(), k.heads(), k.kvHeads(), k.headDim(), k.hiddenDim(), k.vocabSize(), k.maxSeqLen());
            System.out.printf("            norm eps %g, rope theta %g, rope layout %s%s, output head %s%n", k.normEps(), k.ropeTheta(),
                    k.ropeLayout(), k.ropeScaling() == null ? "" : ", rope scaling " + k.ropeScaling(), k.tiedEmbeddings() ? "tied" : "untied");
            System.out.printf("parameters: %,d%n", k.parameterCount());
            c.vocabulary().ifPresent(v -> System.out.println("tokenizer:  embedded " + v.model() + " vocabulary of " + v.tokens().length + " tokens"));
            System.out.println();
            System.out.println("| tensor | shape | stored as | elements |");
            System.out.println("|---|---|---|---:|");
            for (CheckpointTensor t : c.tensors()) {
                System.out.printf("| %s | %s | %s | %,d |%n", t.name(), Arrays.toString(t.shape()), t.sourceType(), t.numel());
            }
        }
        return 0;
    }
}
