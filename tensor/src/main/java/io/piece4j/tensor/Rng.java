package io.piece4j.tensor;

/**
 * A small seeded generator (SplitMix64) whose sequence is fixed by this code, not by the JDK, so the
 * same seed gives the same numbers on every JDK and machine. Its state is one long, so it can be saved in
 * a checkpoint and restored.
 */
public final class Rng {
    private long state;

    public Rng(long seed) { this.state = seed; }

    public long state() { return state; }

    public void setState(long state) { this.state = state; }

    public long nextLong() {
        long z = (state += 0x9E3779B97F4A7C15L);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** Uniform in [0, 1) with 24 random bits. */
    public float nextFloat() { return (nextLong() >>> 40) * 0x1.0p-24f; }

    /** Uniform in [0, 1) with 53 random bits. */
    public double nextDouble() { return (nextLong() >>> 11) * 0x1.0p-53; }

    /** Uniform in [0, bound). */
    public int nextInt(int bound) {
        if (bound <= 0) throw new IllegalArgumentException("bound must be positive: " + bound);
        return (int) Math.floorMod(nextLong() >>> 1, (long) bound);
    }

    /** Standard normal by Box-Muller (one value per call; the second is dropped to keep the state simple). */
    public double nextGaussian() {
        double u1 = 1.0 - nextDouble(); // (0, 1], so the log is finite
        double u2 = nextDouble();
        return Math.sqrt(-2.0 * Math.log(u1)) * Math.cos(2.0 * Math.PI * u2);
    }

    /** Fisher-Yates shuffle of idx in place. */
    public void shuffle(int[] idx) {
        for (int i = idx.length - 1; i > 0; i--) {
            int j = nextInt(i + 1);
            int t = idx[i]; idx[i] = idx[j]; idx[j] = t;
        }
    }
}
