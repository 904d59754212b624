/**
 * Checkpoint formats for Llama models: reading Hugging Face safetensors (with config.json, sharded or not),
 * llama2.c .bin (legacy, version 1 and the Q8 version 2) and GGUF (F32, F16, BF16, Q8_0, Q4_0); writing
 * safetensors, GGUF and llama2.c. Also a generic safetensors reader/writer for any named tensors.
 *
 * <p>Every reader gives a {@link io.piece4j.nn.format.Checkpoint}: the {@link io.piece4j.nn.LlamaConfig}, and the
 * parameters under canonical names ({@code tok_embeddings}, {@code layers.0.attn.wq}, ...; see
 * {@link io.piece4j.nn.format.TensorNames}) in canonical order, memory-mapped and converted to float32 on reading.
 * The config reports the file's own RoPE layout: HALF_SPLIT for Hugging Face, INTERLEAVED for GGUF and llama2.c.
 * Readers never permute; writers permute wq and wk rows when the target layout differs from the config's
 * ({@link io.piece4j.nn.format.RopePermutation}).
 *
 * <p>Bad input of any kind is a {@link io.piece4j.nn.format.CheckpointFormatException} naming the file, the field
 * and what was expected; every length is checked against the file size before anything is allocated. Writers
 * write a temporary file in the target's folder, force it to disk and rename it over the target.
 *
 * <p>This package uses only the JDK and jackson-core; it does not depend on the tensor module.
 */
package io.piece4j.nn.format;
