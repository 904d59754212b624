package io.piece4j.tensor.ops;

import io.piece4j.tensor.Autograd;
import io.piece4j.tensor.Tensor;
import io.piece4j.tensor.spi.Backend;

/** Token embedding lookup. */
public final class Embedding {
    private Embedding() {}

    /** table (vocab, dim), ids (n) -> (n, dim); backward scatter-adds the rows' gradients into the table. */
    public static Tensor lookup(Tensor table, int[] ids) {
        int vocab = table.dim(0), dim = table.dim(1);
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= vocab) {
                throw new IllegalArgumentException("token id " + ids[i] + " at position " + i + " is outside the vocabulary of " + vocab);
            }
        }
        int[] idsCopy = ids.clone(); // the backward must see the ids of the forward
        Backend be = table.backend();
        Tensor out = Tensor.activation(be, ids.length, dim);
        be.embedding(table, idsCopy, out, dim);
        return Autograd.record(out, g -> be.embeddingBackward(g, idsCopy, table.gradForAccumulation(), dim), table);
    }
}
