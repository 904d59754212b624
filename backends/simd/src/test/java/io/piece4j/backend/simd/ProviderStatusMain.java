package io.piece4j.backend.simd;

/** Prints what the provider says about this JVM; {@link SimdLaneWidthTest} runs it without the Vector API. */
public final class ProviderStatusMain {
    private ProviderStatusMain() {}

    public static void main(String[] args) {
        SimdBackendProvider p = new SimdBackendProvider();
        System.out.println("available=" + p.isAvailable() + " reason=" + p.unavailableReason());
    }
}
