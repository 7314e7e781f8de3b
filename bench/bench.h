/*
 * bench.h - timing helpers shared by the bench programs: a monotonic clock
 * in seconds and the comparison used to take medians.
 */
#ifndef CRUMB_BENCH_H
#define CRUMB_BENCH_H

#include <time.h>

/* Monotonic time in seconds. */
static inline double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* qsort comparison of doubles, for medians. */
static inline int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

#endif
