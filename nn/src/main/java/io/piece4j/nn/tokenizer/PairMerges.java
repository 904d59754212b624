package io.piece4j.nn.tokenizer;

import java.util.Arrays;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * The merge rules of a BPE vocabulary and the merge loop itself, shared by both BPE kinds: a pair of
 * adjacent tokens (left, right) may become one token, and among all pairs present the one with the lowest
 * priority goes first, the leftmost on a tie. Priority is a merge-list rank (tokenizer.json, GGUF gpt2) or
 * minus the merged piece's score (llama2.c, GGUF llama), where the highest score goes first.
 *
 * <p>The loop keeps the symbols as a linked list over their first positions and the candidate pairs in a
 * priority queue; a merge re-offers only its two new neighbours and stale candidates are dropped when
 * polled, so a word of n symbols costs O(n log n), not the O(n^2) of rescanning for the best pair.
 */
final class PairMerges {
    /** A pair that was adjacent when offered; still valid when polled if the same two ids still meet at left. */
    private record Candidate(int left, int leftId, int rightId, int merged, double priority) {}

    // The rules as an open-addressing hash table keyed by (left << 32 | right): java.util.HashMap with Long keys
    // hashes a pair to left ^ right, which collides for most pairs of a real vocabulary.
    private static final long EMPTY = -1; // ids are >= 0, so no key is negative
    private long[] keys = emptyKeys(64);  // (capacity) pair key, or EMPTY
    private int[] merged = new int[64];   // (capacity) id the pair becomes
    private double[] priority = new double[64]; // (capacity) lower merges first
    private int size;

    private static long[] emptyKeys(int capacity) {
        long[] k = new long[capacity];
        Arrays.fill(k, EMPTY);
        return k;
    }

    private static long key(int left, int right) { return ((long) left << 32) | right; }

    /** First slot to probe: Fibonacci hashing, the top bits of key times 2^64 / golden ratio. */
    private static int home(long key, int capacity) {
        return (int) ((key * 0x9E37_79B9_7F4A_7C15L) >>> (64 - Integer.numberOfTrailingZeros(capacity)));
    }

    /** Adds the rule left + right -> mergedId; a pair already present keeps its first (better) rule. */
    void add(int left, int right, int mergedId, double rulePriority) {
        if (left < 0 || right < 0 || mergedId < 0) throw new IllegalArgumentException("negative token id in merge rule " + left + " " + right + " -> " + mergedId);
        if (2 * (size + 1) > keys.length) grow();
        long k = key(left, right);
        int mask = keys.length - 1;
        int i = home(k, keys.length);
        while (keys[i] != EMPTY) {
            if (keys[i] == k) return;
            i = (i + 1) & mask;
        }
        keys[i] = k;
        merged[i] = mergedId;
        priority[i] = rulePriority;
        size++;
    }

    /** The slot holding the rule for (left, right), or -1. */
    private int find(int left, int right) {
        long k = key(left, right);
        int mask = keys.length - 1;
        for (int i = home(k, keys.length); keys[i] != EMPTY; i = (i + 1) & mask) if (keys[i] == k) return i;
        return -1;
    }

    private void grow() {
        long[] oldKeys = keys;
        int[] oldMerged = merged;
        double[] oldPriority = priority;
        keys = emptyKeys(oldKeys.length * 2);
        merged = new int[keys.length];
        priority = new double[keys.length];
        size = 0;
        for (int i = 0; i < oldKeys.length; i++) {
            if (oldKeys[i] != EMPTY) add((int) (oldKeys[i] >>> 32), (int) oldKeys[i], oldMerged[i], oldPriority[i]);
        }
    }

    int size() { return size; }

    /**
     * SentencePiece's rules, as llama2.c applies them: two pieces merge when their concatenation is a
     * mergeable piece, and the concatenation's score is the priority (highest first). Every split of every
     * mergeable piece into two pieces is one rule.
     *
     * @param idOf      piece -> id (the first id of a duplicated piece)
     * @param mergeable per id: may be the result of a merge (a normal piece, not control, byte or unknown)
     */
    static PairMerges byScore(String[] pieces, Map<String, Integer> idOf, float[] scores, boolean[] mergeable) {
        PairMerges table = new PairMerges();
        for (int id = 0; id < pieces.length; id++) {
            String p = pieces[id];
            if (!mergeable[id] || idOf.get(p) != id) continue;
            for (int cut = 1; cut < p.length(); cut++) {
                if (Character.isLowSurrogate(p.charAt(cut))) continue; // never split a code point
                Integer left = idOf.get(p.substring(0, cut)), right = idOf.get(p.substring(cut));
                if (left != null && right != null) table.add(left, right, id, -(double) scores[id]);
            }
        }
        return table;
    }

    /**
     * Merges sym[from..to) in place until no adjacent pair has a rule.
     *
     * @return the number m of symbols left, now in sym[from..from + m)
     */
    int apply(int[] sym, int from, int to) {
        int n = to - from;
        if (n < 2) return n;
        int[] s = Arrays.copyOfRange(sym, from, to); // (n) symbol at each first position; live ones are linked
        int[] next = new int[n]; // (n) position of the following live symbol, -1 at the end
        int[] prev = new int[n]; // (n) position of the preceding live symbol, -1 at the start
        for (int i = 0; i < n; i++) {
            next[i] = i + 1 < n ? i + 1 : -1;
            prev[i] = i - 1;
        }
        boolean[] absorbed = new boolean[n]; // (n) true once merged into its left neighbour
        PriorityQueue<Candidate> queue = new PriorityQueue<>((x, y) -> x.priority != y.priority
                ? Double.compare(x.priority, y.priority) : Integer.compare(x.left, y.left));
        for (int i = 0; i + 1 < n; i++) offer(queue, s, i, i + 1);
        while (!queue.isEmpty()) {
            Candidate c = queue.poll();
            int l = c.left, r = next[l];
            if (absorbed[l] || r < 0 || s[l] != c.leftId || s[r] != c.rightId) continue; // stale
            s[l] = c.merged;
            absorbed[r] = true;
            next[l] = next[r];
            if (next[r] >= 0) prev[next[r]] = l;
            if (prev[l] >= 0) offer(queue, s, prev[l], l);
            if (next[l] >= 0) offer(queue, s, l, next[l]);
        }
        int m = 0;
        for (int i = 0; i >= 0; i = next[i]) sym[from + m++] = s[i]; // position 0 is never absorbed
        return m;
    }

    private void offer(PriorityQueue<Candidate> queue, int[] sym, int l, int r) {
        int slot = find(sym[l], sym[r]);
        if (slot >= 0) queue.add(new Candidate(l, sym[l], sym[r], merged[slot], priority[slot]));
    }
}
