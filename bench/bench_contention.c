/*
 * bench_contention.c - file store writers contending for ONE user's record
 * (a device sighting with the throttle off, so every call rewrites the
 * record): 1, 8, 32 and 200 threads of one process, then 8 and 32
 * processes; ops/s, the slowest call, and calls that timed out.
 * `bench_contention [SECONDS [DIR]]`; CRUMB_BENCH_NOFSYNC=1 skips fsync.
 */
#include "bench.h"
#include "crumb_store.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define T0 1700000000LL

static crumb_store_file_config cfg = {.throttle = -1, .lock_timeout_ms = 5000};
static char dir[256];
static double seconds = 3.0;

typedef struct tally {
    long ok, timeouts, errors;
    double max_ms;
} tally;

/* Write the same user's record until `until` (monotonic s). */
static void run_writer(crumb_store *s, double until, unsigned id, tally *t)
{
    crumb_store_sighting sg = {.label = "bench"};
    memcpy(sg.device.b, &id, sizeof id);
    while (now_s() < until) {
        double t0 = now_s();
        crumb_err e = crumb_store_device_seen(s, "t", "alice", &sg, T0, NULL);
        double ms = (now_s() - t0) * 1e3;
        if (ms > t->max_ms)
            t->max_ms = ms;
        if (e == CRUMB_OK)
            t->ok++;
        else if (e == CRUMB_E_TIMEOUT)
            t->timeouts++;
        else
            t->errors++;
    }
}

typedef struct targ {
    crumb_store *s;
    double until;
    unsigned id;
    tally t;
} targ;

static void *thread_main(void *p)
{
    targ *a = p;
    run_writer(a->s, a->until, a->id % 32, &a->t); /* 32 devices: the user's limit is 64 */
    return NULL;
}

static void report(const char *what, int n, const tally *t, double elapsed)
{
    printf("%-9s %4d  %10.1f  %12.1f  %8ld  %6ld\n", what, n, (double)t->ok / elapsed, t->max_ms,
           t->timeouts, t->errors);
    fflush(stdout);
}

/* n threads of this process on one store instance. */
static void bench_threads(int n)
{
    crumb_store *s = NULL;
    if (crumb_store_file_open(&s, dir, &cfg) != CRUMB_OK)
        exit(1);
    targ *a = calloc((size_t)n, sizeof *a);
    pthread_t *th = calloc((size_t)n, sizeof *th);
    double t0 = now_s();
    for (int i = 0; i < n; i++) {
        a[i] = (targ){.s = s, .until = t0 + seconds, .id = (unsigned)i};
        if (pthread_create(&th[i], NULL, thread_main, &a[i]) != 0)
            exit(1);
    }
    tally sum = {0};
    for (int i = 0; i < n; i++) {
        pthread_join(th[i], NULL);
        sum.ok += a[i].t.ok;
        sum.timeouts += a[i].t.timeouts;
        sum.errors += a[i].t.errors;
        if (a[i].t.max_ms > sum.max_ms)
            sum.max_ms = a[i].t.max_ms;
    }
    report("threads", n, &sum, now_s() - t0);
    free(a);
    free(th);
    crumb_store_close(s);
}

/* n processes, each opening the store itself (as CGI processes do). */
static void bench_procs(int n)
{
    int p[2];
    if (pipe(p) != 0)
        exit(1);
    double t0 = now_s();
    fflush(NULL);
    for (int i = 0; i < n; i++) {
        if (fork() == 0) {
            crumb_store *s = NULL;
            tally t = {0};
            if (crumb_store_file_open(&s, dir, &cfg) == CRUMB_OK)
                run_writer(s, t0 + seconds, (unsigned)i % 32, &t);
            else
                t.errors++;
            crumb_store_close(s);
            _exit(write(p[1], &t, sizeof t) == (ssize_t)sizeof t ? 0 : 1);
        }
    }
    close(p[1]);
    tally sum = {0}, t;
    while (read(p[0], &t, sizeof t) == (ssize_t)sizeof t) {
        sum.ok += t.ok;
        sum.timeouts += t.timeouts;
        sum.errors += t.errors;
        if (t.max_ms > sum.max_ms)
            sum.max_ms = t.max_ms;
    }
    close(p[0]);
    while (wait(NULL) > 0)
        ;
    report("processes", n, &sum, now_s() - t0);
}

int main(int argc, char **argv)
{
    char base[] = "/tmp/crumb-contend-XXXXXX";
    if (argc > 1)
        seconds = atof(argv[1]);
    if (argc > 2) {
        snprintf(dir, sizeof dir, "%s/store", argv[2]);
    } else {
        if (mkdtemp(base) == NULL)
            return 1;
        snprintf(dir, sizeof dir, "%s/store", base);
    }
    cfg.no_fsync = getenv("CRUMB_BENCH_NOFSYNC") != NULL;
    printf("file store, one user's record, %.0f s per row, lock_timeout_ms %u, fsync %s\n",
           seconds, cfg.lock_timeout_ms, cfg.no_fsync ? "off" : "on");
    printf("%-9s %4s  %10s  %12s  %8s  %6s\n", "writers", "n", "ops/s", "max call ms",
           "timeouts", "errors");
    static const int nt[] = {1, 8, 32, 200}, np[] = {8, 32};
    for (size_t i = 0; i < sizeof nt / sizeof nt[0]; i++)
        bench_threads(nt[i]);
    for (size_t i = 0; i < sizeof np / sizeof np[0]; i++)
        bench_procs(np[i]);
    if (argc <= 2) {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", base);
        return system(cmd) == 0 ? 0 : 1;
    }
    return 0;
}
