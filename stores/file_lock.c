/*
 * file_lock.c - the file store's stripe locks, bounded by a CLOCK_MONOTONIC
 * deadline: threads of a process queue FIFO on an in-process gate (timed
 * condvar wait, no CPU); the gate's holder alone takes the flock() across
 * processes, waiting between tries for inotify to report a release.
 */
#include "file_store.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/file.h>
#if defined(__linux__)
#include <sys/inotify.h>
#endif
#include <time.h>
#include <unistd.h>

#define GATES 256u              /* process-wide; (store directory, stripe) hash here */
#define BACKOFF_MIN_NS 50000L    /* first flock retry after 50 us ... */
#define BACKOFF_MAX_NS 2000000L  /* ... doubling up to 2 ms (no inotify) */
#define WATCH_MAX_NS 50000000L   /* with inotify: re-try at least every 50 ms */

/* A thread waiting on a gate (on its stack). */
typedef struct waiter {
    pthread_cond_t cv;
    int granted;
    struct waiter *next;
} waiter;

/* One gate: held by at most one thread of the process; FIFO hand-off. */
typedef struct gate {
    pthread_mutex_t mu;
    int busy;
    waiter *head, *tail;
} gate;

static gate gates[GATES];
static pthread_once_t gates_once = PTHREAD_ONCE_INIT;
static pthread_condattr_t mono_attr;

static void gates_init(void)
{
    for (unsigned i = 0; i < GATES; i++)
        pthread_mutex_init(&gates[i].mu, NULL);
    pthread_condattr_init(&mono_attr);
    pthread_condattr_setclock(&mono_attr, CLOCK_MONOTONIC);
}

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* The gate of (store, stripe of h). */
static gate *gate_of(const file_store *fs, const uint8_t h[32])
{
    uint64_t x = (fs->gate_key + (h[0] & (FS_STRIPES - 1))) * 0x9e3779b97f4a7c15ull;
    return &gates[(x >> 56) % GATES];
}

/* Unlink w from g's queue (g->mu held). */
static void dequeue(gate *g, waiter *w)
{
    waiter **pp = &g->head, *prev = NULL;
    while (*pp != NULL && *pp != w)
        prev = *pp, pp = &(*pp)->next;
    if (*pp == NULL)
        return;
    *pp = w->next;
    if (g->tail == w)
        g->tail = prev;
}

/* Enter gate g by the deadline (CLOCK_MONOTONIC ns). CRUMB_OK or
 * CRUMB_E_TIMEOUT. */
static crumb_err gate_enter(gate *g, int64_t deadline)
{
    pthread_mutex_lock(&g->mu);
    if (!g->busy) {
        g->busy = 1;
        pthread_mutex_unlock(&g->mu);
        return CRUMB_OK;
    }
    waiter w = {.granted = 0, .next = NULL};
    pthread_cond_init(&w.cv, &mono_attr);
    if (g->tail)
        g->tail->next = &w;
    else
        g->head = &w;
    g->tail = &w;
    struct timespec ts = {(time_t)(deadline / 1000000000), (long)(deadline % 1000000000)};
    while (!w.granted)
        if (pthread_cond_timedwait(&w.cv, &g->mu, &ts) == ETIMEDOUT && !w.granted) {
            dequeue(g, &w);
            break;
        }
    int got = w.granted;
    pthread_mutex_unlock(&g->mu);
    pthread_cond_destroy(&w.cv);
    return got ? CRUMB_OK : CRUMB_E_TIMEOUT;
}

/* Leave gate g: hand it to the first waiter, if any. */
static void gate_leave(gate *g)
{
    pthread_mutex_lock(&g->mu);
    waiter *w = g->head;
    if (w != NULL) {
        g->head = w->next;
        if (g->head == NULL)
            g->tail = NULL;
        w->granted = 1; /* busy stays set: w owns the gate now */
        pthread_cond_signal(&w->cv);
    } else {
        g->busy = 0;
    }
    pthread_mutex_unlock(&g->mu);
}

/* One non-blocking flock: CRUMB_OK, CRUMB_E_TIMEOUT (held: wait), CRUMB_E_IO. */
static crumb_err flock_try(int fd)
{
    for (;;) {
        if (flock(fd, LOCK_EX | LOCK_NB) == 0)
            return CRUMB_OK;
        if (errno != EINTR)
            return errno == EWOULDBLOCK ? CRUMB_E_TIMEOUT : CRUMB_E_IO;
    }
}

#if defined(__linux__) && defined(F_OFD_GETLK)
/* Waiters hold a shared OFD lock on byte 1 of the lock file (the flock is
 * separate: Linux keeps flock and fcntl locks apart). 1 if some process
 * waits, 0 if none (or OFD locks are unavailable). */
static int others_wait(int fd)
{
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 1, .l_len = 1};
    return fcntl(fd, F_OFD_GETLK, &fl) == 0 && fl.l_type != F_UNLCK;
}

/* Register as a waiter (see others_wait) and return an inotify descriptor
 * that becomes readable when some process closes the lock file, i.e.
 * releases it (also by dying); -1 without inotify (then the caller backs
 * off). Closing fd ends the registration. */
static int wait_setup(int fd)
{
    struct flock fl = {.l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 1, .l_len = 1};
    (void)fcntl(fd, F_OFD_SETLK, &fl);
    char proc[40];
    int in = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    if (in >= 0 && inotify_add_watch(in, proc, IN_CLOSE) < 0) {
        close(in);
        in = -1;
    }
    return in;
}

/* Stop being a waiter (see others_wait). */
static void wait_done(int fd, int in)
{
    struct flock fl = {.l_type = F_UNLCK, .l_whence = SEEK_SET, .l_start = 1, .l_len = 1};
    (void)fcntl(fd, F_OFD_SETLK, &fl);
    if (in >= 0)
        close(in);
}
#else /* elsewhere: no waiter marks, plain backoff */
static int others_wait(int fd)
{
    (void)fd;
    return 0;
}

static int wait_setup(int fd)
{
    (void)fd;
    return -1;
}

static void wait_done(int fd, int in)
{
    (void)fd, (void)in;
}
#endif

/* Sleep until a release is reported on in (at most WATCH_MAX_NS), or back
 * off (*delay, doubling to BACKOFF_MAX_NS) without inotify; never past
 * `left` ns. */
static void wait_release(int in, int64_t left, long *delay)
{
    if (in >= 0) {
        char ev[512];
        struct pollfd p = {.fd = in, .events = POLLIN};
        int64_t w = left < WATCH_MAX_NS ? left : WATCH_MAX_NS;
        (void)poll(&p, 1, (int)((w + 999999) / 1000000));
        while (read(in, ev, sizeof ev) > 0) /* drain */
            ;
        return;
    }
    struct timespec ts = {0, *delay < left ? *delay : (long)left};
    nanosleep(&ts, NULL);
    if (*delay < BACKOFF_MAX_NS)
        *delay *= 2;
}

/* flock fd exclusively by the deadline. A newcomer that finds processes
 * waiting registers as a waiter before its first try, and every waiter
 * wakes on each release, so the process that just released the lock gets
 * only a few system calls of head start over the ones it woke.
 * CRUMB_OK, CRUMB_E_TIMEOUT, CRUMB_E_IO. */
static crumb_err flock_until(int fd, int64_t deadline)
{
    crumb_err rc = others_wait(fd) ? CRUMB_E_TIMEOUT : flock_try(fd);
    if (rc != CRUMB_E_TIMEOUT)
        return rc;
    int in = wait_setup(fd); /* before the next try: no release is missed */
    long delay = BACKOFF_MIN_NS;
    while ((rc = flock_try(fd)) == CRUMB_E_TIMEOUT) {
        int64_t left = deadline - mono_ns();
        if (left <= 0)
            break;
        wait_release(in, left, &delay);
    }
    wait_done(fd, in);
    if (rc == CRUMB_E_TIMEOUT)
        stm_set_error("file: record lock wait timed out", NULL);
    return rc;
}

/* see file_store.h */
int crumb__fs_lock(file_store *fs, const uint8_t h[32])
{
    static const char hx[] = "0123456789abcdef";
    unsigned stripe = h[0] & (FS_STRIPES - 1);
    char rel[8] = {'l', 'o', 'c', 'k', '/', hx[stripe >> 4], hx[stripe & 15], '\0'};
    int64_t deadline = mono_ns() + (int64_t)fs->lock_timeout_ms * 1000000;
    pthread_once(&gates_once, gates_init);
    gate *g = gate_of(fs, h);
    crumb_err rc = gate_enter(g, deadline);
    if (rc != CRUMB_OK)
        return -(int)rc;
    int fd = openat(fs->dfd, rel, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        rc = crumb__fs_werr(errno);
    else
        rc = flock_until(fd, deadline);
    if (rc == CRUMB_OK)
        return fd;
    if (fd >= 0)
        close(fd);
    gate_leave(g);
    return -(int)rc;
}

/* see file_store.h */
void crumb__fs_unlock(file_store *fs, const uint8_t h[32], int fd)
{
    if (fd < 0)
        return;
    close(fd); /* closing the description releases the flock */
    gate_leave(gate_of(fs, h));
}
