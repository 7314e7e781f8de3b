/*
 * account.c - the application-facing account operations of the store
 * modes: "where you are logged in" (sessions and devices), ending one
 * session or device, log out others / everywhere. Above the session layer:
 * it uses session.c's public API and store_glue.c, and nothing below calls
 * back into it.
 */
#include "session.h"

#include "crumb_store.h"

#include <stdio.h>
#include <string.h>

/* The signed-in user's tenant ("" if none). */
static const char *tenant_of(const crumb_session *s)
{
    return s->p.tenant;
}

/* 1 if the n bytes at b are all zero. */
static int zero_id(const uint8_t *b, size_t n)
{
    uint8_t acc = 0;
    for (size_t i = 0; i < n; i++)
        acc |= b[i];
    return acc == 0;
}

/* Common precondition: a store mode and a signed-in user. */
static crumb_err need_user(const crumb_session *s)
{
    if (!s)
        return CRUMB_E_INVALID;
    if (s->ctx->cfg.mode == CRUMB_MODE_STATELESS)
        return CRUMB_E_UNSUPPORTED;
    return s->p.user_len ? CRUMB_OK : CRUMB_E_NOSESSION;
}

/* see crumb.h */
crumb_err crumb_session_list(crumb_session *s, crumb_session_entry *out, size_t cap, size_t *n)
{
    crumb_err rc = need_user(s);
    crumb_store_session_info info[16];
    crumb_store_key me;
    size_t got = 0;
    *n = 0;
    if (rc != CRUMB_OK)
        return rc;
    crumb__glue_session_key(s->ctx, s->p.sid, &me);
    rc = crumb_store_index_list(s->ctx->cfg.store, tenant_of(s), s->p.user, info,
                                sizeof info / sizeof info[0], &got, s->now);
    if (rc != CRUMB_OK)
        return crumb__glue_fail(s, rc);
    /* drop entries a revocation already ended (O(k) checks) */
    size_t live = 0;
    for (size_t i = 0; i < got && i < sizeof info / sizeof info[0]; i++) {
        crumb_store_check_res res;
        crumb_store_id dev = info[i].device;
        crumb_store_check_req req = {
            .session = &info[i].session,
            .family = &info[i].family,
            .tenant = tenant_of(s),
            .user = s->p.user,
            .device = zero_id(dev.b, CRUMB_STORE_IDBYTES) ? NULL : &dev,
            .issued_at = info[i].created,
            .now = s->now,
        };
        rc = crumb_store_check(s->ctx->cfg.store, &req, &res);
        if (rc == CRUMB_OK)
            info[live++] = info[i];
        else if (rc != CRUMB_E_REVOKED)
            return crumb__glue_fail(s, rc);
    }
    got = live;
    *n = got;
    for (size_t i = 0; i < got && i < cap; i++) {
        crumb__hex(out[i].handle, info[i].session.b, CRUMB_STORE_KEYBYTES);
        if (zero_id(info[i].device.b, CRUMB_STORE_IDBYTES))
            out[i].device[0] = 0;
        else
            crumb__hex(out[i].device, info[i].device.b, CRUMB_STORE_IDBYTES);
        snprintf(out[i].label, sizeof out[i].label, "%s", info[i].label);
        out[i].created = info[i].created;
        out[i].last_seen = info[i].last_seen;
        out[i].current = crumb_ct_equal(info[i].session.b, me.b, CRUMB_STORE_KEYBYTES);
    }
    return CRUMB_OK;
}

/* The user's devices (active = 1: not revoked, filtered by the store). */
static crumb_err list_devices(crumb_session *s, int active, crumb_device_entry *out, size_t cap,
                              size_t *n)
{
    crumb_err rc = need_user(s);
    crumb_store_device dev[CRUMB_DEVICE_LIST_MAX];
    size_t got = 0;
    if (!n || (cap && !out))
        return CRUMB_E_INVALID;
    *n = 0;
    if (rc != CRUMB_OK)
        return rc;
    crumb_store *st = s->ctx->cfg.store;
    size_t dc = sizeof dev / sizeof dev[0];
    rc = active ? crumb_store_device_list_active(st, tenant_of(s), s->p.user, dev, dc, &got)
                : crumb_store_device_list(st, tenant_of(s), s->p.user, dev, dc, &got);
    if (rc == CRUMB_E_UNSUPPORTED && active)
        return rc;
    if (rc != CRUMB_OK)
        return crumb__glue_fail(s, rc);
    *n = got < dc ? got : dc; /* never more than were read: out[i < *n] is real */
    for (size_t i = 0; i < *n && i < cap; i++) {
        crumb__hex(out[i].handle, dev[i].device.b, CRUMB_STORE_IDBYTES);
        snprintf(out[i].label, sizeof out[i].label, "%s", dev[i].label);
        snprintf(out[i].ip_prefix, sizeof out[i].ip_prefix, "%s", dev[i].ip_prefix);
        out[i].trust = dev[i].trust;
        out[i].first_seen = dev[i].first_seen;
        out[i].last_seen = dev[i].last_seen;
        out[i].current = s->g->has_dev && crumb_ct_equal(dev[i].device.b, s->g->dev_id,
                                                      CRUMB_STORE_IDBYTES);
    }
    return CRUMB_OK;
}

/* see crumb.h */
crumb_err crumb_session_devices(crumb_session *s, crumb_device_entry *out, size_t cap, size_t *n)
{
    return list_devices(s, 0, out, cap, n);
}

/* see crumb.h */
crumb_err crumb_session_devices_active(crumb_session *s, crumb_device_entry *out, size_t cap,
                                       size_t *n)
{
    return list_devices(s, 1, out, cap, n);
}

/* see crumb.h */
crumb_err crumb_session_revoke_session(crumb_session *s, const char *handle)
{
    crumb_err rc = need_user(s);
    crumb_store_key key;
    crumb_store_session_info info[64];
    size_t got = 0, found = 0;
    if (rc != CRUMB_OK)
        return rc;
    if (crumb__unhex(key.b, CRUMB_STORE_KEYBYTES, handle) != 0)
        return CRUMB_E_INVALID;
    /* only a session in this user's own index can be named */
    rc = crumb_store_index_list(s->ctx->cfg.store, tenant_of(s), s->p.user, info,
                                sizeof info / sizeof info[0], &got, s->now);
    if (rc != CRUMB_OK)
        return crumb__glue_fail(s, rc);
    for (size_t i = 0; i < got && i < sizeof info / sizeof info[0]; i++)
        found |= (size_t)crumb_ct_equal(info[i].session.b, key.b, CRUMB_STORE_KEYBYTES);
    if (!found)
        return CRUMB_E_NOTFOUND;
    rc = crumb_store_revoke_session(s->ctx->cfg.store, &key, crumb__live_until(s->ctx, s->now),
                                    s->now);
    if (rc == CRUMB_OK) {
        (void)crumb_store_delete(s->ctx->cfg.store, &key);
        rc = crumb_store_index_delete(s->ctx->cfg.store, tenant_of(s), s->p.user, &key);
    }
    return rc == CRUMB_OK || rc == CRUMB_E_NOTFOUND ? CRUMB_OK : crumb__glue_fail(s, rc);
}

/* see crumb.h */
crumb_err crumb_session_revoke_device(crumb_session *s, const char *handle)
{
    crumb_err rc = need_user(s);
    crumb_store_id dev;
    if (rc != CRUMB_OK)
        return rc;
    if (crumb__unhex(dev.b, CRUMB_STORE_IDBYTES, handle) != 0)
        return CRUMB_E_INVALID;
    /* revocation is scoped by tenant and user inside the store */
    rc = crumb_store_revoke_device(s->ctx->cfg.store, tenant_of(s), s->p.user, &dev,
                                   crumb__live_until(s->ctx, s->now), s->now);
    if (rc == CRUMB_OK)
        rc = crumb_store_device_set_trust(s->ctx->cfg.store, tenant_of(s), s->p.user, &dev,
                                          CRUMB_TRUST_REVOKED, s->now);
    return rc == CRUMB_OK ? CRUMB_OK : rc == CRUMB_E_NOTFOUND ? rc : crumb__glue_fail(s, rc);
}

/* Revoke the user's sessions, except this one if keep: every session in
 * the user's index by id (exact, whatever second it was issued in), and a
 * user-level mark for anything issued before this second that the index
 * no longer lists. A login later in the same second is not caught. */
static crumb_err revoke_user(crumb_session *s, int keep)
{
    crumb_err rc = need_user(s);
    crumb_store *st = s->ctx->cfg.store;
    crumb_store_session_info info[64];
    crumb_store_key me;
    size_t got = 0;
    int64_t until = crumb__live_until(s->ctx, s->now);
    if (rc != CRUMB_OK)
        return rc;
    crumb__glue_session_key(s->ctx, s->p.sid, &me);
    rc = crumb_store_index_list(st, tenant_of(s), s->p.user, info, sizeof info / sizeof info[0],
                                &got, s->now);
    for (size_t i = 0; rc == CRUMB_OK && i < got && i < sizeof info / sizeof info[0]; i++) {
        if (keep && crumb_ct_equal(info[i].session.b, me.b, CRUMB_STORE_KEYBYTES))
            continue;
        rc = crumb_store_revoke_session(st, &info[i].session, until, s->now);
        if (rc == CRUMB_OK)
            (void)crumb_store_delete(st, &info[i].session);
        if (rc == CRUMB_OK)
            rc = crumb_store_index_delete(st, tenant_of(s), s->p.user, &info[i].session);
        if (rc == CRUMB_E_NOTFOUND)
            rc = CRUMB_OK;
    }
    if (rc == CRUMB_OK)
        rc = crumb_store_revoke_user(st, tenant_of(s), s->p.user, s->now, keep ? &me : NULL,
                                     until, s->now);
    return rc == CRUMB_OK ? rc : crumb__glue_fail(s, rc);
}

/* see crumb.h */
crumb_err crumb_session_logout_others(crumb_session *s)
{
    return revoke_user(s, 1);
}

/* see crumb.h */
crumb_err crumb_session_logout_everywhere(crumb_session *s)
{
    crumb_err rc = revoke_user(s, 0);
    return rc == CRUMB_OK ? crumb_session_logout(s) : rc; /* this session's id too */
}
