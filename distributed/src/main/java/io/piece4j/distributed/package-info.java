/**
 * PIECE on Apache Spark. Three ways to spread the work, each reproducing the local numbers:
 * <ul>
 *   <li>{@link io.piece4j.distributed.SparkSweep}: every (variant, seed) of a continual invocation is one Spark task running
 *       the local runner; results.json is built from the gathered run folders exactly as locally.</li>
 *   <li>{@link io.piece4j.distributed.DistributedImportance}: the importance pass's batches split over partitions; G and H
 *       summed in the fixed tree of {@link io.piece4j.distributed.ImportanceTree}.</li>
 *   <li>{@link io.piece4j.distributed.DataParallelTrainer}: each optimizer step's micro-batches spread over executors,
 *       which send the gradient at the mask's k coordinates only; the driver steps MaskedAdamW.</li>
 * </ul>
 * Nothing here is on the class path of the core or the demo: the launcher adds this module when --spark is given.
 */
package io.piece4j.distributed;
