package io.piece4j.tensor.cpu;

import io.piece4j.tensor.spi.Backend;
import io.piece4j.tensor.spi.BackendProvider;

/** Registers the reference backend; it is always available and never preferred. */
public final class RefBackendProvider implements BackendProvider {
    @Override public String name() { return "ref"; }
    @Override public int priority() { return 0; }
    @Override public boolean isAvailable() { return true; }
    @Override public Backend create(int threads) { return new RefBackend(); }
}
