package io.piece4j.tensor.spi;

/**
 * Which components of a head vector RoPE rotates together.
 * INTERLEAVED: pairs (2i, 2i+1), as in Meta's original code, llama2.c and GGUF.
 * HALF_SPLIT: pairs (i, i + d/2), as Hugging Face's rotate_half does.
 * The same weights give the same model only if their q/k rows are permuted accordingly.
 */
public enum RopeLayout { INTERLEAVED, HALF_SPLIT }
