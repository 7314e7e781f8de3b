/*
 * expiry.c - the session layer's one set of time rules, all saturating:
 * the times of a new session, the authenticated-time checks on load, idle
 * renewal and its throttle, the cookie's Max-Age, and how long a
 * revocation must last. Reads only the context (ctx.c).
 */
#include "session.h"
#include "ext.h"

#define BROWSER_MAX_AGE (400 * 86400) /* browsers cap cookie lifetimes at 400 days */

#define sat_add crumb__sat_add

/* The session's idle timeout: its own override (issue 16), else the
 * context's; <= 0 means none. */
static int64_t idle_of(const crumb_ctx *ctx, const crumb_payload *p)
{
    return p->ext.idle ? p->ext.idle : ctx->cfg.idle_timeout;
}

/* The session's lifetime: its own override or the context's
 * session_lifetime, never beyond absolute_lifetime. */
static int64_t lifetime_of(const crumb_ctx *ctx, const crumb_payload *p)
{
    int64_t abs = ctx->cfg.absolute_lifetime;
    int64_t l = p->ext.lifetime > 0 ? p->ext.lifetime : ctx->cfg.session_lifetime;
    return l > 0 && l < abs ? l : abs;
}

/* see session.h */
void crumb__expiry_start(const crumb_ctx *ctx, crumb_payload *p, int64_t now)
{
    int64_t idle = idle_of(ctx, p);
    p->issued_at = now;
    p->expires_at = sat_add(now, lifetime_of(ctx, p));
    p->idle_at = p->expires_at;
    if (idle > 0 && sat_add(now, idle) < p->expires_at)
        p->idle_at = sat_add(now, idle);
}

/* see ext.h */
void crumb__expiry_relimit(const crumb_ctx *ctx, crumb_payload *p, int64_t now)
{
    int64_t idle = idle_of(ctx, p);
    p->expires_at = sat_add(p->issued_at, lifetime_of(ctx, p));
    p->idle_at = p->expires_at;
    if (idle > 0 && sat_add(now, idle) < p->expires_at)
        p->idle_at = sat_add(now, idle);
}

/* see session.h */
crumb_err crumb__expiry_check(const crumb_ctx *ctx, const crumb_payload *p, int64_t now,
                              const crumb_open_info *info)
{
    const crumb_ctx_config *c = &ctx->cfg;
    if (p->issued_at > sat_add(now, c->max_future)) {
        crumb__ctx_log(ctx, CRUMB_R_FUTURE, CRUMB_E_FUTURE, info);
        return CRUMB_E_FUTURE;
    }
    if (now >= sat_add(crumb__expiry_end(ctx, p), c->clock_skew)) {
        crumb__ctx_log(ctx, CRUMB_R_EXPIRED_ABSOLUTE, CRUMB_E_EXPIRED, info);
        return CRUMB_E_EXPIRED;
    }
    if (idle_of(ctx, p) > 0 && now >= sat_add(p->idle_at, c->clock_skew)) {
        crumb__ctx_log(ctx, CRUMB_R_EXPIRED_IDLE, CRUMB_E_EXPIRED, info);
        return CRUMB_E_EXPIRED;
    }
    return CRUMB_OK;
}

/* see session.h */
int64_t crumb__expiry_end(const crumb_ctx *ctx, const crumb_payload *p)
{
    /* a shortened lifetime applies to existing tokens too */
    int64_t cap = sat_add(p->issued_at, ctx->cfg.absolute_lifetime);
    return cap < p->expires_at ? cap : p->expires_at;
}

/* see session.h */
int crumb__expiry_renew_due(const crumb_ctx *ctx, const crumb_payload *p, int64_t now)
{
    int64_t idle = idle_of(ctx, p);
    return idle > 0 && p->idle_at < p->expires_at &&
           now >= sat_add(sat_add(p->idle_at, -idle), ctx->cfg.renew_throttle);
}

/* see session.h */
void crumb__expiry_touch(const crumb_ctx *ctx, crumb_payload *p, int64_t now)
{
    int64_t idle = idle_of(ctx, p);
    if (idle <= 0)
        return;
    p->idle_at = sat_add(now, idle);
    if (p->idle_at > p->expires_at)
        p->idle_at = p->expires_at;
}

/* see session.h */
int64_t crumb__expiry_max_age(const crumb_ctx *ctx, const crumb_payload *p, int64_t now)
{
    if (ctx->cfg.browser_session && p->ext.lifetime <= 0) /* "remember me" persists */
        return -1;
    int64_t max_age = crumb__sat_sub(crumb__expiry_end(ctx, p), now);
    if (max_age > BROWSER_MAX_AGE)
        max_age = BROWSER_MAX_AGE;
    return max_age < 0 ? 0 : max_age;
}

/* see session.h */
int64_t crumb__live_until(const crumb_ctx *ctx, int64_t now)
{
    const crumb_ctx_config *c = &ctx->cfg;
    return sat_add(sat_add(sat_add(now, c->max_future), c->absolute_lifetime), c->clock_skew);
}

/* see session.h */
int crumb__expiry_within(int64_t then, int64_t now, int64_t max_age)
{
    return then <= now && crumb__sat_sub(now, then) <= max_age;
}
