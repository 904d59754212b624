package io.piece4j.nn.model;

import io.piece4j.nn.format.Checkpoint;
import io.piece4j.nn.format.CheckpointFormatException;
import io.piece4j.nn.format.CheckpointTensor;
import io.piece4j.tensor.Tensor;
import io.piece4j.tensor.spi.Backend;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;

/** Loads a model file of any supported format into a {@link LlamaModel} on a backend. */
public final class ModelFiles {
    private ModelFiles() {}

    public static LlamaModel load(Path path, Backend backend) throws IOException {
        try (Checkpoint c = Checkpoint.open(path)) {
            return fromCheckpoint(c, backend);
        }
    }

    /**
     * Copies every tensor of the checkpoint into the model's flat buffer, in chunks (the file stays
     * memory-mapped; nothing of the model's size is allocated on the heap besides the backend's storage).
     * The model keeps the file's RoPE layout, so no rows are permuted.
     */
    public static LlamaModel fromCheckpoint(Checkpoint c, Backend backend) throws IOException {
        LlamaModel model = new LlamaModel(c.config(), backend);
        Tensor params = model.parameters();
        float[] chunk = new float[1 << 16];
        for (ParameterLayout.Entry e : model.layout().entries()) {
            CheckpointTensor t = c.tensor(e.name());
            if (!Arrays.equals(t.shape(), e.shape())) {
                throw new CheckpointFormatException(c.path() + ": tensor '" + e.name() + "' has shape " + Arrays.toString(t.shape())
                        + ", expected " + Arrays.toString(e.shape()) + " from the config");
            }
            for (long done = 0; done < e.numel(); ) {
                int n = (int) Math.min(chunk.length, e.numel() - done);
                t.readRange(done, n, chunk, 0);
                backend.write(params.storage(), params.offset() + e.offset() + done, chunk, 0, n);
                done += n;
            }
        }
        return model;
    }
}
