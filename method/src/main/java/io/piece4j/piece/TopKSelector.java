package io.piece4j.piece;

/**
 * Global top-k over non-negative scores in O(P) time and O(chunk + 65536) memory: a two-level radix
 * select on the float bit patterns (for non-negative floats, bit order is numeric order), then one
 * collecting pass. Ties at the threshold go to the lower flat index, so the result is deterministic.
 * The scores are streamed in chunks from a {@link ScoreSource}; nothing of size P is allocated but the
 * result.
 */
public final class TopKSelector {
    private static final int CHUNK = 1 << 16;

    private TopKSelector() {}

    /** Produces scores for a range of flat indices; must give the same values on every call. */
    @FunctionalInterface
    public interface ScoreSource {
        void read(long start, float[] dst, int length);
    }

    /** Indices in [begin, end) of the flat layout that may be selected; the rest are skipped. */
    public record Range(long begin, long end) {}

    /**
     * The k eligible indices with the largest scores, ascending. Negative and NaN scores count as 0.
     * Throws if k exceeds the number of eligible indices.
     */
    public static int[] select(ScoreSource source, Range[] eligible, int k) {
        long n = 0;
        for (Range r : eligible) n += r.end() - r.begin();
        if (k < 0 || k > n) throw new IllegalArgumentException("cannot select " + k + " of " + n + " eligible parameters");
        if (k == 0) return new int[0];

        // pass 1: histogram of the high 16 bits
        long[] high = new long[1 << 16];
        scan(source, eligible, (i, bits) -> high[bits >>> 16]++);
        int hb = 0xFFFF;
        long above = 0;
        for (; hb >= 0; hb--) {
            if (above + high[hb] >= k) break;
            above += high[hb];
        }
        // pass 2: histogram of the low 16 bits inside that bucket
        final int bucket = hb;
        long[] low = new long[1 << 16];
        scan(source, eligible, (i, bits) -> { if (bits >>> 16 == bucket) low[bits & 0xFFFF]++; });
        int lb = 0xFFFF;
        for (; lb >= 0; lb--) {
            if (above + low[lb] >= k) break;
            above += low[lb];
        }
        final int threshold = (bucket << 16) | lb;   // the k-th largest score's bits
        final long tiesWanted = k - above;           // how many scores equal to the threshold to take
        // pass 3: collect in index order: everything above the threshold, and the first ties
        int[] out = new int[k];
        int[] count = {0};
        long[] ties = {0};
        scan(source, eligible, (i, bits) -> {
            if (Integer.compareUnsigned(bits, threshold) > 0 || (bits == threshold && ties[0]++ < tiesWanted)) {
                out[count[0]++] = Math.toIntExact(i);
            }
        });
        if (count[0] != k) throw new IllegalStateException("score source changed between passes: got " + count[0] + " of " + k);
        return out;
    }

    private interface Visitor { void visit(long index, int bits); }

    private static void scan(ScoreSource source, Range[] eligible, Visitor v) {
        float[] buf = new float[CHUNK];
        for (Range r : eligible) {
            for (long s = r.begin(); s < r.end(); s += CHUNK) {
                int len = (int) Math.min(CHUNK, r.end() - s);
                source.read(s, buf, len);
                for (int j = 0; j < len; j++) {
                    float x = buf[j];
                    int bits = x > 0f ? Float.floatToRawIntBits(x) : 0; // NaN, -0 and negatives count as 0
                    v.visit(s + j, bits);
                }
            }
        }
    }
}
