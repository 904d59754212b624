package io.piece4j.distributed;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The fixed order in which the distributed importance pass adds up G and H, so its bits do not depend on how
 * many executors or partitions there are.
 *
 * <p>The N batches (dataset order) are cut into L leaves of consecutive batches (leaf i holds batches
 * [i*N/L, (i+1)*N/L)). A leaf's G and H are accumulated exactly as the local pass does (from zero, G += g,
 * H += g*g, batch after batch), so L = 1 gives the local pass's bits. Leaves are combined by a binary tree:
 * the node over leaves [lo, hi) is the elementwise float sum left + right of its halves [lo, mid) and
 * [mid, hi), mid = (lo + hi) / 2. A partition owns a range of whole leaves and sends the largest nodes inside
 * its range; the driver adds what it receives in the tree's order. Any split into partitions therefore gives
 * the same sums.
 *
 * @param batches N, at least 1
 * @param leaves  L, between 1 and N
 */
public record ImportanceTree(int batches, int leaves) implements Serializable {
    public ImportanceTree {
        if (batches < 1) throw new IllegalArgumentException("the importance pass got no batch (empty task data?)");
        if (leaves < 1 || leaves > batches) throw new IllegalArgumentException("leaves must be in [1, " + batches + "], got " + leaves);
    }

    /** L = min(requested, N): a leaf holds at least one batch. */
    public static ImportanceTree of(int batches, int requestedLeaves) {
        if (requestedLeaves < 1) throw new IllegalArgumentException("--spark-leaves must be >= 1, got " + requestedLeaves);
        return new ImportanceTree(batches, Math.min(requestedLeaves, Math.max(1, batches)));
    }

    /** A node: the leaves [lo, hi). */
    public record Node(int lo, int hi) implements Serializable {
        int mid() { return (lo + hi) >>> 1; }
        boolean isLeaf() { return hi - lo == 1; }
    }

    public Node root() { return new Node(0, leaves); }

    /** First batch of leaf i (i = leaves gives N). */
    public int leafStart(int i) { return (int) ((long) i * batches / leaves); }

    /** The leaves partition p of parts owns: [p*L/parts, (p+1)*L/parts); parts must not exceed L. */
    public Node partition(int p, int parts) {
        if (parts < 1 || parts > leaves) throw new IllegalArgumentException("partitions must be in [1, " + leaves + "], got " + parts);
        return new Node((int) ((long) p * leaves / parts), (int) ((long) (p + 1) * leaves / parts));
    }

    /** The largest tree nodes that exactly cover range (a range of leaves), left to right. */
    public List<Node> cover(Node range) {
        List<Node> out = new ArrayList<>();
        cover(root(), range, out);
        return out;
    }

    private static void cover(Node n, Node range, List<Node> out) {
        if (range.hi() <= n.lo() || n.hi() <= range.lo()) return;
        if (range.lo() <= n.lo() && n.hi() <= range.hi()) { out.add(n); return; }
        cover(new Node(n.lo(), n.mid()), range, out);
        cover(new Node(n.mid(), n.hi()), range, out);
    }

    /** G and H of a node. */
    public record Sums(float[] g, float[] h) implements Serializable {}

    /** How a leaf's sums are made (on an executor: the local pass over the leaf's batches). */
    @FunctionalInterface
    public interface LeafSums {
        Sums of(int firstBatch, int endBatch);
    }

    /** A node's sums: its leaves' sums combined in the tree's order. */
    public Sums compute(Node n, LeafSums leaf) {
        if (n.isLeaf()) return leaf.of(leafStart(n.lo()), leafStart(n.hi()));
        return add(compute(new Node(n.lo(), n.mid()), leaf), compute(new Node(n.mid(), n.hi()), leaf));
    }

    /** The root's sums from nodes that cover the tree (those the partitions sent). */
    public Sums combine(Map<Node, Sums> received) {
        return combine(root(), received);
    }

    private Sums combine(Node n, Map<Node, Sums> received) {
        Sums s = received.get(n);
        if (s != null) return s;
        if (n.isLeaf()) throw new IllegalStateException("no partition sent leaf " + n.lo() + " of the importance tree");
        return add(combine(new Node(n.lo(), n.mid()), received), combine(new Node(n.mid(), n.hi()), received));
    }

    /** left + right elementwise in float, into left's arrays (right is not needed afterwards). */
    static Sums add(Sums left, Sums right) {
        float[] g = left.g(), h = left.h(), rg = right.g(), rh = right.h();
        if (g.length != rg.length) throw new IllegalStateException("node sums of " + g.length + " and " + rg.length + " parameters");
        for (int i = 0; i < g.length; i++) {
            g[i] += rg[i];
            h[i] += rh[i];
        }
        return left;
    }
}
