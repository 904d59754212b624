package io.piece4j.tensor.spi;

/** Element type of a backend's storage. Tensors are float32; the reference backend can also run in float64 for gradient checks. */
public enum Precision { FLOAT32, FLOAT64 }
