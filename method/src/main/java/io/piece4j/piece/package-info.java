/**
 * PIECE: importance estimation (PIECE-F, PIECE-S), global top-k masks, the masked optimizer with k-long
 * state, and sparse weight gradients under a fixed mask.
 */
package io.piece4j.piece;
