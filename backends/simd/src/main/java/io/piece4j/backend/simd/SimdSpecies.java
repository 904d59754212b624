package io.piece4j.backend.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The float vector shape every kernel of this backend uses, chosen once per JVM: the widest the CPU has,
 * or the width forced by {@code -Dpiece.simd.species=128|256|512} (bits) so that tests can run the kernels
 * with 4, 8 or 16 lanes on one machine. It is a static final constant because C2 compiles Vector API code
 * to plain vector instructions only when the species is a constant.
 */
final class SimdSpecies {
    private SimdSpecies() {}

    static final String PROPERTY = "piece.simd.species";

    static final VectorSpecies<Float> FLOAT = choose(System.getProperty(PROPERTY));

    static VectorSpecies<Float> choose(String bits) {
        if (bits == null || bits.isBlank()) return FloatVector.SPECIES_PREFERRED;
        return switch (bits.trim()) {
            case "128" -> FloatVector.SPECIES_128;
            case "256" -> FloatVector.SPECIES_256;
            case "512" -> FloatVector.SPECIES_512;
            default -> throw new IllegalArgumentException(PROPERTY + " must be 128, 256 or 512 (bits), got '" + bits + "'");
        };
    }
}
