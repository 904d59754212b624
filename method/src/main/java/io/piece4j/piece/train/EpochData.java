package io.piece4j.piece.train;

import io.piece4j.piece.TokenBatch;

import java.util.List;

/**
 * The micro-batches of one epoch, in the order they are trained. Must be a pure function of the epoch
 * (shuffling seeded by (seed, epoch)), so that a resumed run sees exactly the batches it would have seen.
 */
@FunctionalInterface
public interface EpochData {
    List<TokenBatch> batches(int epoch);
}
