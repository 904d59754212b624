// Shared definitions of piece4j's OpenCL kernels.
//
// Conventions (as the backend SPI's): row-major float32 tensors; every tensor argument is a buffer and an
// element offset (long), applied once at the top of the kernel. A gradient buffer that may be absent is
// passed as NULL and tested before use. "accumulate" adds into the output, otherwise it is overwritten.
//
// Build options set by DeviceProfile:
//   ROW_WG   work-group size of the row kernels (one work-group per row; a power of two)
//   RED_WG   work-group size of the chunked reductions (a power of two), RED_CHUNK elements per group
//   MM_RM    rows per work-item of the CPU matrix product
//   MM_CW    float16 column vectors per work-item of the CPU matrix product (16 MM_CW columns)
//   MM_KC    depth of one k-block of the CPU matrix product (a barrier between blocks keeps the block's
//            panels of A and B in cache while the work-group's items take their turns on one core)
//   TILE_M, TILE_N, TILE_K, WPT_M, WPT_N   tiles of the GPU matrix product (local memory, register blocks)
//   PIECE_FP64  defined when the device has cl_khr_fp64: sums read back by the host accumulate in double

// No silent fusing of a * b + c: the same kernel must give the same bits wherever it is compiled, and the
// dense and masked AdamW must round identically. Kernels that want a fused multiply-add call fma().
#pragma OPENCL FP_CONTRACT OFF

#ifdef PIECE_FP64
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
typedef double acc_t;
#else
typedef float acc_t;
#endif

// unary operations (UnaryOp)
#define OP_EXP 0
#define OP_LOG 1
#define OP_SILU 2
#define OP_NEG 3
#define OP_SQUARE 4
#define OP_SQRT 5
// binary operations (BinaryOp)
#define OP_ADD 0
#define OP_SUB 1
#define OP_MUL 2
#define OP_DIV 3

inline float silu_of(float x) { return x / (1.0f + exp(-x)); }

inline float silu_grad(float x) {
    float s = 1.0f / (1.0f + exp(-x));
    return s * (1.0f + x * (1.0f - s));
}

// Sum of v over the work-group (size ROW_WG), in a fixed tree order; every item gets the total.
// scratch holds ROW_WG floats. Every item of the group must call it.
inline float group_sum(float v, __local float* scratch) {
    int lid = get_local_id(0);
    scratch[lid] = v;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = ROW_WG / 2; s > 0; s >>= 1) {
        if (lid < s) scratch[lid] += scratch[lid + s];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    float total = scratch[0];
    barrier(CLK_LOCAL_MEM_FENCE);
    return total;
}

// Maximum of v over the work-group (size ROW_WG); every item gets it.
inline float group_max(float v, __local float* scratch) {
    int lid = get_local_id(0);
    scratch[lid] = v;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = ROW_WG / 2; s > 0; s >>= 1) {
        if (lid < s) scratch[lid] = fmax(scratch[lid], scratch[lid + s]);
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    float m = scratch[0];
    barrier(CLK_LOCAL_MEM_FENCE);
    return m;
}
