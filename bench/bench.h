/*
 * bench.h - timing helpers shared by the bench programs: a monotonic clock,
 * CPU time (user + system), and the comparison used to take medians.
 */
#ifndef CRUMB_BENCH_H
#define CRUMB_BENCH_H

#include <sys/resource.h>
#include <time.h>

/* Monotonic time in seconds. */
static inline double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU time of this process (user + system) in seconds: what the peers
 * comparison uses, so kernel work (system calls) counts. */
static inline double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* Operations per CPU second of fn, run in batches of 256 until secs of CPU
 * time have passed. */
static inline double cpu_rate(double secs, void (*fn)(void))
{
    long n = 0;
    double t0 = cpu_s(), t;
    do {
        for (int i = 0; i < 256; i++)
            fn();
        n += 256;
    } while ((t = cpu_s() - t0) < secs);
    return (double)n / t;
}

/* qsort comparison of doubles, for medians. */
static inline int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

#endif
