// OpenBLAS SGEMM: C (n, n) = op(A) (n, n) @ op(B) (n, n) for the layouts nn, nt (B transposed) and tn
// (A transposed), the reference for piece4j's matrix products.
//
//   gcc -O2 sgemm_openblas.c -o sgemm_openblas -lopenblas
//   OPENBLAS_NUM_THREADS=T ./sgemm_openblas SIZE:LAYOUT ...      e.g. 1024:nn 2048:tn
//
// Each product is warmed up for about a second, then timed in ROUNDS rounds of at least 0.3 s; the best
// and the median round are printed (GFLOP/s = 2 n^3 / seconds per call). The first line names the
// OpenBLAS build and the core type whose kernels ran (OPENBLAS_CORETYPE chooses it in a DYNAMIC_ARCH build).
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ROUNDS 7

char *openblas_get_corename(void);
char *openblas_get_config(void);
int openblas_get_num_threads(void);

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
    printf("{\"program\":\"sgemm_openblas\",\"core\":\"%s\",\"config\":\"%s\",\"threads\":%d}\n",
           openblas_get_corename(), openblas_get_config(), openblas_get_num_threads());
    for (int arg = 1; arg < argc; arg++) {
        int n = atoi(argv[arg]);
        const char *layout = strchr(argv[arg], ':') ? strchr(argv[arg], ':') + 1 : "nn";
        if (n <= 0 || strlen(layout) != 2) { fprintf(stderr, "sgemm_openblas: bad shape %s (want SIZE:nn|nt|tn)\n", argv[arg]); return 2; }
        enum CBLAS_TRANSPOSE ta = layout[0] == 't' ? CblasTrans : CblasNoTrans, tb = layout[1] == 't' ? CblasTrans : CblasNoTrans;
        size_t elems = (size_t)n * n;
        float *a = malloc(elems * sizeof(float)), *b = malloc(elems * sizeof(float)), *c = malloc(elems * sizeof(float));
        srand(7);
        for (size_t i = 0; i < elems; i++) { a[i] = rand() / (float)RAND_MAX - 0.5f; b[i] = rand() / (float)RAND_MAX - 0.5f; c[i] = 0; }

        long calls = 0;
        double t0 = now();
        while (now() - t0 < 1.0) { cblas_sgemm(CblasRowMajor, ta, tb, n, n, n, 1.0f, a, n, b, n, 0.0f, c, n); calls++; }
        long per_round = calls * 0.3 / (now() - t0);
        if (per_round < 1) per_round = 1;
        double seconds[ROUNDS];
        for (int r = 0; r < ROUNDS; r++) {
            double s = now();
            for (long i = 0; i < per_round; i++) cblas_sgemm(CblasRowMajor, ta, tb, n, n, n, 1.0f, a, n, b, n, 0.0f, c, n);
            seconds[r] = (now() - s) / per_round;
        }
        qsort(seconds, ROUNDS, sizeof(double), by_value);
        double flops = 2.0 * n * n * (double)n;
        printf("{\"program\":\"sgemm_openblas\",\"size\":%d,\"layout\":\"%s\",\"best_gflops\":%.3f,\"median_gflops\":%.3f,\"c0\":%.6g}\n",
               n, layout, flops / seconds[0] / 1e9, flops / seconds[ROUNDS / 2] / 1e9, c[0]);
        free(a); free(b); free(c);
    }
    return 0;
}
