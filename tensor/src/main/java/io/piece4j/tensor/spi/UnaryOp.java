package io.piece4j.tensor.spi;

/** Elementwise functions y = f(x) whose derivative the kernels know. */
public enum UnaryOp {
    /** y = exp(x); dy/dx = y. */
    EXP,
    /** y = ln(x); dy/dx = 1 / x. */
    LOG,
    /** y = x * sigmoid(x); dy/dx = s * (1 + x * (1 - s)), s = sigmoid(x). */
    SILU,
    /** y = -x. */
    NEG,
    /** y = x * x; dy/dx = 2x. */
    SQUARE,
    /** y = sqrt(x); dy/dx = 1 / (2y). */
    SQRT
}
