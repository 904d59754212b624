package io.piece4j.piece.continual.metrics;

import java.util.List;

/** Length of the longest common subsequence, by the O(|a| |b|) dynamic programme kept to two rows. */
final class LongestCommonSubsequence {
    private LongestCommonSubsequence() {}

    static int ofTokens(List<String> a, List<String> b) {
        int[] previous = new int[b.size() + 1];        // (|b| + 1) LCS of a[0, i) and b[0, j) for j = 0..|b|
        int[] current = new int[b.size() + 1];
        for (String ai : a) {
            for (int j = 1; j <= b.size(); j++) {
                current[j] = ai.equals(b.get(j - 1)) ? previous[j - 1] + 1 : Math.max(previous[j], current[j - 1]);
            }
            int[] t = previous; previous = current; current = t;
        }
        return previous[b.size()];
    }

    static int ofCodePoints(int[] a, int[] b) {
        int[] previous = new int[b.length + 1];
        int[] current = new int[b.length + 1];
        for (int ai : a) {
            for (int j = 1; j <= b.length; j++) {
                current[j] = ai == b[j - 1] ? previous[j - 1] + 1 : Math.max(previous[j], current[j - 1]);
            }
            int[] t = previous; previous = current; current = t;
        }
        return previous[b.length];
    }
}
