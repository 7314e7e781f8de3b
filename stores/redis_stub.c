/*
 * redis_stub.c - the Redis store's public functions in a build without
 * hiredis (make REDIS=off): they exist and return CRUMB_E_UNAVAILABLE.
 */
#include "crumb_store.h"
#include "internal.h"

#if !CRUMB_HAVE_REDIS

/* Built without hiredis (make REDIS=off): the API exists and says so. */

/* see crumb_store.h */
crumb_err crumb_store_redis_open(crumb_store **out, const crumb_store_redis_config *cfg)
{
    (void)cfg;
    if (out != NULL)
        *out = NULL;
    return out == NULL ? CRUMB_E_INVALID : CRUMB_E_UNAVAILABLE;
}

/* see crumb_store.h */
crumb_err crumb_store_redis_subscribe(crumb_store *redis, crumb_store *cache)
{
    (void)redis;
    (void)cache;
    return CRUMB_E_UNAVAILABLE;
}

#else
typedef int crumb__rd_stub_empty; /* ISO C: no empty translation unit */
#endif
