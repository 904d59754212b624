package io.piece4j.tensor.ops;

import io.piece4j.tensor.Autograd;
import io.piece4j.tensor.Tensor;
import io.piece4j.tensor.spi.Backend;

/** The gated unit of the Llama MLP. */
public final class SwiGlu {
    private SwiGlu() {}

    /** silu(gate) * up, elementwise; backward needs gate and up. */
    public static Tensor swiglu(Tensor gate, Tensor up) {
        gate.checkSameSize(up);
        Backend be = gate.backend();
        Tensor out = Tensor.activation(be, gate.shape());
        be.swiglu(gate, up, out);
        return Autograd.record(out, g -> be.swigluBackward(gate, up, g,
                gate.requiresGrad() ? gate.gradForAccumulation() : null,
                up.requiresGrad() ? up.gradForAccumulation() : null), gate, up);
    }
}
