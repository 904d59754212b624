package io.piece4j.distributed;

import io.piece4j.nn.model.LlamaModel;
import io.piece4j.tensor.Backends;
import io.piece4j.tensor.spi.Backend;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Models an executor keeps between Spark tasks, so a training step does not reload its model: a pool per key
 * (one training run or importance pass), each model with a backend of its own, lent to one task at a time
 * (two tasks of an executor with two cores use two models). Only the pools of the last few keys are kept.
 */
final class ExecutorModels {
    private static final int KEYS_KEPT = 2;
    private static final Map<String, Deque<Lease>> IDLE = new LinkedHashMap<>();

    /** A model lent to a task; close() gives it back. */
    static final class Lease implements AutoCloseable {
        private final String key;
        final Backend backend;
        final LlamaModel model;

        private Lease(String key, Backend backend, LlamaModel model) {
            this.key = key;
            this.backend = backend;
            this.model = model;
        }

        @Override
        public void close() {
            synchronized (IDLE) {
                Deque<Lease> pool = IDLE.get(key);
                if (pool != null) pool.push(this);
                else backend.close(); // its key was evicted meanwhile
            }
        }
    }

    private ExecutorModels() {}

    /** A model of shipment for key: an idle one, or a new one loaded and passed to init once. */
    static Lease borrow(String key, ModelShipment shipment, Consumer<LlamaModel> init) {
        List<Lease> evicted = new ArrayList<>();
        synchronized (IDLE) {
            Deque<Lease> pool = IDLE.remove(key);
            if (pool == null) pool = new ArrayDeque<>();
            IDLE.put(key, pool); // most recent last
            while (IDLE.size() > KEYS_KEPT) {
                String oldest = IDLE.keySet().iterator().next();
                evicted.addAll(IDLE.remove(oldest));
            }
            if (!pool.isEmpty()) {
                Lease l = pool.pop();
                evicted.forEach(e -> e.backend.close());
                return l;
            }
        }
        evicted.forEach(e -> e.backend.close());
        Backend be = Backends.create(shipment.backend(), shipment.threads());
        try {
            LlamaModel m = shipment.load(be);
            init.accept(m);
            return new Lease(key, be, m);
        } catch (IOException e) {
            be.close();
            throw new UncheckedIOException("loading the shipped model " + shipment.modelName() + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            be.close();
            throw e;
        }
    }
}
