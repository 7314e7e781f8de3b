/*
 * store_conformance.h - the conformance suite every crumb_store must pass.
 * A third-party store author links tests/store_conformance.c and libcrumb
 * into a test program and calls crumb_store_conformance() with a function
 * that opens a fresh, empty instance of their store. `make install` puts
 * both files in $PREFIX/share/libcrumb (crumb_store(3)).
 */
#ifndef CRUMB_STORE_CONFORMANCE_H
#define CRUMB_STORE_CONFORMANCE_H

#include <stdlib.h>
#include <string.h>
#include "crumb_store.h"

/* Opens a fresh, empty store (NULL on failure). Called once per group. */
typedef crumb_store *crumb_store_open_fn(void *ctx);

/**
 * Run every conformance group against stores from open_fresh. Optional
 * method groups a store leaves NULL are skipped (and reported as skipped).
 * Failures are printed to stderr as file:line with both values.
 * @return the number of failed checks (0 = conformant)
 */
int crumb_store_conformance(crumb_store_open_fn *open_fresh, void *ctx);


#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define SC_POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define SC_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define SC_POISON(p, n) ((void)(p), (void)(n))
#define SC_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

/* A heap copy of the first `size` bytes of src (the slots of an older
 * table version, e.g. CRUMB_STORE_METHODS_V1_SIZE) marked version v, in a
 * block of the full table size whose tail (the slots later versions append)
 * holds 0xa5 bytes: a wrapper that read a slot past the older table would
 * find a non-NULL garbage pointer and crash, and under ASan the tail is
 * poisoned, so even the read is reported. NULL on allocation failure;
 * release with sc_table_free. */
static inline crumb_store_methods *sc_table(const crumb_store_methods *src, int v, size_t size)
{
    unsigned char *b = (unsigned char *)malloc(sizeof(crumb_store_methods));
    if (b == NULL)
        return NULL;
    memcpy(b, src, size);
    memset(b + size, 0xa5, sizeof(crumb_store_methods) - size);
    SC_POISON(b + size, sizeof(crumb_store_methods) - size);
    crumb_store_methods *t = (crumb_store_methods *)(void *)b;
    t->version = v;
    return t;
}

static inline void sc_table_free(crumb_store_methods *t)
{
    if (t == NULL)
        return;
    SC_UNPOISON((unsigned char *)t, sizeof(crumb_store_methods));
    free(t);
}

/* sc_table of a version-1 table's bytes. */
static inline crumb_store_methods *sc_v1_table(const crumb_store_methods *src, int v)
{
    return sc_table(src, v, CRUMB_STORE_METHODS_V1_SIZE);
}

static inline void sc_v1_free(crumb_store_methods *t)
{
    sc_table_free(t);
}

#endif
