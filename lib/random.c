/*
 * random.c - the OS random source (libsodium's randombytes when built with
 * libsodium, getrandom(2) otherwise) and crumb_key_generate.
 */
#include "internal.h"

#include <errno.h>
#if CRUMB_HAVE_SODIUM
#include <sodium.h>
#else
#include <sys/random.h>
#endif

/* see internal.h */
int crumb__random_os(void *ctx, uint8_t *buf, size_t n)
{
    (void)ctx;
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

/* see crumb.h */
crumb_err crumb_key_generate(uint8_t key[32])
{
    return crumb__random_os(NULL, key, CRUMB_KEYBYTES) == 0 ? CRUMB_OK : CRUMB_E_RANDOM;
}
