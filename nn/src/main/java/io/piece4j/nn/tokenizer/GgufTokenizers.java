package io.piece4j.nn.tokenizer;

import io.piece4j.nn.format.GgufReader;
import io.piece4j.nn.format.GgufTokenizer;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Tokenizer files in the form a GGUF model embeds them (the tokenizer.ggml.* keys llama.cpp reads), so a model
 * converted from llama2.c or safetensors carries its vocabulary:
 * <ul>
 *   <li>llama2.c tokenizer.bin: model "llama", its pieces with spaces written as "▁" and its scores;</li>
 *   <li>a Hugging Face tokenizer.json of the Llama 2 kind: model "llama", each token scored minus the rank of
 *       the first merge that makes it, so that merging by score (llama.cpp, SentencePiece) follows the merge
 *       list; of the GPT-2 / Llama 3 kind: model "gpt2" with its merges and llama.cpp's name for the split
 *       pattern in tokenizer.ggml.pre;</li>
 *   <li>a GGUF file: its vocabulary and all its other tokenizer.* keys.</li>
 * </ul>
 * Token types follow llama.cpp: the unknown piece 2, special tokens 3 (control), other added tokens 4 (user
 * defined), byte pieces {@code <0xHH>} 6, the rest 1.
 */
public final class GgufTokenizers {
    private GgufTokenizers() {}

    public static GgufTokenizer read(Path file) throws IOException {
        byte[] head;
        try (InputStream in = Files.newInputStream(file)) {
            head = in.readNBytes(4);
        }
        if (head.length == 4 && head[0] == 'G' && head[1] == 'G' && head[2] == 'U' && head[3] == 'F') return GgufReader.readTokenizer(file);
        byte[] bytes = Tokenizers.readBytes(file);
        if (Tokenizers.looksLikeJson(bytes)) return HuggingFaceTokenizerJson.ggufForm(bytes, file);
        return Llama2cTokenizerFile.ggufForm(bytes, file);
    }
}
