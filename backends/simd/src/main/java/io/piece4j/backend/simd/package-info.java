/** Vector API backend. */
package io.piece4j.backend.simd;
