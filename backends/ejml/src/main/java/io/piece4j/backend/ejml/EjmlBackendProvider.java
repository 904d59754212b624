package io.piece4j.backend.ejml;

import io.piece4j.tensor.spi.Backend;
import io.piece4j.tensor.spi.BackendProvider;

/**
 * Registers the EJML backend. It is a comparison point (how far a well-known pure-Java matrix library
 * gets on the model's products), so it is never chosen unless asked for: its priority is below simd's.
 */
public final class EjmlBackendProvider implements BackendProvider {
    @Override public String name() { return "ejml"; }

    @Override public int priority() { return 5; }

    @Override public boolean isAvailable() { return true; }

    @Override public Backend create(int threads) { return new EjmlBackend(threads); }
}
