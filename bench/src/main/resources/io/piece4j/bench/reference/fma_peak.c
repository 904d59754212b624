// FMA peak: the multiply-add rate of T threads when nothing but registers is touched, the ceiling for
// any matrix product or training step on this machine.
//
//   gcc -O2 -march=native -fopenmp fma_peak.c -o fma_peak
//   OMP_NUM_THREADS=T ./fma_peak [million-iterations] [repeats]
//
// Each thread runs CHAINS independent chains acc = acc * m + a on the widest vectors the compiler was
// told about (AVX-512, else AVX2 + FMA, else scalar); enough chains hide the FMA latency on every
// current core. FLOPs = 2 * lanes * CHAINS * iterations * threads. Output: one JSON line with the best
// and the median repeat in GFLOP/s, and the instruction set used.
#include <immintrin.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define CHAINS 16

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

static int by_value(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

#if defined(__AVX512F__)
#define ISA "avx512f"
#define LANES 16
typedef __m512 vec;
#define SET1 _mm512_set1_ps
#define FMA _mm512_fmadd_ps
#define ADD _mm512_add_ps
static float hsum(vec v) { return _mm512_reduce_add_ps(v); }
#elif defined(__AVX2__) && defined(__FMA__)
#define ISA "avx2+fma"
#define LANES 8
typedef __m256 vec;
#define SET1 _mm256_set1_ps
#define FMA _mm256_fmadd_ps
#define ADD _mm256_add_ps
static float hsum(vec v) { float f[8]; _mm256_storeu_ps(f, v); return f[0]+f[1]+f[2]+f[3]+f[4]+f[5]+f[6]+f[7]; }
#else
#define ISA "scalar"
#define LANES 1
typedef float vec;
#define SET1(x) (x)
#define FMA(a, b, c) ((a) * (b) + (c))
#define ADD(a, b) ((a) + (b))
static float hsum(vec v) { return v; }
#endif

/* CHAINS independent multiply-add chains for `iterations` rounds; returns a value that depends on all of them. */
static float run(long iterations, float seed) {
    vec acc[CHAINS];
    for (int c = 0; c < CHAINS; c++) acc[c] = SET1(seed + c * 1e-3f);
    vec m = SET1(0.999999f), a = SET1(1e-7f);
    for (long i = 0; i < iterations; i++) {
        #pragma GCC unroll 16
        for (int c = 0; c < CHAINS; c++) acc[c] = FMA(acc[c], m, a);
    }
    vec s = acc[0];
    for (int c = 1; c < CHAINS; c++) s = ADD(s, acc[c]);
    return hsum(s);
}

int main(int argc, char **argv) {
    long iterations = (argc > 1 ? atol(argv[1]) : 100) * 1000000L;
    int repeats = argc > 2 ? atoi(argv[2]) : 7;
    int threads = omp_get_max_threads();
    double *seconds = malloc(repeats * sizeof(double));
    double checksum = 0;
    for (int r = 0; r < repeats; r++) {
        double t0 = now();
        float s = 0;
        #pragma omp parallel reduction(+ : s)
        s += run(iterations, 1.0f + omp_get_thread_num());
        seconds[r] = now() - t0;
        checksum += s;
    }
    qsort(seconds, repeats, sizeof(double), by_value);
    double flops = 2.0 * LANES * CHAINS * (double)iterations * threads;
    printf("{\"program\":\"fma_peak\",\"isa\":\"%s\",\"lanes\":%d,\"chains\":%d,\"threads\":%d,\"best_gflops\":%.3f,\"median_gflops\":%.3f,\"checksum\":%.6g}\n",
           ISA, LANES, CHAINS, threads, flops / seconds[0] / 1e9, flops / seconds[repeats / 2] / 1e9, checksum);
    return 0;
}
