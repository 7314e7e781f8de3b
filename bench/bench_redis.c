/*
 * bench_redis.c - Redis store throughput: check (session + family + user +
 * device rules, one pipelined round trip), get and put of a 200-byte
 * record, single-threaded and with 4 threads sharing one store, the same
 * check answered by the cache wrapper (stores/cache.c), beside
 * `redis-benchmark -t get,set -n 100000 -q` (the ceiling) from the same run
 * against the same server. Uses CRUMB_REDIS_URL if set (redis-benchmark is
 * then skipped), else starts a private redis-server on a random loopback
 * port. Prints "SKIP" and exits 0 without hiredis or redis-server.
 */
#include "bench.h"
#include "crumb_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if !CRUMB_HAVE_REDIS

int main(void)
{
    printf("SKIP: built without hiredis\n");
    return 0;
}

#else

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SECONDS 1.0
#define THREADS 4

static crumb_store *store;
static int64_t T;
static uint8_t data[200];

/* One operation of kind op ('c' check, 'g' get, 'p' put) on record i. */
static int one_op(int op, unsigned i)
{
    crumb_store_key k;
    crumb_store_id f, d;
    memset(&k, 0x11, sizeof k);
    memset(&f, 0x22, sizeof f);
    memset(&d, 0x33, sizeof d);
    memcpy(k.b, &i, sizeof i);
    if (op == 'c') {
        crumb_store_check_req q = {&k, &f, 1, "t", "user@example.com", &d, T, T};
        crumb_store_check_res r;
        return crumb_store_check(store, &q, &r) == CRUMB_OK ? 0 : -1;
    }
    if (op == 'g') {
        uint8_t buf[256];
        size_t len;
        return crumb_store_get(store, &k, buf, sizeof buf, &len, NULL, NULL, T) == CRUMB_OK ? 0
                                                                                          : -1;
    }
    return crumb_store_put(store, &k, data, sizeof data, T + 3600, CRUMB_STORE_VERSION_ANY, NULL,
                           T) == CRUMB_OK
               ? 0
               : -1;
}

typedef struct job {
    int op;
    unsigned base;
    long n;
    int err;
} job;

/* Run op for SECONDS; count in j->n. */
static void *run_job(void *arg)
{
    job *j = arg;
    double end = now_s() + SECONDS;
    j->n = 0;
    while (now_s() < end)
        for (int b = 0; b < 64; b++, j->n++)
            if (one_op(j->op, j->base + (unsigned)(j->n % 1000)) != 0)
                j->err = 1;
    return NULL;
}

/* ops/s of op with nthreads threads sharing the store. */
static double measure(int op, int nthreads)
{
    pthread_t th[THREADS];
    job jobs[THREADS];
    double t0 = now_s();
    for (int i = 0; i < nthreads; i++) {
        jobs[i] = (job){op, (unsigned)i * 1000u, 0, 0};
        pthread_create(&th[i], NULL, run_job, &jobs[i]);
    }
    long total = 0;
    for (int i = 0; i < nthreads; i++) {
        pthread_join(th[i], NULL);
        total += jobs[i].n;
        if (jobs[i].err)
            fprintf(stderr, "bench_redis: errors during op %c\n", op);
    }
    return (double)total / (now_s() - t0);
}

static pid_t server_pid;
static char dir[64] = "/tmp/crumb-bench-redis-XXXXXX";

/* Start a private redis-server; returns its port or -1. */
static int start_server(void)
{
    if (mkdtemp(dir) == NULL)
        return -1;
    srand((unsigned)time(NULL) ^ (unsigned)getpid());
    for (int attempt = 0; attempt < 20; attempt++) {
        int port = 20000 + rand() % 40000;
        char ps[16];
        snprintf(ps, sizeof ps, "%d", port);
        pid_t pid = fork();
        if (pid == 0) {
            int fd = open("/dev/null", O_RDWR);
            if (fd >= 0)
                dup2(fd, 1), dup2(fd, 2);
            execlp("redis-server", "redis-server", "--port", ps, "--bind", "127.0.0.1",
                   "--save", "", "--appendonly", "no", "--daemonize", "no", "--dir", dir,
                   (char *)NULL);
            _exit(127);
        }
        for (int i = 0; i < 300; i++) {
            int st;
            if (waitpid(pid, &st, WNOHANG) == pid) {
                if (WIFEXITED(st) && WEXITSTATUS(st) == 127)
                    return -1;
                break;
            }
            char url[64];
            snprintf(url, sizeof url, "redis://127.0.0.1:%d", port);
            crumb_store_redis_config cfg = {.url = url, .retry_interval_ms = 1};
            crumb_store *s = NULL;
            if (crumb_store_redis_open(&s, &cfg) == CRUMB_OK) {
                crumb_store_close(s);
                server_pid = pid;
                return port;
            }
            usleep(10000);
        }
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
    }
    return -1;
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const char *env = getenv("CRUMB_REDIS_URL");
    char url[256];
    int port = -1;
    if (env && *env) {
        snprintf(url, sizeof url, "%s", env);
    } else {
        port = start_server();
        if (port < 0) {
            printf("SKIP: could not start redis-server\n");
            rmdir(dir);
            return 0;
        }
        snprintf(url, sizeof url, "redis://127.0.0.1:%d", port);
    }
    crumb_store_redis_config cfg = {.url = url, .prefix = "bench:", .pool_size = THREADS};
    crumb_err e = crumb_store_redis_open(&store, &cfg);
    if (e != CRUMB_OK) {
        fprintf(stderr, "bench_redis: open %s: %s\n", url, crumb_strerror(e));
        return 1;
    }
    T = (int64_t)time(NULL);
    memset(data, 0xab, sizeof data);
    for (unsigned i = 0; i < THREADS * 1000u; i++) /* records for get */
        one_op('p', i);
    crumb_store_id d;
    memset(&d, 0x33, sizeof d);
    crumb_store_sighting sg = {d, {1}, "bench", NULL, NULL};
    (void)crumb_store_device_seen(store, "t", "user@example.com", &sg, T, NULL);

    printf("Redis store, 200-byte records, %s\n", url);
    printf("%-28s %12s %12s\n", "op", "1 thread", "4 threads");
    const struct {
        int op;
        const char *name;
    } ops[] = {{'c', "check (4 rules + family)"}, {'g', "get"}, {'p', "put (unconditional)"}};
    for (size_t i = 0; i < 3; i++) {
        double one = measure(ops[i].op, 1);
        double four = measure(ops[i].op, THREADS);
        printf("%-28s %12.0f %12.0f\n", ops[i].name, one, four);
    }
    /* the same checks through a process-local cache (1000 distinct
     * requests per thread, all hits after the first pass) */
    crumb_store *redis = store, *cache = NULL;
    crumb_store_cache_config cc = {.ttl = 3600, .max_entries = 10000};
    if (crumb_store_cache_open(&cache, redis, &cc) == CRUMB_OK) {
        store = cache;
        double one = measure('c', 1);
        double four = measure('c', THREADS);
        printf("%-28s %12.0f %12.0f\n", "check via cache (hits)", one, four);
        crumb_store_close(cache);
        store = redis;
    }
    crumb_store_close(store);
    if (port > 0) {
        char cmd[160];
        printf("redis-benchmark ceiling (same server, same run):\n");
        fflush(stdout);
        snprintf(cmd, sizeof cmd,
                 "redis-benchmark -p %d -t get,set -n 100000 -q -c 1 2>&1 | "
                 "tr '\\r' '\\n' | grep 'per second'",
                 port);
        printf("  -c 1 (one connection, like 1 thread above):\n");
        fflush(stdout);
        if (system(cmd) != 0)
            printf("  (redis-benchmark failed)\n");
        snprintf(cmd, sizeof cmd,
                 "redis-benchmark -p %d -t get,set -n 100000 -q 2>&1 | "
                 "tr '\\r' '\\n' | grep 'per second'",
                 port);
        printf("  default (50 connections):\n");
        fflush(stdout);
        if (system(cmd) != 0)
            printf("  (redis-benchmark failed)\n");
        kill(server_pid, SIGTERM);
        waitpid(server_pid, NULL, 0);
        char p[128];
        snprintf(p, sizeof p, "%s/dump.rdb", dir);
        unlink(p);
        rmdir(dir);
    }
    return 0;
}

#endif
