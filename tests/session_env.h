/*
 * session_env.h - the scaffolding the session-level store tests
 * (test_attack_session, test_store_glue, test_auth_binding) share: a fake
 * clock, a log callback counting replays, unique user names, and the env
 * one store x seal suite x store mode cell runs in. Nothing here CHECKs
 * (check.h's counters are per test program).
 */
#ifndef CRUMB_TEST_SESSION_ENV_H
#define CRUMB_TEST_SESSION_ENV_H

#include "check.h"
#include "crumb.h"
#include "crumb_store.h"
#include "matrix.h"

#include <stddef.h>
#include <stdint.h>

/* The time clock_cb reports (starts at 1800000000). */
extern int64_t fake_now;
/* How many CRUMB_R_REPLAY / CRUMB_E_REPLAY events log_cb has seen. */
extern int replays;

/* crumb_ctx_config.clock: fake_now. */
int64_t clock_cb(void *ctx);
/* crumb_ctx_config.log: counts replays. */
void log_cb(void *ctx, const crumb_event *ev);

/* A user name no earlier call (in any process) gave: "<tag>-<n>-<pid>". */
void new_user(char *out, size_t cap, const char *tag);

/* The cell being run: the keyring, the store (NULL = none), its name, the
 * seal suite and store mode; cell is what run_store runs per suite x mode. */
typedef struct env {
    crumb_keyring *kr;
    crumb_store *st;
    const char *store_name;
    int suite, mode;
    matrix_cell_fn *cell;
} env;

/* The ctx configuration every cell starts from: cookie "__Host-sid",
 * clock_cb, log_cb, e's mode, store and seal suite (the only one accepted),
 * store secret secret. */
void env_config(crumb_ctx_config *c, const env *e, const uint8_t *secret);

/* e->kr = a new keyring holding key (filled with check_fill) as primary
 * key 1. Static inline: its CHECKs count in the calling test's summary. */
static inline void env_keyring(env *e, uint8_t key[32])
{
    check_fill(key, 32);
    CHECK_OK(crumb_keyring_new(&e->kr));
    CHECK_OK(crumb_keyring_add(e->kr, 1, CRUMB_KEY_PRIMARY, key));
}

/* matrix_fn: e->cell over every suite and the two store modes on ms. */
void run_store(const matrix_store *ms, void *arg);

#endif
