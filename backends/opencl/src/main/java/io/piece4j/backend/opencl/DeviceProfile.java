package io.piece4j.backend.opencl;

/**
 * Work-group sizes and matrix-product tiling for one class of device, passed to the kernel sources as
 * build options (see kernels/common.cl). Chosen by device type; {@code -Dpiece.opencl.profile=cpu|gpu}
 * overrides the choice (the tests use it to run the GPU kernels on a CPU driver).
 *
 * <p>CPU (PoCL and other CPU drivers run a work-group's items one after another on one core, vectorising
 * across them where they can): small row groups, and a matrix product written with explicit float16
 * vectors whose k-blocks are separated by barriers so each block's panels stay in cache. GPU: row groups
 * of 256, and the classic tiled product in local memory with 4 x 4 register blocks per item.
 *
 * @param elementGroup   work-group size of the one-item-per-element kernels
 * @param rowGroup       work-group size of the row kernels (softmax, norms, attention, cross-entropy)
 * @param reduceGroup    work-group size of the chunked sum of squares
 * @param reduceChunk    elements per work-group of the chunked sum of squares
 * @param cpuMatmul      use the explicit-vector CPU product (else the tiled GPU product)
 * @param mmRows         rows per work-item of the CPU product
 * @param mmColumnVectors float16 column vectors per work-item of the CPU product (16 columns each)
 * @param mmKBlock       k-block of the CPU product
 * @param mmGroupColumns work-items per work-group along the columns of the CPU product (at most)
 * @param tileM          GPU product: rows of C per work-group (likewise tileN, tileK; wptM x wptN per item)
 */
public record DeviceProfile(String name, int elementGroup, int rowGroup, int reduceGroup, int reduceChunk, boolean cpuMatmul,
                            int mmRows, int mmColumnVectors, int mmKBlock, int mmGroupColumns, int tileM, int tileN, int tileK, int wptM, int wptN) {

    public static final DeviceProfile CPU = new DeviceProfile("cpu", 64, 16, 16, 4096, true, 8, 1, 256, 8, 64, 64, 16, 4, 4);
    public static final DeviceProfile GPU = new DeviceProfile("gpu", 256, 256, 256, 4096, false, 8, 1, 256, 8, 64, 64, 16, 4, 4);

    /** The profile for a device, unless -Dpiece.opencl.profile names one. */
    public static DeviceProfile of(OpenClDevice device) {
        String forced = System.getProperty("piece.opencl.profile");
        if (forced != null && !forced.isBlank()) {
            return switch (forced.trim()) {
                case "cpu" -> CPU;
                case "gpu" -> GPU;
                default -> throw new IllegalArgumentException("piece.opencl.profile must be cpu or gpu, got '" + forced + "'");
            };
        }
        return device.isCpu() ? CPU : GPU;
    }

    /** Work-group sizes no larger than the device allows (a power of two each). */
    DeviceProfile fitTo(long maxWorkGroupSize) {
        int elem = elementGroup, row = rowGroup, red = reduceGroup;
        while (elem > maxWorkGroupSize) elem /= 2;
        while (row > maxWorkGroupSize) row /= 2;
        while (red > maxWorkGroupSize) red /= 2;
        int tm = tileM, tn = tileN;
        while ((long) (tm / wptM) * (tn / wptN) > maxWorkGroupSize) { tm /= 2; tn /= 2; }
        return new DeviceProfile(name, elem, row, red, reduceChunk, cpuMatmul, mmRows, mmColumnVectors, mmKBlock, mmGroupColumns,
                tm, tn, tileK, wptM, wptN);
    }

    /** The -D options of the kernel build. */
    String buildOptions() {
        return "-DROW_WG=" + rowGroup + " -DRED_WG=" + reduceGroup + " -DRED_CHUNK=" + reduceChunk + " -DMM_RM=" + mmRows
                + " -DMM_CW=" + mmColumnVectors + " -DMM_KC=" + mmKBlock + " -DTILE_M=" + tileM + " -DTILE_N=" + tileN + " -DTILE_K=" + tileK
                + " -DWPT_M=" + wptM + " -DWPT_N=" + wptN;
    }
}
