/*
 * auth_state.c - the rules that keep the session's user, tenant, factor
 * progress and client binding consistent with its auth state (issue 16),
 * applied by session.c when the user or the auth state is replaced.
 */
#include "ext.h"
#include "session.h"

#include <string.h>

/* Drop the factor progress (method, completed/remaining order, last attempt). */
static void clear_progress(crumb_payload_ext *x)
{
    x->method_len = 0;
    memset(x->method, 0, sizeof x->method);
    x->done_count = x->left_count = 0;
    memset(x->done, 0, sizeof x->done);
    memset(x->left, 0, sizeof x->left);
    x->last_attempt = 0;
}

/* Drop the client binding. */
static void unbind(crumb_payload_ext *x)
{
    x->has_fingerprint = 0;
    crumb_wipe(x->fingerprint, sizeof x->fingerprint);
}

/* see ext.h */
void crumb__auth_bind(crumb_session *s)
{
    if (s->ctx->cfg.fingerprint == CRUMB_FP_OFF || !s->fp.have)
        return;
    memcpy(s->p.ext.fingerprint, s->fp.cur, sizeof s->fp.cur);
    s->p.ext.has_fingerprint = 1;
    s->fp.status = CRUMB_FP_MATCH;
}

/* see ext.h */
void crumb__auth_on_set(crumb_session *s)
{
    crumb_payload_ext *x = &s->p.ext;
    int st = s->p.auth.state;
    if (st != CRUMB_AUTH_PENDING)
        x->step = x->steps = 0;
    if ((st != CRUMB_AUTH_IN_PROGRESS && st != CRUMB_AUTH_AUTHENTICATED) ||
        crumb__pext_valid(&s->p) != 0)
        clear_progress(x); /* progress that no longer matches the bitmasks */
    if (st == CRUMB_AUTH_ANONYMOUS) { /* anonymous has no user */
        s->p.user_len = s->p.tenant_len = 0;
        s->p.user[0] = s->p.tenant[0] = '\0';
    }
    if (st == CRUMB_AUTH_ANONYMOUS || st == CRUMB_AUTH_IDENTIFYING)
        unbind(x);
    else if (st == CRUMB_AUTH_AUTHENTICATED)
        crumb__auth_bind(s);
}

/* see ext.h */
void crumb__auth_on_user(crumb_session *s, int changed)
{
    crumb_payload_ext *x = &s->p.ext;
    if (s->p.user_len && !changed)
        return;
    memset(&s->p.auth, 0, sizeof s->p.auth);
    s->p.auth.state = s->p.user_len ? CRUMB_AUTH_IDENTIFYING : CRUMB_AUTH_ANONYMOUS;
    if (!s->p.user_len) {
        s->p.tenant_len = 0;
        s->p.tenant[0] = '\0';
    }
    clear_progress(x);
    x->step = x->steps = 0;
    unbind(x);
}

/* see ext.h */
int crumb__auth_unchecked(const crumb_session *s)
{
    const crumb_ctx *ctx = s->ctx;
    if (ctx->cfg.fingerprint != CRUMB_FP_REFUSE || !s->p.ext.has_fingerprint || s->fp.have ||
        s->logged_out)
        return 0;
    crumb__codec_log(ctx->codec, CRUMB_R_FINGERPRINT, CRUMB_E_AUTH, 0, 0);
    return 1;
}
