/* session_env.c - see session_env.h. */
#include "session_env.h"

#include "internal.h"

#if CRUMB_HAVE_SODIUM
#include <sodium.h>
#endif

#include <stdio.h>
#include <unistd.h>

int64_t fake_now = 1800000000;
int replays;
static unsigned uniq;

int64_t clock_cb(void *ctx)
{
    (void)ctx;
    return fake_now;
}

void log_cb(void *ctx, const crumb_event *ev)
{
    (void)ctx;
    replays += ev->reason == CRUMB_R_REPLAY && ev->err == CRUMB_E_REPLAY;
}

void new_user(char *out, size_t cap, const char *tag)
{
    snprintf(out, cap, "%s-%u-%ld", tag, uniq++, (long)getpid());
}

void env_config(crumb_ctx_config *c, const env *e, const uint8_t *secret)
{
    c->cookie_name = "__Host-sid";
    c->clock = clock_cb;
    c->log = log_cb;
    c->mode = e->mode;
    c->store = e->st;
    c->store_secret = secret;
    c->seal_suite = e->suite;
    c->accept_suites = 1u << e->suite;
}

void run_store(const matrix_store *ms, void *arg)
{
    env *e = arg;
    e->st = ms->st;
    e->store_name = ms->name;
    matrix_suites(CRUMB_MODE_STATELESS_STORE, CRUMB_MODE_SERVER, e->cell, e);
}

/* see session_env.h */
int env_store_key(crumb_store *st, const uint8_t secret[32],
                  const uint8_t sid[CRUMB_SID_BYTES], crumb_store_key *out)
{
#if CRUMB_HAVE_SODIUM
    if (crumb_store_naming_get(st) == CRUMB_STORE_NAMING_EPHEMERAL) {
        static const char info[] = "crumb-sid-siphash24-v1";
        uint8_t k[64];
        if (crumb__hkdf_sha256(k, 64, secret, 32, NULL, 0, (const uint8_t *)info,
                               sizeof info - 1) != 0)
            return -1;
        for (int i = 0; i < 4; i++)
            if (crypto_shorthash_siphash24(out->b + 8 * i, sid, CRUMB_SID_BYTES, k + 16 * i) != 0)
                return -1;
        return 0;
    }
#else
    (void)st; /* without libsodium every store keeps HMAC names */
#endif
    return crumb__hmac_sha256(out->b, secret, 32, (const uint8_t *)"sid", 3, sid,
                              CRUMB_SID_BYTES);
}
