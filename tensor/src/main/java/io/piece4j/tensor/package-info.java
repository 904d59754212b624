/** Tensors, reverse-mode autograd and the backend SPI. Depends on nothing beyond the JDK. */
package io.piece4j.tensor;
