/*
 * auth.c - the session API of issue 16: the client fingerprint check
 * (hijack guard), the username-first and multi-factor authentication flow
 * with ordered factor progress, workflows, and the per-session lifetime.
 * Sits above session.c and store_glue.c and uses only what they export.
 */
#include "ext.h"
#include "session.h"

#include <string.h>

/* see crumb.h */
crumb_err crumb_session_check_client(crumb_session *s, const char *ua, const char *ip,
                                     const void *app, size_t app_len)
{
    if (!s)
        return CRUMB_E_INVALID;
    crumb_err rc = crumb_session_set_client(s, ua, ip);
    const crumb_ctx *ctx = s->ctx;
    if (rc != CRUMB_OK || ctx->cfg.fingerprint == CRUMB_FP_OFF)
        return rc;
    rc = crumb__fp_compute(ctx, ua, s->client.ip_prefix, app, app_len, s->fp.cur);
    if (rc != CRUMB_OK)
        return rc;
    s->fp.have = 1;
    if (!s->p.ext.has_fingerprint) {
        s->fp.status = CRUMB_FP_UNBOUND;
        return CRUMB_OK;
    }
    if (crumb_ct_equal(s->fp.cur, s->p.ext.fingerprint, CRUMB_FINGERPRINT_BYTES)) {
        s->fp.status = CRUMB_FP_MATCH;
        return CRUMB_OK;
    }
    s->fp.status = CRUMB_FP_MISMATCH;
    int refuse = ctx->cfg.fingerprint == CRUMB_FP_REFUSE;
    crumb__codec_log(ctx->codec, CRUMB_R_FINGERPRINT, refuse ? CRUMB_E_AUTH : CRUMB_OK, 0, 0);
    if (!refuse)
        return CRUMB_OK;
    rc = crumb__session_refuse(s);
    return rc != CRUMB_OK ? rc : CRUMB_E_AUTH;
}

/* see crumb.h */
int crumb_session_fingerprint(const crumb_session *s)
{
    return s ? s->fp.status : CRUMB_FP_UNCHECKED;
}

/* see crumb.h */
crumb_err crumb_session_identify(crumb_session *s, const char *user, size_t user_len,
                                 const char *tenant, size_t tenant_len)
{
    if (!s || !user || user_len == 0)
        return CRUMB_E_INVALID;
    crumb_err rc = crumb_session_set_user(s, user, user_len);
    if (rc == CRUMB_OK)
        rc = crumb_session_set_tenant(s, tenant, tenant ? tenant_len : 0);
    if (rc != CRUMB_OK)
        return rc;
    crumb_auth a = {.state = CRUMB_AUTH_IDENTIFYING};
    return crumb_session_set_auth(s, &a);
}

/* Bit number of a one-bit factor value, or -1. */
static int factor_bit(uint32_t f)
{
    if (f == 0 || (f & (f - 1)) != 0)
        return -1;
    int b = 0;
    while (!(f & 1u)) {
        f >>= 1;
        b++;
    }
    return b;
}

/* see crumb.h */
crumb_err crumb_session_begin_auth(crumb_session *s, const char *method, const uint32_t *factors,
                                   size_t n)
{
    uint32_t mask = 0;
    size_t mlen = method ? strlen(method) : 0;
    if (!s || !factors || n == 0)
        return CRUMB_E_INVALID;
    if (!s->p.user_len)
        return CRUMB_E_NOSESSION;
    if (n > CRUMB_FACTOR_SEQ_MAX || mlen > CRUMB_METHOD_MAX)
        return CRUMB_E_LIMIT;
    for (size_t i = 0; i < n; i++) {
        if (factor_bit(factors[i]) < 0 || (mask & factors[i]))
            return CRUMB_E_INVALID;
        mask |= factors[i];
    }
    crumb_auth a = {.state = CRUMB_AUTH_IN_PROGRESS,
                    .remaining = mask,
                    .time = crumb_codec_now(s->ctx->codec)};
    crumb_err rc = crumb_session_set_auth(s, &a); /* clears the old progress */
    if (rc != CRUMB_OK)
        return rc;
    crumb_payload_ext *x = &s->p.ext;
    memcpy(x->method, method ? method : "", mlen);
    x->method[mlen] = '\0';
    x->method_len = mlen;
    for (size_t i = 0; i < n; i++)
        x->left[i] = (uint8_t)factor_bit(factors[i]);
    x->left_count = n;
    return CRUMB_OK;
}

/* A v1 IN_PROGRESS state (bitmasks only) gets ordered lists: completed and
 * remaining factors in ascending bit order. */
static void lists_from_masks(crumb_session *s)
{
    crumb_payload_ext *x = &s->p.ext;
    if (x->done_count || x->left_count)
        return;
    for (uint8_t b = 0; b < 32; b++) {
        if ((s->p.auth.factors >> b) & 1u && x->done_count < CRUMB_FACTOR_SEQ_MAX)
            x->done[x->done_count++] = b;
        if ((s->p.auth.remaining >> b) & 1u && x->left_count < CRUMB_FACTOR_SEQ_MAX)
            x->left[x->left_count++] = b;
    }
}

/* Authentication completed: AUTHENTICATED now, new session id, bound. */
static crumb_err complete_auth(crumb_session *s)
{
    crumb_auth *a = &s->p.auth;
    a->state = CRUMB_AUTH_AUTHENTICATED;
    a->remaining = a->attempts = a->workflow = 0;
    a->time = crumb_codec_now(s->ctx->codec);
    crumb_err rc = crumb_session_rotate(s); /* privilege change */
    if (rc == CRUMB_OK)
        crumb__auth_bind(s);
    return rc;
}

/* see crumb.h */
crumb_err crumb_session_factor_done(crumb_session *s, uint32_t factor, int *complete)
{
    if (complete)
        *complete = 0;
    int b = factor_bit(factor);
    if (!s || b < 0 || s->p.auth.state != CRUMB_AUTH_IN_PROGRESS ||
        !(s->p.auth.remaining & factor))
        return CRUMB_E_INVALID;
    lists_from_masks(s);
    crumb_payload_ext *x = &s->p.ext;
    size_t i = 0;
    while (i < x->left_count && x->left[i] != (uint8_t)b)
        i++;
    if (i == x->left_count || x->done_count >= CRUMB_FACTOR_SEQ_MAX)
        return CRUMB_E_INVALID;
    memmove(x->left + i, x->left + i + 1, x->left_count - i - 1);
    x->left[--x->left_count] = 0;
    x->done[x->done_count++] = (uint8_t)b;
    s->p.auth.remaining &= ~factor;
    s->p.auth.factors |= factor;
    s->dirty = 1;
    if (s->p.auth.remaining)
        return CRUMB_OK;
    if (complete)
        *complete = 1;
    return complete_auth(s);
}

/* see crumb.h */
crumb_err crumb_session_factor_failed(crumb_session *s)
{
    if (!s || s->p.auth.state != CRUMB_AUTH_IN_PROGRESS)
        return CRUMB_E_INVALID;
    if (s->p.auth.attempts < UINT32_MAX)
        s->p.auth.attempts++;
    lists_from_masks(s);
    int64_t now = crumb_codec_now(s->ctx->codec);
    s->p.ext.last_attempt = now ? now : 1; /* 0 means "none" on the wire */
    s->dirty = 1;
    return CRUMB_OK;
}

/* see crumb.h */
crumb_err crumb_session_set_workflow(crumb_session *s, uint32_t workflow, uint32_t step,
                                     uint32_t steps)
{
    if (!s || steps == 0 || step >= steps)
        return CRUMB_E_INVALID;
    if (!s->p.user_len)
        return CRUMB_E_NOSESSION;
    if (s->p.auth.state != CRUMB_AUTH_PENDING || s->p.auth.workflow != workflow) {
        crumb_auth a = {.state = CRUMB_AUTH_PENDING,
                        .workflow = workflow,
                        .time = crumb_codec_now(s->ctx->codec)};
        crumb_err rc = crumb_session_set_auth(s, &a);
        if (rc != CRUMB_OK)
            return rc;
    }
    s->p.ext.step = step;
    s->p.ext.steps = steps;
    s->dirty = 1;
    return CRUMB_OK;
}

/* see crumb.h */
crumb_err crumb_session_set_lifetime(crumb_session *s, int64_t lifetime, int64_t idle)
{
    if (!s || lifetime <= 0)
        return CRUMB_E_INVALID;
    const crumb_ctx *ctx = s->ctx;
    int64_t abs = ctx->cfg.absolute_lifetime;
    s->p.ext.lifetime = lifetime < abs ? lifetime : abs;
    s->p.ext.idle = idle;
    crumb__expiry_relimit(ctx, &s->p, crumb_codec_now(ctx->codec));
    s->dirty = 1;
    return CRUMB_OK;
}
