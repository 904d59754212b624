package io.piece4j.backend.opencl;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The FFM bindings against the installed driver: errors name the call and the code, builds report their log. */
class OpenClBindingsTest {
    private static OpenClDevice device;

    @BeforeAll
    static void needsADriver() {
        OpenClBackendProvider p = new OpenClBackendProvider();
        assumeTrue(p.isAvailable(), () -> "no OpenCL driver here, skipped: " + p.unavailableReason());
        device = OpenClDevices.selected();
    }

    @Test
    void everyDeviceIsListedAndTheSelectedOneIsNamed() {
        String text = OpenClDevices.describe();
        for (OpenClDevice d : OpenClDevices.all()) {
            assertTrue(text.contains("device " + d.index() + ": " + d.typeName() + " " + d.name()), () -> "listing lacks device " + d + ":\n" + text);
        }
        assertTrue(text.contains("selected: device " + device.index()), text);
        assertTrue(device.globalMemBytes() > 0 && device.maxWorkGroupSize() >= 1 && device.computeUnits() >= 1, device::summary);
    }

    @Test
    void anOpenClErrorNamesTheCallAndTheCode() {
        OpenCl cl = OpenCl.get();
        MemorySegment ctx = cl.createContext(device.id());
        try {
            OpenClException e = assertThrows(OpenClException.class, () -> cl.createBuffer(ctx, OpenCl.CL_MEM_READ_WRITE, 0, MemorySegment.NULL));
            assertEquals(-61, e.code(), e.getMessage());
            assertTrue(e.getMessage().startsWith("clCreateBuffer") && e.getMessage().contains("CL_INVALID_BUFFER_SIZE (-61)"), e.getMessage());
        } finally {
            cl.releaseContext(ctx);
        }
    }

    @Test
    void aFailedBuildCarriesTheCompilerLog() {
        OpenCl cl = OpenCl.get();
        MemorySegment ctx = cl.createContext(device.id());
        try {
            MemorySegment program = cl.createProgram(ctx, "__kernel void broken(__global float* x) { x[0] = undefined_name_q7; }");
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> cl.buildProgram(program, device.id(), ""));
            assertTrue(e.getMessage().contains("clBuildProgram") && e.getMessage().contains("CL_BUILD_PROGRAM_FAILURE"), e.getMessage());
            assertTrue(e.getMessage().contains("undefined_name_q7"), () -> "the build log should name the undeclared identifier:\n" + e.getMessage());
            cl.releaseProgram(program);
        } finally {
            cl.releaseContext(ctx);
        }
    }

    @Test
    void withTimingEveryLaunchReportsItsDeviceTime() {
        try (OpenClBackend be = new OpenClBackend(device, null, true)) {
            io.piece4j.tensor.Tensor a = io.piece4j.tensor.Tensor.ones(be, 64, 64), c = io.piece4j.tensor.Tensor.zeros(be, 64, 64);
            for (int i = 0; i < 3; i++) be.matmul(a, false, a, false, c, 1, 64, 64, 64, 0, false);
            be.softmax(c, c, 64, 64);
            java.util.Map<String, long[]> t = be.kernelTimes();
            assertEquals(3, t.get("matmul_cpu") != null ? t.get("matmul_cpu")[0] : t.get("matmul_tiled")[0], "three matrix products: " + t.keySet());
            assertEquals(1, t.get("softmax")[0]);
            for (var e : t.entrySet()) assertTrue(e.getValue()[1] > 0, () -> e.getKey() + " has no device time");
            assertEquals(1f / 64, c.toArray()[0], 1e-7f, "softmax of a row of equal values");
        }
    }

    @Test
    void theKernelSourcesBuildAndEveryKernelExists() {
        try (OpenClBackend be = new OpenClBackend(device, null, false)) {
            assertTrue(be.programBuildSeconds() >= 0);
            assertFalse(OpenClProgram.source().isEmpty());
            // creating the backend created every kernel of KERNEL_NAMES; a missing one would have thrown CL_INVALID_KERNEL_NAME
            assertEquals(0, be.launches());
        }
    }
}
