/** The EJML backend: matrix products through EJML, the other kernels shared with the reference backend. */
package io.piece4j.backend.ejml;
