/*
 * random.c - the OS random source (libsodium's randombytes when built with
 * libsodium, getrandom(2) otherwise) behind a per-thread buffer, so nonce
 * and id draws cost a copy, not a system call each; and crumb_key_generate
 * (keys always come straight from the OS).
 */
#include "internal.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#if CRUMB_HAVE_SODIUM
#include <sodium.h>
#else
#include <sys/random.h>
#endif

/* Draws of at most SMALL bytes are served from the buffer; a refill takes
 * POOL bytes from the OS. */
#define POOL 512u
#define SMALL 64u

/* Fork safety: a child must never replay its parent's buffered bytes (a
 * pre-forking server's children would otherwise all seal with the same
 * nonces). pthread_atfork's child handler bumps fork_gen; a thread whose
 * buffer was filled under an older generation throws it away. This covers
 * fork(), posix_spawn and daemon(); a raw clone(2) that skips the atfork
 * handlers is not covered (nor is it by libsodium or OpenSSL's DRBG).
 * glibc drops the atfork handler when a dlopen'ed libcrumb is unloaded;
 * the thread-exit wipe (a pthread key destructor) assumes the library stays
 * loaded while threads that drew from it are alive. */
static atomic_uint fork_gen;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static pthread_key_t wipe_key;
static int key_ok;

struct pool {
    uint8_t buf[POOL];
    size_t pos; /* bytes [pos, POOL) are unused; used ones are zeroed */
    unsigned gen;
    int filled;
};
static _Thread_local struct pool tl;

/* Fill buf from the OS source; 0, or -1. */
static int os_draw(uint8_t *buf, size_t n)
{
#if CRUMB_HAVE_SODIUM
    if (sodium_init() < 0)
        return -1;
    randombytes_buf(buf, n);
    return 0;
#else
    while (n > 0) {
        ssize_t r = getrandom(buf, n, 0);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        buf += r;
        n -= (size_t)r;
    }
    return 0;
#endif
}

static void on_fork_child(void)
{
    atomic_fetch_add_explicit(&fork_gen, 1, memory_order_relaxed);
}

/* Thread exit: wipe the thread's unused bytes. */
static void wipe_pool(void *p)
{
    crumb_wipe(p, sizeof tl);
}

static void setup(void)
{
    (void)pthread_atfork(NULL, NULL, on_fork_child);
    key_ok = pthread_key_create(&wipe_key, wipe_pool) == 0;
}

/* see internal.h */
int crumb__random_os(void *ctx, uint8_t *buf, size_t n)
{
    (void)ctx;
    if (n > SMALL)
        return os_draw(buf, n);
    pthread_once(&once, setup);
    unsigned gen = atomic_load_explicit(&fork_gen, memory_order_relaxed);
    if (!tl.filled || tl.gen != gen || POOL - tl.pos < n) {
        if (os_draw(tl.buf, POOL) != 0) {
            crumb_wipe(&tl, sizeof tl);
            return -1;
        }
        if (!tl.filled && key_ok)
            (void)pthread_setspecific(wipe_key, &tl);
        tl.pos = 0;
        tl.gen = gen;
        tl.filled = 1;
    }
    memcpy(buf, tl.buf + tl.pos, n);
    crumb_wipe(tl.buf + tl.pos, n); /* what was handed out is not kept */
    tl.pos += n;
    return 0;
}

/* see crumb.h */
crumb_err crumb_key_generate(uint8_t key[32])
{
    return os_draw(key, CRUMB_KEYBYTES) == 0 ? CRUMB_OK : CRUMB_E_RANDOM;
}
