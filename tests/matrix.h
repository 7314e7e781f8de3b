/*
 * matrix.h - the store matrix the session tests run over: every store
 * (memory, file in a temp dir, Redis on a private redis-server started on a
 * random loopback port) handed in turn to the test's function, and the
 * redis-server start/stop code (matrix.c) tests/test_store_redis.c uses too;
 * and the seal suites x store modes each store is run over.
 */
#ifndef CRUMB_TEST_MATRIX_H
#define CRUMB_TEST_MATRIX_H

#include "check.h"
#include "crumb.h"
#include "crumb_store.h"

#include <stdint.h>
#include <sys/types.h>

/* How to start a private redis-server. dir must exist; port 0 = pick
 * random loopback ports with rnd (retrying on collisions); aof, sock and
 * log (NULL = off) are --appendonly, --unixsocket and --logfile. */
typedef struct matrix_redis_opts {
    const char *dir;
    int port;
    const char *aof, *sock, *log;
    uint64_t (*rnd)(void);
} matrix_redis_opts;

/* Start redis-server as opts say; its pid once it answers PING (its port
 * in *port), or 0 if it could not be started (or the build has no hiredis). */
pid_t matrix_redis_start(const matrix_redis_opts *opts, int *port);
/* Stop a server matrix_redis_start started (SIGCONT, SIGTERM, wait). */
void matrix_redis_stop(pid_t pid);
/* rm -rf dir; system()'s status (0 = removed). */
int matrix_rmrf(const char *dir);

/* One store of the matrix, as handed to the test's function. */
typedef struct matrix_store {
    crumb_store *st;
    const char *name;  /* "memory", "file" or "redis" */
    pid_t redis_pid;   /* the redis-server's pid (redis only; 0 otherwise) */
} matrix_store;

typedef void matrix_fn(const matrix_store *ms, void *arg);
typedef void matrix_cell_fn(int suite, int mode, void *arg);

/* Call fn(suite, mode, arg) for every seal suite (1, 2, 3) compiled in and
 * every store mode mode_lo..mode_hi; a suite not compiled in is reported
 * ("  suite N not compiled in: skipped") and left out. */
static inline void matrix_suites(int mode_lo, int mode_hi, matrix_cell_fn *fn, void *arg)
{
    static const int suites[] = {CRUMB_SUITE_XCHACHA20POLY1305, CRUMB_SUITE_AES256GCM,
                                 CRUMB_SUITE_HMACSHA256};
    for (size_t i = 0; i < 3; i++) {
        if (!crumb_suite_available(suites[i])) {
            printf("  suite %d not compiled in: skipped\n", suites[i]);
            continue;
        }
        for (int mode = mode_lo; mode <= mode_hi; mode++)
            fn(suites[i], mode, arg);
    }
}

#define MATRIX_MEMORY 1u
#define MATRIX_FILE 2u
#define MATRIX_REDIS 4u
#define MATRIX_ALL 7u

/* Open each store of which (MATRIX_*) in turn, call fn with it, close it.
 * tag names the temp dirs (/tmp/crumb-<tag>-XXXXXX); redis is the config
 * the Redis store is opened with (its url is filled in). Without a
 * redis-server the Redis run prints "SKIP redis: ..." and is left out.
 * Static inline: its CHECKs count in the calling test's summary. */
static inline void matrix_run(unsigned which, const char *tag,
                              const crumb_store_redis_config *redis, matrix_fn *fn, void *arg)
{
    matrix_store ms = {NULL, "memory", 0};
    char dir[64];
    if (which & MATRIX_MEMORY) {
        CHECK_OK(crumb_store_memory_open(&ms.st, NULL));
        fn(&ms, arg);
        crumb_store_close(ms.st);
    }
    if (which & MATRIX_FILE) {
        snprintf(dir, sizeof dir, "/tmp/crumb-%s-XXXXXX", tag);
        CHECK(mkdtemp(dir) != NULL);
        CHECK_OK(crumb_store_file_open(&ms.st, dir, NULL));
        ms.name = "file";
        fn(&ms, arg);
        crumb_store_close(ms.st);
        CHECK_INT(matrix_rmrf(dir), 0);
    }
    if (!(which & MATRIX_REDIS))
        return;
#if CRUMB_HAVE_REDIS
    char url[64], log[128];
    int port = 0;
    snprintf(dir, sizeof dir, "/tmp/crumb-%s-redis-XXXXXX", tag);
    if (!mkdtemp(dir)) {
        CHECK(0);
        return;
    }
    snprintf(log, sizeof log, "%s/log", dir);
    matrix_redis_opts o = {.dir = dir, .log = log, .rnd = check_rand};
    ms.redis_pid = matrix_redis_start(&o, &port);
    if (!ms.redis_pid) {
        printf("SKIP redis: redis-server could not be started\n");
    } else {
        crumb_store_redis_config cfg = *redis;
        snprintf(url, sizeof url, "redis://127.0.0.1:%d/0", port);
        cfg.url = url;
        ms.st = NULL;
        ms.name = "redis";
        CHECK_OK(crumb_store_redis_open(&ms.st, &cfg));
        if (ms.st)
            fn(&ms, arg);
        crumb_store_close(ms.st);
        matrix_redis_stop(ms.redis_pid);
    }
    CHECK_INT(matrix_rmrf(dir), 0);
#else
    (void)redis;
    printf("SKIP redis: built without hiredis\n");
#endif
}

#endif
