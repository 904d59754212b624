package io.piece4j.tensor.spi;

/** Elementwise a (op) b, where b is the same size as a, one row (a's last axis) or a scalar. */
public enum BinaryOp { ADD, SUB, MUL, DIV }
