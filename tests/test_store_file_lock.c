/*
 * test_store_file_lock.c - file store lock waits are bounded by time: with
 * another process holding every stripe lock (a stuck holder), calls with
 * lock_timeout_ms = 500 return CRUMB_E_TIMEOUT no earlier than the timeout,
 * a lone caller within 1.5x of it and each of 200 threads waiting at once
 * within 3x (the old 100 us poll counted iterations, not time: a lone
 * caller took ~1.1 s, and the pollers starved each other). The bounds
 * leave hundreds of ms for scheduling; speed figures live in
 * bench/bench_contention.c.
 */
#include "check.h"
#include "crumb_store.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#define T0 1700000000LL
#define TIMEOUT_MS 500u
#define NTHREADS 200

static crumb_store *st;
static char dir[64];

static double mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Fork a child that flocks all 64 lock files of the store and waits;
 * returns its pid once it holds them. */
static pid_t stuck_holder(void)
{
    int p[2];
    if (pipe(p) != 0)
        abort();
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        for (int i = 0; i < 64; i++) {
            char path[128];
            snprintf(path, sizeof path, "%s/lock/%02x", dir, i);
            int fd = open(path, O_RDWR | O_CREAT, 0600);
            if (fd < 0 || flock(fd, LOCK_EX) != 0)
                _exit(2);
        }
        if (write(p[1], "x", 1) != 1)
            _exit(2);
        for (;;)
            pause();
    }
    char c;
    close(p[1]);
    if (read(p[0], &c, 1) != 1)
        abort();
    close(p[0]);
    return pid;
}

typedef struct result {
    crumb_err rc;
    double ms;
} result;

/* One writer: a device sighting of the same user (throttle off: it writes). */
static void *writer(void *arg)
{
    result *r = arg;
    crumb_store_sighting sg = {.device = {{1, 2, 3}}, .label = "l"};
    double t = mono_ms();
    r->rc = crumb_store_device_seen(st, "t", "alice", &sg, T0, NULL);
    r->ms = mono_ms() - t;
    return NULL;
}

/* Every call returned CRUMB_E_TIMEOUT, none before the timeout, none later
 * than `factor` times it; prints the slowest. */
static void judge(const result *r, int n, double factor, const char *what)
{
    double worst = 0;
    for (int i = 0; i < n; i++) {
        CHECK_INT(r[i].rc, CRUMB_E_TIMEOUT);
        CHECK(r[i].ms >= TIMEOUT_MS - 2.0);
        CHECK(r[i].ms <= factor * TIMEOUT_MS);
        if (r[i].ms > worst)
            worst = r[i].ms;
    }
    printf("%s: %d call(s), slowest %.0f ms (timeout %u ms)\n", what, n, worst, TIMEOUT_MS);
}

int main(void)
{
    check_seed();
    char base[] = "/tmp/crumb-lock-XXXXXX";
    if (mkdtemp(base) == NULL)
        return 2;
    snprintf(dir, sizeof dir, "%s/store", base);
    crumb_store_file_config cfg = {.lock_timeout_ms = TIMEOUT_MS, .throttle = -1, .no_fsync = 1};
    CHECK_OK(crumb_store_file_open(&st, dir, &cfg));
    if (st == NULL)
        return check_done("test_store_file_lock");
    result one;
    writer(&one); /* no holder: succeeds at once */
    CHECK_OK(one.rc);

    pid_t holder = stuck_holder();
    writer(&one);
    judge(&one, 1, 1.5, "one caller");
    double t = mono_ms();
    result r_all = {CRUMB_OK, 0};
    r_all.rc = crumb_store_revoke_all(st, T0, T0);
    r_all.ms = mono_ms() - t;
    judge(&r_all, 1, 1.5, "revoke_all");

    static result r[NTHREADS];
    pthread_t th[NTHREADS];
    for (int i = 0; i < NTHREADS; i++)
        CHECK_INT(pthread_create(&th[i], NULL, writer, &r[i]), 0);
    for (int i = 0; i < NTHREADS; i++)
        pthread_join(th[i], NULL);
    judge(r, NTHREADS, 3.0, "200 threads");

    kill(holder, SIGKILL);
    waitpid(holder, NULL, 0);
    writer(&one); /* the holder is gone: the lock is free again */
    CHECK_OK(one.rc);
    crumb_store_close(st);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", base);
    CHECK_INT(system(cmd), 0);
    return check_done("test_store_file_lock");
}
