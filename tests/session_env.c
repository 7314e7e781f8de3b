/* session_env.c - see session_env.h. */
#include "session_env.h"

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
