// Streaming-read bandwidth: the rate at which T threads can read a buffer much larger than the caches,
// which bounds batch-1 decoding (every weight is read once per token).
//
//   gcc -O3 -march=native -fopenmp stream_read.c -o stream_read
//   OMP_NUM_THREADS=T ./stream_read [MiB] [passes]
//
// Each pass sums the whole buffer (the sum is printed so the reads cannot be optimised away). The buffer
// is first written by the threads that will read it (first touch puts the pages near them). Output: one
// JSON line with the best and the median pass in GB/s (1e9 bytes per second).
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

typedef float v16 __attribute__((vector_size(64))); // 16 floats: one AVX-512 register, or two or four narrower ones

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

static int by_value(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    size_t mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 1024;
    int passes = argc > 2 ? atoi(argv[2]) : 12;
    size_t n = mib * 1024 * 1024 / sizeof(float) / 64 * 64; // whole blocks of four vectors
    float *x = aligned_alloc(64, n * sizeof(float));
    if (!x) { fprintf(stderr, "stream_read: cannot allocate %zu MiB\n", mib); return 1; }
    #pragma omp parallel
    {   // first touch by the same split of blocks as the reads below
        size_t blocks = n / 64, per = (blocks + omp_get_num_threads() - 1) / omp_get_num_threads();
        size_t from = per * omp_get_thread_num(), to = from + per < blocks ? from + per : blocks;
        for (size_t i = from * 64; i < to * 64; i++) x[i] = (float)(i & 1023) * 1e-3f;
    }

    double *seconds = malloc(passes * sizeof(double));
    double total = 0;
    for (int p = 0; p < passes; p++) {
        double t0 = now();
        // per thread, four independent 64-byte vector sums keep several loads and adds in flight
        float s = 0;
        #pragma omp parallel reduction(+ : s)
        {
            size_t blocks = n / 64, per = (blocks + omp_get_num_threads() - 1) / omp_get_num_threads();
            size_t from = per * omp_get_thread_num(), to = from + per < blocks ? from + per : blocks;
            const v16 *v = (const v16 *)x;
            v16 s0 = {0}, s1 = {0}, s2 = {0}, s3 = {0};
            for (size_t blk = from; blk < to; blk++) {
                s0 += v[4 * blk]; s1 += v[4 * blk + 1]; s2 += v[4 * blk + 2]; s3 += v[4 * blk + 3];
            }
            v16 t = (s0 + s1) + (s2 + s3);
            for (int l = 0; l < 16; l++) s += t[l];
        }
        seconds[p] = now() - t0;
        total += s;
    }
    qsort(seconds, passes, sizeof(double), by_value);
    double bytes = (double)n * sizeof(float);
    printf("{\"program\":\"stream_read\",\"threads\":%d,\"bytes\":%.0f,\"passes\":%d,\"best_gbps\":%.3f,\"median_gbps\":%.3f,\"checksum\":%.6g}\n",
           omp_get_max_threads(), bytes, passes, bytes / seconds[0] / 1e9, bytes / seconds[passes / 2] / 1e9, total);
    return 0;
}
