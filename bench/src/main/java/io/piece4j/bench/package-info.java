/** Benchmarks. */
package io.piece4j.bench;
