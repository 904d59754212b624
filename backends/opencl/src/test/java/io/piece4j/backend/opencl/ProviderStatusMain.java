package io.piece4j.backend.opencl;

import io.piece4j.tensor.Backends;

/** Prints what the provider and backend selection say in this JVM; {@link OpenClUnavailableTest} runs it without a driver. */
public final class ProviderStatusMain {
    private ProviderStatusMain() {}

    public static void main(String[] args) {
        OpenClBackendProvider p = new OpenClBackendProvider();
        System.out.println("available=" + p.isAvailable() + " reason=" + p.unavailableReason());
        try {
            Backends.create("opencl", 1).close();
            System.out.println("created");
        } catch (RuntimeException e) {
            System.out.println("create failed: " + e.getMessage());
        }
    }
}
