package io.piece4j.distributed;

import io.piece4j.nn.model.LlamaModel;
import io.piece4j.piece.ImportanceAccumulator;
import io.piece4j.piece.ImportanceEstimation;
import io.piece4j.piece.TokenBatch;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * PIECE's importance pass, data-parallel: the task's batches (dataset order) are cut into the leaves of an
 * {@link ImportanceTree}; each Spark partition runs the local pass over its leaves on its own copy of the model
 * and sends the G and H of the largest tree nodes it covers; the driver adds them in the tree's order. The
 * result is the same bits for any number of partitions and executors; with one leaf it is the local pass's.
 */
public final class DistributedImportance {
    private DistributedImportance() {}

    /** What a partition sends: its nodes' sums. */
    record NodeSums(List<ImportanceTree.Node> nodes, List<ImportanceTree.Sums> sums) implements java.io.Serializable {}

    /**
     * G and H of the model in shipment over batches, as an accumulator on the driver model's backend.
     *
     * @param partitions Spark tasks (capped at the tree's leaves)
     */
    public static ImportanceAccumulator accumulate(JavaSparkContext sc, ModelShipment shipment, LlamaModel driverModel,
                                                   List<TokenBatch> batches, ImportanceTree tree, int partitions) {
        if (tree.batches() != batches.size()) throw new IllegalArgumentException("tree over " + tree.batches() + " batches, got " + batches.size());
        int parts = Math.min(Math.max(1, partitions), tree.leaves());
        Broadcast<ArrayList<ShippedBatch>> data = sc.broadcast(ShippedBatch.all(batches));
        String key = "importance:" + UUID.randomUUID();
        List<Integer> ids = new ArrayList<>();
        for (int p = 0; p < parts; p++) ids.add(p);
        try {
            sc.setJobDescription("piece4j importance: " + batches.size() + " batches, " + tree.leaves() + " leaves, " + parts + " partitions");
            List<NodeSums> sent = sc.parallelize(ids, parts).map(p -> partition(shipment, data, tree, p, parts, key)).collect();
            Map<ImportanceTree.Node, ImportanceTree.Sums> received = new HashMap<>();
            for (NodeSums s : sent) for (int i = 0; i < s.nodes().size(); i++) received.put(s.nodes().get(i), s.sums().get(i));
            ImportanceTree.Sums root = tree.combine(received);
            return ImportanceAccumulator.of(driverModel.backend(), root.g(), root.h(), batches.size());
        } finally {
            data.destroy();
        }
    }

    /** Runs on an executor: the local pass over each leaf of partition p, combined up to the nodes it covers. */
    static NodeSums partition(ModelShipment shipment, Broadcast<ArrayList<ShippedBatch>> data, ImportanceTree tree, int p, int parts,
                              String key) {
        List<ShippedBatch> batches = data.value();
        try (ExecutorModels.Lease lease = ExecutorModels.borrow(key, shipment, m -> {})) {
            List<ImportanceTree.Node> nodes = tree.cover(tree.partition(p, parts));
            List<ImportanceTree.Sums> sums = new ArrayList<>();
            for (ImportanceTree.Node n : nodes) {
                sums.add(tree.compute(n, (from, to) -> {
                    List<TokenBatch> leaf = new ArrayList<>();
                    for (int b = from; b < to; b++) leaf.add(batches.get(b).toTokenBatch());
                    ImportanceAccumulator acc = ImportanceEstimation.accumulate(lease.model, leaf);
                    return new ImportanceTree.Sums(acc.g().toArray(), acc.h().toArray());
                }));
            }
            return new NodeSums(nodes, sums);
        }
    }
}
