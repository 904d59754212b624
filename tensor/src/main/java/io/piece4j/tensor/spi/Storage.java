package io.piece4j.tensor.spi;

/**
 * A block of numbers owned by a backend: a heap array on the CPU, a device buffer on a GPU.
 * Code outside the backend never reaches the numbers directly; it goes through
 * {@link Backend#read} and {@link Backend#write}.
 */
public interface Storage {
    /** The backend that owns this storage; kernels accept only their own backend's storage. */
    Backend backend();

    /** Number of elements. */
    long size();
}
