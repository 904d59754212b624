package io.piece4j.tests;

import io.piece4j.nn.generate.Generator;
import io.piece4j.nn.generate.Sampler;
import io.piece4j.nn.model.LlamaModel;
import io.piece4j.nn.tokenizer.ByteTokenizer;
import io.piece4j.piece.continual.TaskEvaluator;
import io.piece4j.piece.continual.metrics.TaskMetric;
import io.piece4j.piece.data.Batcher;
import io.piece4j.piece.data.Example;
import io.piece4j.piece.data.TaskRecord;
import io.piece4j.piece.data.TruncationSettings;
import io.piece4j.piece.train.Evaluation;
import io.piece4j.tensor.Backends;
import io.piece4j.tensor.Rng;
import io.piece4j.tensor.spi.Backend;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The evaluator reads greedy answers off one teacher-forced pass where the model follows the reference
 * and decodes only the rest; its predictions and answer loss equal plain one-at-a-time greedy decoding and
 * the plain loss pass.
 */
class TaskEvaluatorTest {
    @ParameterizedTest
    @ValueSource(strings = {"ref", "simd"})
    void predictionsAndLossEqualPlainDecodingAndThePlainLossPass(String backend) {
        try (Backend be = Backends.create(backend, 2)) {
            LlamaModel m = new LlamaModel(ContinualFixture.CONFIG, be);
            m.initRandom(21, 0.3f);
            // output rows of PAD, control bytes and non-ASCII bytes set to zero: their logits are 0, so greedy
            // continuations are mostly printable ASCII (or end), and answers can be written as text
            var out = m.layout().get("output");
            int dim = m.config().dim();
            for (int id = 0; id < m.config().vocabSize(); id++) {
                boolean printable = id >= 3 + 32 && id < 3 + 127;
                if (!printable && id != 2) m.parameters().rowsNoGrad((int) out.offset() + id * dim, dim).copyFrom(new float[dim]);
            }
            ByteTokenizer tok = new ByteTokenizer();
            Rng rng = new Rng(4);
            int maxNew = 7;
            List<TaskRecord> records = new ArrayList<>();
            int followed = 0;
            for (int i = 0; i < 24; i++) {
                String prompt = "q" + i + " " + "abcdefghij".substring(0, 1 + rng.nextInt(9)) + "=";
                int[] ids = promptIds(tok, prompt);
                int[] seq = Generator.generate(m, ids, ids.length + maxNew, Sampler.greedy(), tok.bosId(), tok.eosId(), null);
                int[] own = Arrays.copyOfRange(seq, ids.length, seq.length);
                String greedy = new String(bytesOf(own), java.nio.charset.StandardCharsets.ISO_8859_1);
                boolean ascii = greedy.chars().allMatch(c -> c < 128) && !greedy.isEmpty();
                String answer = switch (i % 3) {
                    case 0 -> ascii ? greedy : "x";                                     // the model's own answer: followed to its end
                    case 1 -> ascii && greedy.length() > 1 ? greedy.substring(0, greedy.length() - 1) + "#" : "yz"; // departs late
                    default -> "no";                                                    // departs at once
                };
                if (i % 3 == 0 && ascii) followed++;
                records.add(new TaskRecord(prompt, answer, i + 1));
            }
            assertTrue(followed >= 3, "the test needs answers the model follows to their end, got " + followed);
            TaskEvaluator ev = new TaskEvaluator(tok);
            for (int maxAnswer : new int[] {0, 2}) { // 2: the examples are cut, so every one takes the plain path
                TaskEvaluator.TaskScore s = ev.evaluate(m, records, TaskMetric.EXACT_MATCH, maxNew, 0, maxAnswer);
                List<String> plain = new ArrayList<>();
                for (TaskRecord r : records) {
                    int[] ids = promptIds(tok, r.prompt());
                    int[] seq = Generator.generate(m, ids, ids.length + maxNew, Sampler.greedy(), tok.bosId(), tok.eosId(), null);
                    plain.add(tok.decode(Arrays.copyOfRange(seq, ids.length, seq.length)));
                }
                assertEquals(plain, s.predictions(), backend + ", max answer " + maxAnswer + ": predictions");
                List<Example> ex = new ArrayList<>();
                for (TaskRecord r : records) ex.add(Example.of(r, tok, new TruncationSettings(0, maxAnswer, m.config().maxSeqLen())));
                assertEquals(Evaluation.answerLoss(m, Batcher.inOrder(ex, 8)), s.answerLoss(), 0.0, backend + ": answer loss");
                assertEquals(TaskMetric.EXACT_MATCH.score(plain, records.stream().map(TaskRecord::answer).toList()), s.score(), 0.0);
            }
        }
    }

    private static int[] promptIds(ByteTokenizer tok, String prompt) {
        int[] p = tok.encode(prompt, false, false);
        int[] ids = new int[p.length + 1];
        ids[0] = tok.bosId();
        System.arraycopy(p, 0, ids, 1, p.length);
        return ids;
    }

    private static byte[] bytesOf(int[] ids) {
        byte[] b = new byte[ids.length];
        for (int i = 0; i < ids.length; i++) b[i] = (byte) (ids[i] - 3);
        return b;
    }
}
