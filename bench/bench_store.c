/*
 * bench_store.c - store figures: ops/s medians of check, get and put for the
 * memory and file stores, beside a baseline of a bare open()+read()+close()
 * of a small file, and the memory store's check path from 1 and 2 threads
 * (aggregate rate; the read path should scale). `bench_store OP STORE N`
 * runs only the measured loop (function bench_loop) for callgrind
 * instruction counts.
 */
#include "bench.h"
#include "crumb_store.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define T0 1700000000LL
#define NKEYS 1024

static crumb_store *st;
static char basefile[128];
static uint8_t data[205];

/* The measured loop: n operations of kind op, on keys from start on. */
__attribute__((noinline)) static void bench_loop(const char *op, long start, long n)
{
    uint8_t buf[512];
    size_t len;
    for (long i = start; i < start + n; i++) {
        crumb_store_key k;
        memset(&k, 0, sizeof k);
        k.b[0] = (uint8_t)(i % NKEYS);
        k.b[1] = (uint8_t)((i % NKEYS) >> 8);
        crumb_store_id fam = {{k.b[0], k.b[1]}};
        if (op[0] == 'c') {
            crumb_store_check_req q = {&k, &fam, 1, "tenant", "user", NULL, T0, T0 + 1};
            crumb_store_check_res r;
            if (crumb_store_check(st, &q, &r) != CRUMB_OK)
                abort();
        } else if (op[0] == 'g') {
            if (crumb_store_get(st, &k, buf, sizeof buf, &len, NULL, NULL, T0) != CRUMB_OK)
                abort();
        } else if (op[0] == 'p') {
            if (crumb_store_put(st, &k, data, sizeof data, T0 + 3600, CRUMB_STORE_VERSION_ANY,
                                NULL, T0) != CRUMB_OK)
                abort();
        } else { /* baseline */
            int fd = open(basefile, O_RDONLY);
            if (fd < 0 || read(fd, buf, sizeof buf) <= 0)
                abort();
            close(fd);
        }
    }
}

/* Open the named store with NKEYS session records and families. */
static void setup(const char *store, const char *dir)
{
    crumb_err e;
    if (strcmp(store, "memory") == 0) {
        e = crumb_store_memory_open(&st, NULL);
    } else {
        e = crumb_store_file_open(&st, dir, NULL);
    }
    if (e != CRUMB_OK) {
        fprintf(stderr, "open %s: %s\n", store, crumb_strerror(e));
        exit(1);
    }
    memset(data, 0x42, sizeof data);
    for (int i = 0; i < NKEYS; i++) {
        crumb_store_key k;
        memset(&k, 0, sizeof k);
        k.b[0] = (uint8_t)i;
        k.b[1] = (uint8_t)(i >> 8);
        crumb_store_id fam = {{k.b[0], k.b[1]}};
        if (crumb_store_put(st, &k, data, sizeof data, T0 + 3600, CRUMB_STORE_VERSION_ANY, NULL,
                            T0) != CRUMB_OK ||
            crumb_store_family_advance(st, &fam, 0, 1, T0 + 3600, T0, NULL) != CRUMB_OK)
            exit(1);
    }
    snprintf(basefile, sizeof basefile, "%s.base", dir);
    int fd = open(basefile, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || write(fd, data, sizeof data) != (ssize_t)sizeof data)
        exit(1);
    close(fd);
}

/* Median ops/s over 5 runs of n operations. */
static double median_ops(const char *op, long n)
{
    double r[5];
    for (int i = 0; i < 5; i++) {
        double t = now_s();
        bench_loop(op, 0, n);
        r[i] = (double)n / (now_s() - t);
    }
    qsort(r, 5, sizeof r[0], cmp_d);
    return r[2];
}

/* One checking thread: n checks starting at key `start`. */
typedef struct thr_arg {
    long start, n;
    double cpu; /* thread CPU seconds spent in the loop */
} thr_arg;

/* CPU time of the calling thread in seconds. */
static double thread_cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *thr_main(void *p)
{
    thr_arg *a = p;
    double c0 = thread_cpu();
    bench_loop("check", a->start, a->n);
    a->cpu = thread_cpu() - c0;
    return NULL;
}

static double last_cpu_ns; /* CPU ns per check of the last threads_once */

/* Aggregate checks/s of nt threads (each n checks on its own key range). */
static double threads_once(int nt, long n)
{
    pthread_t t[2];
    thr_arg a[2];
    double t0 = now_s();
    for (int i = 0; i < nt; i++) {
        a[i] = (thr_arg){i * (NKEYS / 2), n, 0};
        if (pthread_create(&t[i], NULL, thr_main, &a[i]) != 0)
            exit(1);
    }
    double cpu = 0;
    for (int i = 0; i < nt; i++) {
        pthread_join(t[i], NULL);
        cpu += a[i].cpu;
    }
    last_cpu_ns = cpu * 1e9 / ((double)nt * (double)n);
    return (double)nt * (double)n / (now_s() - t0);
}

/* Memory store: check rate with 1 and 2 threads, medians of 7 runs each
 * (interleaved, so load from other processes hits both alike). */
static void bench_threads(void)
{
    enum { RUNS = 7 };
    double r1[RUNS], r2[RUNS], q[RUNS], c1[RUNS], c2[RUNS];
    const long n = 400000;
    for (int i = 0; i < RUNS; i++) {
        r1[i] = threads_once(1, n);
        c1[i] = last_cpu_ns;
        r2[i] = threads_once(2, n);
        c2[i] = last_cpu_ns;
        q[i] = r2[i] / r1[i];
    }
    qsort(r1, RUNS, sizeof r1[0], cmp_d);
    qsort(r2, RUNS, sizeof r2[0], cmp_d);
    qsort(q, RUNS, sizeof q[0], cmp_d);
    qsort(c1, RUNS, sizeof c1[0], cmp_d);
    qsort(c2, RUNS, sizeof c2[0], cmp_d);
    printf("memory check, 1 thread : %10.0f checks/s (median of %d), %.0f ns CPU/check\n",
           r1[RUNS / 2], RUNS, c1[RUNS / 2]);
    printf("memory check, 2 threads: %10.0f checks/s aggregate, %.0f ns CPU/check\n",
           r2[RUNS / 2], c2[RUNS / 2]);
    printf("2 threads / 1 thread   : %.2fx (median of per-run ratios; min %.2f max %.2f)\n",
           q[RUNS / 2], q[0], q[RUNS - 1]);
}

int main(int argc, char **argv)
{
    char dir[] = "/tmp/crumb-bench-XXXXXX";
    if (mkdtemp(dir) == NULL)
        return 1;
    char sdir[64];
    snprintf(sdir, sizeof sdir, "%s/s", dir);
    if (argc == 4) { /* callgrind mode */
        setup(argv[2], sdir);
        bench_loop(argv[1], 0, atol(argv[3]));
    } else {
        static const char *stores[] = {"memory", "file"};
        printf("%-8s %-9s %14s\n", "store", "op", "ops/s (median of 5)");
        for (int s = 0; s < 2; s++) {
            char d2[80];
            snprintf(d2, sizeof d2, "%s/%s", dir, stores[s]);
            setup(stores[s], d2);
            long n = s == 0 ? 200000 : 2000;
            printf("%-8s %-9s %14.0f\n", stores[s], "check", median_ops("check", n));
            printf("%-8s %-9s %14.0f\n", stores[s], "get", median_ops("get", n));
            printf("%-8s %-9s %14.0f\n", stores[s], "put", median_ops("put", s == 0 ? n : 200));
            if (s == 1)
                printf("%-8s %-9s %14.0f\n", "-", "open+read", median_ops("base", n));
            if (s == 0)
                bench_threads();
            crumb_store_close(st);
        }
    }
    crumb_store_close(argc == 4 ? st : NULL);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : 1;
}
