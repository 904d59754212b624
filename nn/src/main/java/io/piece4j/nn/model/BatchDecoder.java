package io.piece4j.nn.model;

import io.piece4j.nn.LlamaConfig;
import io.piece4j.tensor.Autograd;
import io.piece4j.tensor.Tensor;
import io.piece4j.tensor.ops.Attention;
import io.piece4j.tensor.ops.Elementwise;
import io.piece4j.tensor.ops.Embedding;
import io.piece4j.tensor.ops.RmsNorm;
import io.piece4j.tensor.ops.Rope;
import io.piece4j.tensor.ops.SwiGlu;
import io.piece4j.tensor.spi.Backend;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static io.piece4j.tensor.ops.MatMul.linear;

/**
 * Greedy decoding of many prompts together, for evaluation: every weight matrix is read once per step for
 * the whole group instead of once per sequence. Prompts are right-padded and prefilled in one causal
 * forward pass (a real token never attends to the padding after it, and every prompt starts at position 0,
 * so RoPE positions stay right); each sequence then continues from its own length with its own KV cache
 * rows. Attention and RoPE run per sequence, at its own position; the matrix products run on the group.
 *
 * <p>Per sequence the result is what {@link io.piece4j.nn.generate.Generator} gives with a greedy sampler
 * (tested); on backends whose matrix products sum in another order for another number of rows, a near-tie
 * between two tokens may resolve differently.
 */
public final class BatchDecoder {
    private BatchDecoder() {}

    /**
     * The greedy continuation of each prompt (without the prompt): at most maxNewTokens tokens, stopping
     * before a BOS or EOS, and never past the model's context.
     *
     * @param prompts each starts with BOS; none may be empty or longer than the context
     * @param group   sequences decoded together
     */
    public static List<int[]> greedy(LlamaModel model, List<int[]> prompts, int maxNewTokens, int bos, int eos, int group) {
        int[] budgets = new int[prompts.size()];
        Arrays.fill(budgets, maxNewTokens);
        return greedy(model, prompts, budgets, bos, eos, group);
    }

    /** As above, with a token budget of its own for each prompt. */
    public static List<int[]> greedy(LlamaModel model, List<int[]> prompts, int[] maxNewTokens, int bos, int eos, int group) {
        if (group < 1) throw new IllegalArgumentException("group must be >= 1, got " + group);
        if (maxNewTokens.length != prompts.size()) throw new IllegalArgumentException(maxNewTokens.length + " budgets for " + prompts.size() + " prompts");
        List<int[]> out = new ArrayList<>(prompts.size());
        try (var s = Autograd.noGrad()) {
            for (int start = 0; start < prompts.size(); start += group) {
                int end = Math.min(prompts.size(), start + group);
                out.addAll(decodeGroup(model, prompts.subList(start, end), Arrays.copyOfRange(maxNewTokens, start, end), bos, eos));
            }
        }
        return out;
    }

    private static List<int[]> decodeGroup(LlamaModel model, List<int[]> prompts, int[] budget, int bos, int eos) {
        LlamaConfig c = model.config();
        Backend be = model.backend();
        int b = prompts.size(), h = c.heads(), kv = c.kvHeads(), hd = c.headDim(), kvDim = c.kvDim();
        float eps = c.normEps();
        int[] len = new int[b];
        int longest = 0, reach = 0;
        for (int i = 0; i < b; i++) {
            len[i] = prompts.get(i).length;
            if (len[i] == 0 || len[i] > c.maxSeqLen()) {
                throw new IllegalArgumentException("prompt " + i + " has " + len[i] + " tokens: expected 1.." + c.maxSeqLen());
            }
            if (budget[i] < 0) throw new IllegalArgumentException("a token budget must be >= 0, got " + budget[i]);
            longest = Math.max(longest, len[i]);
            reach = Math.max(reach, len[i] + budget[i]);
        }
        int cap = Math.min(c.maxSeqLen(), Math.max(longest, reach)); // KV rows per sequence
        Tensor[] keys = new Tensor[c.layers()], values = new Tensor[c.layers()]; // per layer (b * cap, kvDim)
        for (int l = 0; l < c.layers(); l++) {
            keys[l] = Tensor.zeros(be, b * cap, kvDim);
            values[l] = Tensor.zeros(be, b * cap, kvDim);
        }

        // prefill: (b, longest), right-padded with id 0
        int[] tokens = new int[b * longest];
        for (int i = 0; i < b; i++) System.arraycopy(prompts.get(i), 0, tokens, i * longest, len[i]);
        Tensor x = Embedding.lookup(model.tokEmbeddings(), tokens);                                  // (b*T, C)
        for (int l = 0; l < c.layers(); l++) {
            LlamaModel.Block blk = model.blocks().get(l);
            Tensor n = RmsNorm.rmsnorm(x, blk.attnNorm(), eps);
            Tensor q = Rope.rope(linear(n, blk.wq()).reshape(b, longest, h, hd), model.ropeTable(), 0, model.ropeLayout());
            Tensor k = Rope.rope(linear(n, blk.wk()).reshape(b, longest, kv, hd), model.ropeTable(), 0, model.ropeLayout());
            Tensor v = linear(n, blk.wv()).reshape(b, longest, kv, hd);
            Tensor kRows = k.reshape(b * longest, kvDim), vRows = v.reshape(b * longest, kvDim);
            for (int i = 0; i < b; i++) {
                int keep = Math.min(longest, cap);
                keys[l].rowsNoGrad(i * cap, keep).copyFrom(kRows.rowsNoGrad(i * longest, keep));
                values[l].rowsNoGrad(i * cap, keep).copyFrom(vRows.rowsNoGrad(i * longest, keep));
            }
            Tensor att = Attention.causal(q, k, v).reshape(b * longest, h * hd);
            x = Elementwise.add(x, linear(att, blk.wo()));
            Tensor m = RmsNorm.rmsnorm(x, blk.mlpNorm(), eps);
            x = Elementwise.add(x, linear(SwiGlu.swiglu(linear(m, blk.wGate()), linear(m, blk.wUp())), blk.wDown()));
        }
        Tensor last = Tensor.zeros(be, b, c.dim());                                                   // (b, C)
        for (int i = 0; i < b; i++) last.rowsNoGrad(i, 1).copyFrom(x.rowsNoGrad(i * longest + len[i] - 1, 1));
        float[] logits = head(model, last);                                                            // (b, V)

        int[][] generated = new int[b][];
        for (int i = 0; i < b; i++) generated[i] = new int[budget[i]];
        int[] count = new int[b];
        boolean[] done = new boolean[b];
        int vocab = c.vocabSize();
        int[] active = new int[b];
        for (int step = 0; ; step++) {
            // pick each active sequence's next token from its row of logits
            int a = 0;
            int row = 0;
            for (int i = 0; i < b; i++) {
                if (done[i]) continue;
                int next = argmax(logits, row++ * vocab, vocab);
                if (next == bos || next == eos || count[i] >= budget[i] || len[i] + count[i] >= cap) { done[i] = true; continue; }
                generated[i][count[i]++] = next;
                if (count[i] >= budget[i] || len[i] + count[i] >= cap) { done[i] = true; continue; }
                active[a++] = i;
            }
            if (a == 0) break;
            int[] ids = new int[a];
            for (int j = 0; j < a; j++) ids[j] = generated[active[j]][count[active[j]] - 1];
            x = Embedding.lookup(model.tokEmbeddings(), ids);                                         // (a, C)
            for (int l = 0; l < c.layers(); l++) {
                LlamaModel.Block blk = model.blocks().get(l);
                Tensor n = RmsNorm.rmsnorm(x, blk.attnNorm(), eps);
                Tensor q = linear(n, blk.wq()), k = linear(n, blk.wk()), v = linear(n, blk.wv());  // (a, H*D), (a, KV*D) x2
                Tensor att = Tensor.zeros(be, a, h * hd);
                for (int j = 0; j < a; j++) {
                    int i = active[j], pos = len[i] + count[i] - 1;                                    // position of the token fed
                    Tensor qi = Rope.rope(q.rowsNoGrad(j, 1).reshape(1, 1, h, hd), model.ropeTable(), pos, model.ropeLayout());
                    Tensor ki = Rope.rope(k.rowsNoGrad(j, 1).reshape(1, 1, kv, hd), model.ropeTable(), pos, model.ropeLayout());
                    keys[l].rowsNoGrad(i * cap + pos, 1).copyFrom(ki);
                    values[l].rowsNoGrad(i * cap + pos, 1).copyFrom(v.rowsNoGrad(j, 1));
                    be.attention(qi, keys[l].rowsNoGrad(i * cap, cap), values[l].rowsNoGrad(i * cap, cap), att.rowsNoGrad(j, 1), null,
                            1, 1, pos + 1, cap, h, kv, hd);
                }
                x = Elementwise.add(x, linear(att, blk.wo()));
                Tensor m = RmsNorm.rmsnorm(x, blk.mlpNorm(), eps);
                x = Elementwise.add(x, linear(SwiGlu.swiglu(linear(m, blk.wGate()), linear(m, blk.wUp())), blk.wDown()));
            }
            logits = head(model, x);
        }
        List<int[]> out = new ArrayList<>(b);
        for (int i = 0; i < b; i++) out.add(Arrays.copyOf(generated[i], count[i]));
        return out;
    }

    /** Final norm and output head: (rows, C) -> (rows, V) logits. */
    private static float[] head(LlamaModel model, Tensor x) {
        return linear(RmsNorm.rmsnorm(x, model.finalNorm(), model.config().normEps()), model.outputHead()).toArray();
    }

    /** The lowest index of the largest value in [from, from + n). */
    private static int argmax(float[] v, int from, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) if (v[from + i] > v[from + best]) best = i;
        return best;
    }
}
