/*
 * store_glue.c - the per-request store work of the store modes: the device
 * cookie and the session's device, revocation and replay checks, sealed
 * server records, family advances, sightings, index entries, and the store
 * side of logging out. session.c calls in here only in the store modes;
 * nothing here calls back up (account.c builds on it).
 */
#include "session.h"

#include "crumb_store.h"

#include <stdio.h>
#include <string.h>

#define DEVICE_MAX_AGE (400 * 86400) /* browsers cap cookie lifetimes at 400 days */
#define DEVICE_TOKEN_MAX 128         /* longest device cookie value accepted */

/* ==== Helpers =========================================================== */

/* see session.h */
void crumb__glue_session_key(const crumb_ctx *ctx, const uint8_t sid[CRUMB_SID_BYTES],
                             crumb_store_key *key)
{
    if (ctx->sid_sip) {
        /* ephemeral names (the memory store): four SipHash-2-4 under keys
         * derived from the store secret */
        (void)crumb__sip4(key->b, sid, CRUMB_SID_BYTES, ctx->sid_sip_key);
        return;
    }
    /* HMAC-SHA-256(store_secret, "sid" || sid) from the state computed once
     * per context: the message's one block and the outer block (7,900
     * instructions); the naming of every store that persists */
    (void)crumb__hmac_pre_mac(key->b, &ctx->store_mac, (const uint8_t *)"sid", 3, sid,
                              CRUMB_SID_BYTES);
}

/* The store key of sid: from the request's cache when it is the id last
 * hashed (load, then save, hash the same id; the cache is wiped with the
 * session). */
static void sid_key(crumb_session *s, const uint8_t sid[CRUMB_SID_BYTES], crumb_store_key *key)
{
    if (s->g->key_valid && crumb_ct_equal(s->g->key_sid, sid, CRUMB_SID_BYTES)) {
        *key = s->g->key;
        return;
    }
    crumb__glue_session_key(s->ctx, sid, key);
    memcpy(s->g->key_sid, sid, CRUMB_SID_BYTES);
    s->g->key = *key;
    s->g->key_valid = 1;
}

/* 1 if needle occurs in hay. */
static int has(const char *hay, const char *needle)
{
    return strstr(hay, needle) != NULL;
}

/* A short human label from a User-Agent: "Firefox on Linux". */
static void device_label(char *out, size_t cap, const char *ua)
{
    const char *b = "Browser", *os = "unknown OS";
    out[0] = 0;
    if (!ua || !ua[0])
        return;
    if (has(ua, "curl/"))
        b = "curl";
    else if (has(ua, "Edg/"))
        b = "Edge";
    else if (has(ua, "Firefox/"))
        b = "Firefox";
    else if (has(ua, "Chrome/") || has(ua, "Chromium/"))
        b = "Chrome";
    else if (has(ua, "Safari/"))
        b = "Safari";
    if (has(ua, "Android"))
        os = "Android";
    else if (has(ua, "iPhone") || has(ua, "iPad"))
        os = "iOS";
    else if (has(ua, "Windows"))
        os = "Windows";
    else if (has(ua, "Mac OS X") || has(ua, "Macintosh"))
        os = "macOS";
    else if (has(ua, "Linux"))
        os = "Linux";
    snprintf(out, cap, "%s on %s", b, os);
}

/* Coarse network prefix of an address: a.b.c.0/24 or the first three
 * groups of an IPv6 address + "::/48". Empty if not an address. */
static void ip_prefix(char *out, size_t cap, const char *ip)
{
    unsigned a, b, c, d;
    char tail;
    out[0] = 0;
    if (!ip || strlen(ip) > 45)
        return;
    if (sscanf(ip, "%u.%u.%u.%u%c", &a, &b, &c, &d, &tail) == 4 && a < 256 && b < 256 &&
        c < 256 && d < 256) {
        snprintf(out, cap, "%u.%u.%u.0/24", a, b, c);
        return;
    }
    if (!strchr(ip, ':'))
        return;
    size_t i = 0, groups = 0;
    char buf[48];
    while (ip[i] && groups < 3 && i < 40) {
        if (ip[i] == ':') {
            groups++;
            if (ip[i + 1] == ':')
                break;
        } else if (!((ip[i] >= '0' && ip[i] <= '9') || (ip[i] >= 'a' && ip[i] <= 'f') ||
                     (ip[i] >= 'A' && ip[i] <= 'F'))) {
            return;
        }
        buf[i] = ip[i];
        i++;
    }
    buf[i] = 0;
    snprintf(out, cap, "%.40s::/48", buf);
}

static const char *tenant_of(const crumb_session *s)
{
    return s->p.tenant;
}

/* see session.h */
crumb_err crumb__glue_fail(const crumb_session *s, crumb_err rc)
{
    crumb__codec_log(s->ctx->codec, CRUMB_R_STORE, rc, 0, 0);
    return rc;
}

/* ==== Load ============================================================== */

/* Open the device cookie kept by crumb__glue_load_device (once): its id
 * becomes cookie_dev, and the session's device unless one is bound. */
static void open_device_cookie(crumb_session *s)
{
    uint8_t pt[DEVICE_TOKEN_MAX]; /* >= crumb_open_bufsize(DEVICE_TOKEN_MAX) */
    size_t ptl = 0, vlen = s->g->dev_tok_len;
    if (!s->g->dev_tok_pending)
        return;
    s->g->dev_tok_pending = 0;
    if (crumb_open(s->ctx->dev_codec, pt, sizeof pt, &ptl, s->g->dev_tok, vlen, NULL) ==
            CRUMB_OK &&
        ptl == CRUMB_STORE_IDBYTES) {
        memcpy(s->g->cookie_dev, pt, CRUMB_STORE_IDBYTES);
        s->g->has_cookie_dev = 1;
        if (!s->g->has_dev) {
            memcpy(s->g->dev_id, pt, CRUMB_STORE_IDBYTES);
            s->g->has_dev = 1;
        }
    }
    crumb_wipe(pt, crumb_open_bufsize(vlen));
}

/* 1 and the id in out if the payload's device field is a library device
 * id (32 lowercase hex digits), else 0. */
static int payload_device(const crumb_payload *p, uint8_t out[CRUMB_STORE_IDBYTES])
{
    return p->device_len == 2 * CRUMB_STORE_IDBYTES &&
           crumb__unhex(out, CRUMB_STORE_IDBYTES, p->device) == 0;
}

/* see session.h */
void crumb__glue_load_device(crumb_session *s, const crumb__req_cookies *rq, int opened)
{
    size_t vlen = rq->vlen[CRUMB__SLOT_DEVICE];
    uint8_t d[CRUMB_STORE_IDBYTES];
    if (!(rq->seen & (1u << CRUMB__SLOT_DEVICE)))
        return;
    if (vlen > DEVICE_TOKEN_MAX || crumb_open_bufsize(vlen) > DEVICE_TOKEN_MAX)
        return; /* not one of ours: a new device id is issued */
    memcpy(s->g->dev_tok, rq->val[CRUMB__SLOT_DEVICE], vlen); /* the header may go */
    s->g->dev_tok_len = vlen;
    s->g->dev_tok_pending = 1;
    /* a session whose payload names its device needs the cookie's id only
     * on save or if the session is refused: open it then (one AEAD less
     * per load); the payload's device is bound now (bind_device's work) */
    if (opened && payload_device(&s->p, d)) {
        memcpy(s->g->dev_id, d, CRUMB_STORE_IDBYTES);
        s->g->has_dev = s->g->dev_bound = 1;
        return;
    }
    open_device_cookie(s);
}

/* see session.h */
crumb_err crumb__glue_fetch(crumb_session *s, const crumb_payload *ref, crumb_payload *out,
                             uint8_t **rec, size_t *rec_cap)
{
    crumb_store *st = s->ctx->cfg.store;
    crumb_store_key key;
    size_t len = 0;
    uint64_t version = 0;
    int64_t exp = 0;
    *rec_cap = CRUMB_STORE_DATA_MAX;
    *rec = crumb__malloc(*rec_cap);
    if (!*rec)
        return CRUMB_E_NOMEM;
    sid_key(s, ref->sid, &key);
    crumb_err rc = crumb_store_get(st, &key, *rec, *rec_cap, &len, &version, &exp, s->now);
    if (rc == CRUMB_E_NOTFOUND) {
        *rec_cap = 0; /* nothing written: nothing to wipe */
        return rc; /* the caller checks for replay first, then refuses */
    }
    if (rc != CRUMB_OK)
        return crumb__glue_fail(s, rc);
    if (len <= *rec_cap)
        *rec_cap = len; /* the record's bytes are all the caller wipes */
    /* sealed under the store secret and bound to its key: store write
     * access can neither read nor forge nor move a record */
    rc = crumb__record_open(*rec, *rec_cap, &len, *rec, len, s->ctx->record_key, key.b);
    if (rc == CRUMB_OK)
        rc = crumb_payload_decode(out, *rec, len);
    if (rc != CRUMB_OK)
        return crumb__glue_fail(s, CRUMB_E_CORRUPT);
    /* the record must belong to the token that names it */
    if (!crumb_ct_equal(out->sid, ref->sid, CRUMB_SID_BYTES) ||
        !crumb_ct_equal(out->family, ref->family, CRUMB_SID_BYTES) ||
        out->generation != ref->generation)
        return crumb__glue_fail(s, CRUMB_E_CORRUPT);
    s->g->rec_version = version;
    s->g->has_record = 1;
    return CRUMB_OK;
}

/* The session's device is the one in its authenticated payload: the device
 * cookie the client chose to send (or leave out) never replaces it. */
static void bind_device(crumb_session *s)
{
    uint8_t d[CRUMB_STORE_IDBYTES];
    if (!s->g->dev_bound && payload_device(&s->p, d)) {
        memcpy(s->g->dev_id, d, CRUMB_STORE_IDBYTES);
        s->g->has_dev = 1;
    }
    s->g->dev_bound = 1;
}

/* see session.h: a refused session keeps no record or generation, and its
 * device is the device cookie's again. */
void crumb__glue_refused(crumb_session *s)
{
    s->g->has_record = 0;
    s->g->stale_gen = 0;
    s->g->loaded_gen = 0;
    open_device_cookie(s);
    s->g->dev_bound = 0;
    s->g->has_dev = s->g->has_cookie_dev;
    memcpy(s->g->dev_id, s->g->cookie_dev, CRUMB_STORE_IDBYTES);
    s->g->dev_checked = 0;
}

/* A replay: revoke every device bound to the family (the sightings record
 * it), so the thief's copy of the device cookie is refused too. Best effort
 * after the family itself is revoked: errors are logged, the replay stands. */
static void revoke_family_devices(crumb_session *s, const crumb_store_id *fam)
{
    crumb_store *st = s->ctx->cfg.store;
    crumb_store_device dev[16];
    size_t n = 0;
    if (!s->p.user_len)
        return; /* anonymous sessions have no device rows */
    crumb_err rc = crumb_store_device_find_family(st, s->p.tenant, s->p.user, fam, dev,
                                                  sizeof dev / sizeof dev[0], &n);
    if (rc == CRUMB_E_UNSUPPORTED)
        return; /* a store without family-bound devices: the family alone */
    for (size_t i = 0; rc == CRUMB_OK && i < n && i < sizeof dev / sizeof dev[0]; i++)
        rc = crumb_store_revoke_device(st, s->p.tenant, s->p.user, &dev[i].device,
                                       crumb__live_until(s->ctx, s->now), s->now);
    if (rc != CRUMB_OK)
        crumb__glue_fail(s, rc);
}

/* see session.h: revocation and replay checks after the cookie opened. */
crumb_err crumb__glue_check(crumb_session *s)
{
    crumb_ctx *ctx = s->ctx;
    crumb_store *st = ctx->cfg.store;
    crumb_store_key key;
    crumb_store_id fam, dev;
    crumb_store_check_res res;
    bind_device(s);
    sid_key(s, s->p.sid, &key);
    memcpy(fam.b, s->p.family, CRUMB_STORE_IDBYTES);
    memcpy(dev.b, s->g->dev_id, CRUMB_STORE_IDBYTES);
    crumb_store_check_req req = {
        .session = &key,
        .family = &fam,
        .generation = s->p.generation,
        .tenant = s->p.tenant,
        .user = s->p.user_len ? s->p.user : NULL,
        .device = s->p.user_len && s->g->has_dev ? &dev : NULL,
        .issued_at = s->p.issued_at,
        .now = s->now,
    };
    memcpy(s->g->loaded_family, s->p.family, CRUMB_STORE_IDBYTES);
    crumb_err rc = crumb_store_check(st, &req, &res);
    if (rc == CRUMB_E_REVOKED) {
        crumb__codec_log(ctx->codec, CRUMB_R_REVOKED, rc, 0, 0);
        return rc;
    }
    if (rc != CRUMB_OK)
        return crumb__glue_fail(s, rc); /* fail closed */
    s->g->dev_checked = req.device != NULL;
    s->g->loaded_gen = s->p.generation;
    memcpy(s->g->loaded_sid, s->p.sid, CRUMB_SID_BYTES);
    /* the save that sealed this cookie wrote its index entry */
    memcpy(s->g->indexed_sid, s->p.sid, CRUMB_SID_BYTES);
    s->g->indexed_exp = s->p.expires_at;
    s->g->indexed = s->p.user_len != 0;
    uint64_t g = s->p.generation, cur = res.family_gen;
    if (cur == 0 || g >= cur)
        return CRUMB_OK;
    if (g + 1 == cur &&
        crumb__sat_sub(s->now, res.family_advanced_at) <= ctx->cfg.rotation_grace) {
        s->g->stale_gen = 1; /* a request that raced a rotation: serve, never re-seal */
        return CRUMB_OK;
    }
    /* an older generation, or the previous one after the grace window */
    crumb__codec_log(ctx->codec, CRUMB_R_REPLAY, CRUMB_E_REPLAY, 0, 0);
    /* until the newest generation could expire, not the replayed one */
    rc = crumb_store_revoke_family(st, &fam, crumb__live_until(ctx, s->now), s->now);
    if (rc != CRUMB_OK)
        crumb__glue_fail(s, rc);
    if (!ctx->cfg.replay_keeps_devices)
        revoke_family_devices(s, &fam);
    return CRUMB_E_REPLAY;
}

/* ==== Save ============================================================== */

/* Keep the id's server record only for the grace window (parallel
 * requests still carrying it); the new id gets a new record. */
static void retire_record(crumb_session *s, int64_t now)
{
    crumb_store_key old;
    if (!s->g->has_record)
        return;
    sid_key(s, s->g->loaded_sid, &old);
    (void)crumb_store_touch(s->ctx->cfg.store, &old,
                            crumb__sat_add(now, s->ctx->cfg.rotation_grace), now);
    s->g->has_record = 0;
    s->g->rec_version = 0;
}

/* No rotation: refuse to re-seal if a parallel request has rotated (or a
 * login has superseded) the family since this request loaded it: the
 * browser would get the older generation back and lose the newer one.
 * @return CRUMB_OK, CRUMB_E_CONFLICT, store errors */
static crumb_err check_not_superseded(crumb_session *s, const crumb_store_id *fam, int64_t now)
{
    uint64_t cur = 0;
    int64_t at = 0;
    if (s->fresh)
        return CRUMB_OK; /* nothing loaded: a family no other request holds */
    crumb_err rc = crumb_store_family_get(s->ctx->cfg.store, fam, &cur, &at, now);
    if (rc != CRUMB_OK)
        return crumb__glue_fail(s, rc);
    if (cur > s->g->loaded_gen) {
        crumb__codec_log(s->ctx->codec, CRUMB_R_REPLAY, CRUMB_E_CONFLICT, 0, 0);
        return CRUMB_E_CONFLICT;
    }
    return CRUMB_OK;
}

/* A login: register the new family, and mark the pre-login family as
 * superseded (one generation on) so a request still in flight with the
 * pre-login cookie cannot re-seal it over the login. */
static crumb_err start_family(crumb_session *s, const crumb_store_id *fam, int64_t now)
{
    crumb_store *st = s->ctx->cfg.store;
    int64_t until = crumb__live_until(s->ctx, now);
    if (!s->fresh) {
        crumb_store_id old;
        memcpy(old.b, s->g->loaded_family, CRUMB_STORE_IDBYTES);
        crumb_err orc = crumb_store_family_advance(st, &old, s->g->loaded_gen, s->g->loaded_gen + 1,
                                                   until, now, NULL);
        if (orc != CRUMB_OK && orc != CRUMB_E_CONFLICT && orc != CRUMB_E_REVOKED)
            return crumb__glue_fail(s, orc);
    }
    crumb_err rc = crumb_store_family_advance(st, fam, 0, s->p.generation, until, now, NULL);
    return rc == CRUMB_OK ? rc : crumb__glue_fail(s, rc);
}

/* The family side of a save: new family (login), advance (rotation), or
 * confirm nothing superseded it. */
static crumb_err settle_family(crumb_session *s, int64_t now)
{
    crumb_store_id fam;
    crumb_err rc;
    memcpy(fam.b, s->p.family, CRUMB_STORE_IDBYTES);
    if (s->new_family) {
        rc = start_family(s, &fam, now);
    } else if (s->p.generation == s->g->loaded_gen) {
        return check_not_superseded(s, &fam, now);
    } else {
        rc = crumb_store_family_advance(s->ctx->cfg.store, &fam, s->g->loaded_gen, s->p.generation,
                                        crumb__live_until(s->ctx, now), now, NULL);
        if (rc == CRUMB_E_CONFLICT || rc == CRUMB_E_REVOKED) {
            /* another request rotated this family first: do not fork it */
            crumb__codec_log(s->ctx->codec, CRUMB_R_REPLAY, rc, 0, 0);
            return rc;
        }
        if (rc != CRUMB_OK)
            rc = crumb__glue_fail(s, rc);
    }
    if (rc != CRUMB_OK)
        return rc;
    retire_record(s, now);
    s->g->loaded_gen = s->p.generation;
    s->new_family = 0;
    return CRUMB_OK;
}

/* CRUMB_E_REVOKED if the store refuses dev_id for the session's user (a
 * revoked device), CRUMB_OK if not, or the store error. */
static crumb_err device_refused(crumb_session *s)
{
    crumb_store_id dev;
    crumb_store_check_res res;
    memcpy(dev.b, s->g->dev_id, CRUMB_STORE_IDBYTES);
    crumb_store_check_req req = {
        .tenant = s->p.tenant,
        .user = s->p.user,
        .device = &dev,
        .issued_at = s->now,
        .now = s->now,
    };
    crumb_err rc = crumb_store_check(s->ctx->cfg.store, &req, &res);
    if (rc == CRUMB_E_REVOKED)
        return res.rule == CRUMB_STORE_RULE_DEVICE ? rc : CRUMB_OK;
    return rc == CRUMB_OK ? rc : crumb__glue_fail(s, rc);
}

/* No device cookie (a browser that cleared its cookies): with
 * cfg.device_reidentify, adopt the user's device row whose keyed
 * fingerprint matches, so the same browser keeps one row. Never a REVOKED
 * row, nor one check() refuses: re-identification is a convenience and
 * must not bring a revoked device back. CRUMB_OK also when none matched. */
static crumb_err reidentify(crumb_session *s)
{
    crumb_store_device d;
    if (!s->ctx->cfg.device_reidentify || !s->p.user_len || !s->g->has_dev_fp ||
        s->g->has_cookie_dev)
        return CRUMB_OK;
    crumb_err rc = crumb_store_device_find(s->ctx->cfg.store, tenant_of(s), s->p.user,
                                           s->g->dev_fp, &d);
    if (rc == CRUMB_E_NOTFOUND || rc == CRUMB_E_UNSUPPORTED)
        return CRUMB_OK;
    if (rc != CRUMB_OK)
        return crumb__glue_fail(s, rc);
    if (d.trust == CRUMB_TRUST_REVOKED)
        return CRUMB_OK;
    memcpy(s->g->dev_id, d.device.b, CRUMB_STORE_IDBYTES);
    rc = device_refused(s); /* a revocation that outlives the row's state */
    if (rc == CRUMB_E_REVOKED)
        return CRUMB_OK;
    if (rc != CRUMB_OK)
        return rc;
    s->g->has_dev = 1;
    return CRUMB_OK;
}

/* The device side of a save: a signed-in session never takes a device the
 * store refuses for its user (a revoked device's browser signs in again as
 * a new device); no device yet draws a new id; the payload records it. */
static crumb_err settle_device(crumb_session *s)
{
    uint8_t d[CRUMB_STORE_IDBYTES];
    open_device_cookie(s); /* if load left it for now */
    if (s->g->has_dev && s->p.user_len && (!s->g->dev_checked || s->login)) {
        crumb_err rc = device_refused(s);
        if (rc == CRUMB_E_REVOKED)
            s->g->has_dev = 0;
        else if (rc != CRUMB_OK)
            return rc;
    }
    if (!s->g->has_dev) {
        crumb_err rc = reidentify(s);
        if (rc != CRUMB_OK)
            return rc;
    }
    if (!s->g->has_dev) {
        crumb_err rc = crumb__ctx_random(s->ctx, s->g->dev_id, CRUMB_STORE_IDBYTES);
        if (rc != CRUMB_OK)
            return rc;
        s->g->has_dev = 1;
    }
    s->g->dev_checked = s->p.user_len != 0;
    if (!s->g->has_cookie_dev || !crumb_ct_equal(s->g->cookie_dev, s->g->dev_id, CRUMB_STORE_IDBYTES))
        s->g->dev_new = 1; /* (re-)issue the device cookie for this device */
    if (s->p.device_len == 0 || payload_device(&s->p, d)) {
        crumb__hex(s->p.device, s->g->dev_id, CRUMB_STORE_IDBYTES);
        s->p.device_len = 2 * CRUMB_STORE_IDBYTES;
    }
    return CRUMB_OK;
}

/* see session.h: the store side of a save, before the cookie is sealed. */
crumb_err crumb__glue_before_save(crumb_session *s, int64_t now)
{
    crumb_err rc = settle_family(s, now);
    return rc == CRUMB_OK ? settle_device(s) : rc;
}

/* see session.h: write the full payload as the store record. */
crumb_err crumb__glue_put_record(crumb_session *s, const uint8_t *rec, size_t len, int64_t now)
{
    crumb_store_key key;
    uint64_t nv = 0;
    size_t cap = len + CRUMB__RECORD_OVERHEAD, sealed = 0;
    if (len > CRUMB_STORE_DATA_MAX)
        return CRUMB_E_TOO_LARGE;
    uint8_t *box = crumb__malloc(cap);
    if (!box)
        return CRUMB_E_NOMEM;
    sid_key(s, s->p.sid, &key);
    crumb_err rc = crumb__record_seal(box, cap, &sealed, rec, len, s->ctx->record_key, key.b,
                                      s->ctx->cfg.random, s->ctx->cfg.random_ctx);
    uint64_t expect = s->g->has_record ? s->g->rec_version : CRUMB_STORE_VERSION_NEW;
    if (rc == CRUMB_OK)
        rc = crumb_store_put(s->ctx->cfg.store, &key, box, sealed, s->p.expires_at, expect, &nv,
                             now);
    crumb_wipe(box, cap);
    crumb__free(box);
    if (rc != CRUMB_OK)
        return rc == CRUMB_E_CONFLICT ? rc : crumb__glue_fail(s, rc);
    s->g->has_record = 1;
    s->g->rec_version = nv;
    return CRUMB_OK;
}

/* At login, a device the store has never confirmed (UNKNOWN) becomes SEEN:
 * the retention ladder leaves UNKNOWN rows alone (seed 004), so promotion is
 * what puts a signed-in device on it. The device was just sighted: it is
 * the newest. */
static crumb_err promote_device(crumb_session *s, int64_t now)
{
    crumb_store *st = s->ctx->cfg.store;
    crumb_store_device dev[4];
    size_t n = 0;
    crumb_err rc = crumb_store_device_list(st, tenant_of(s), s->p.user, dev, 4, &n);
    for (size_t i = 0; rc == CRUMB_OK && i < n && i < 4; i++) {
        if (!crumb_ct_equal(dev[i].device.b, s->g->dev_id, CRUMB_STORE_IDBYTES))
            continue;
        if (dev[i].trust == CRUMB_TRUST_UNKNOWN)
            rc = crumb_store_device_set_trust(st, tenant_of(s), s->p.user, &dev[i].device,
                                              CRUMB_TRUST_SEEN, now);
        break;
    }
    return rc == CRUMB_OK ? rc : crumb__glue_fail(s, rc);
}

/* The device sighting of a signed-in save (the store throttles it:
 * *written = 0 when it wrote nothing); at login the device is promoted. */
static crumb_err sight_device(crumb_session *s, int64_t now, int *written)
{
    crumb_store_sighting sig = {.label = s->client.ua_label[0] ? s->client.ua_label : NULL,
                                .ip_prefix = s->client.ip_prefix[0] ? s->client.ip_prefix : NULL};
    crumb_store_id fam;
    memcpy(fam.b, s->p.family, CRUMB_STORE_IDBYTES);
    memcpy(sig.device.b, s->g->dev_id, CRUMB_STORE_IDBYTES);
    sig.family = &fam; /* a replay of this family revokes this device */
    if (s->g->has_dev_fp)
        memcpy(sig.fingerprint, s->g->dev_fp, CRUMB_STORE_FPBYTES);
    crumb_err rc = crumb_store_device_seen(s->ctx->cfg.store, tenant_of(s), s->p.user, &sig, now,
                                           written);
    if (rc == CRUMB_E_LIMIT) { /* too many devices: track no more, keep serving */
        crumb__codec_log(s->ctx->codec, CRUMB_R_STORE, rc, 0, 0);
        return CRUMB_OK;
    }
    return rc == CRUMB_OK && s->login ? promote_device(s, now) : rc;
}

/* The session's index entry, written only when the store's copy is not
 * this one: login, a new id (rotation, new session), a new expiry, or a
 * sighting the store wrote (its throttle, default 60 s, is the
 * granularity of last_seen). An ordinary request writes nothing. */
static crumb_err index_entry(crumb_session *s, int64_t now, int sighted)
{
    if (s->g->indexed && !s->login && !sighted && s->g->indexed_exp == s->p.expires_at &&
        crumb_ct_equal(s->g->indexed_sid, s->p.sid, CRUMB_SID_BYTES))
        return CRUMB_OK;
    crumb_store_session_info info = {0};
    sid_key(s, s->p.sid, &info.session);
    memcpy(info.family.b, s->p.family, CRUMB_STORE_IDBYTES);
    memcpy(info.device.b, s->g->dev_id, CRUMB_STORE_IDBYTES);
    info.created = s->p.issued_at;
    info.last_seen = now;
    info.expires_at = s->p.expires_at;
    snprintf(info.label, sizeof info.label, "%s", s->client.ua_label);
    crumb_err rc = crumb_store_index_put(s->ctx->cfg.store, tenant_of(s), s->p.user, &info, now);
    if (rc != CRUMB_OK)
        return rc;
    memcpy(s->g->indexed_sid, s->p.sid, CRUMB_SID_BYTES);
    s->g->indexed_exp = s->p.expires_at;
    s->g->indexed = 1;
    return CRUMB_OK;
}

/* see session.h: index entry, device sighting and the device cookie line. */
crumb_err crumb__glue_after_save(crumb_session *s, int64_t now, size_t *count)
{
    crumb_ctx *ctx = s->ctx;
    crumb_err rc = CRUMB_OK;
    if (s->p.user_len) {
        int written = 0;
        rc = sight_device(s, now, &written);
        if (rc == CRUMB_OK)
            rc = index_entry(s, now, written);
        if (rc != CRUMB_OK)
            return crumb__glue_fail(s, rc);
    }
    if (s->g->dev_new) { /* the long-lived device cookie */
        char tok[128];
        size_t tl = 0, got = 0;
        /* room for the token, dates and flags, plus the context's own
         * name, Path and Domain (which crumb_ctx_new does not bound) */
        size_t cap = CRUMB__DEV_LINE_MAX + ctx->fmt.name_len + ctx->fmt.pre_len;
        rc = crumb_seal(ctx->dev_codec, tok, sizeof tok, &tl, s->g->dev_id, CRUMB_STORE_IDBYTES, 0);
        if (rc == CRUMB_OK)
            if (!s->g->dev_line && !(s->g->dev_line = crumb__malloc(cap)))
                rc = CRUMB_E_NOMEM;
        if (rc == CRUMB_OK)
            rc = crumb__cookie_line(s->g->dev_line, cap, &got, &ctx->fmt,
                                    CRUMB__DEVICE_SUFFIX, 2, tok, tl, DEVICE_MAX_AGE,
                                    crumb__sat_add(now, DEVICE_MAX_AGE));
        if (rc != CRUMB_OK)
            return rc;
        s->g->dev_new = 0;
        s->lines[(*count)++] = s->g->dev_line;
    }
    return CRUMB_OK;
}

/* see session.h: store side of logging out this session. */
crumb_err crumb__glue_logout(crumb_session *s)
{
    crumb_ctx *ctx = s->ctx;
    crumb_store *st = ctx->cfg.store;
    crumb_store_key key;
    if (s->unjudged)
        return s->unjudged; /* the request's cookie was never checked */
    if (s->fresh)
        return CRUMB_OK;
    sid_key(s, s->p.sid, &key);
    crumb_err rc = crumb_store_revoke_session(st, &key, crumb__live_until(ctx, s->now), s->now);
    if (rc == CRUMB_OK && s->g->has_record)
        rc = crumb_store_delete(st, &key);
    if (rc == CRUMB_OK && s->p.user_len)
        rc = crumb_store_index_delete(st, tenant_of(s), s->p.user, &key);
    s->g->has_record = 0;
    s->g->indexed = 0;
    if (rc != CRUMB_OK && rc != CRUMB_E_NOTFOUND)
        return crumb__glue_fail(s, rc);
    return CRUMB_OK;
}

/* ==== Client description ============================================== */

/* The device's keyed fingerprint: HMAC-SHA-256 under the store secret of
 * the whole User-Agent (first 512 bytes) and the IP prefix. Only from a
 * User-Agent the application passed; none in the stateless mode. */
static void device_fingerprint(crumb_session *s, const char *ua)
{
    uint8_t buf[8 + 512 + 1 + sizeof s->client.ip_prefix];
    size_t n = 0, ul = ua ? strnlen(ua, 512) : 0;
    if (s->ctx->cfg.mode == CRUMB_MODE_STATELESS)
        return;
    s->g->has_dev_fp = 0;
    if (ul == 0)
        return;
    memcpy(buf, "devfp\0", 6);
    n = 6;
    memcpy(buf + n, ua, ul);
    n += ul;
    buf[n++] = 0;
    size_t il = strnlen(s->client.ip_prefix, sizeof s->client.ip_prefix - 1);
    memcpy(buf + n, s->client.ip_prefix, il);
    n += il;
    s->g->has_dev_fp = crumb__hmac_pre_mac(s->g->dev_fp, &s->ctx->store_mac, buf, n, NULL, 0) == 0;
}

/* see crumb.h */
crumb_err crumb_session_set_client(crumb_session *s, const char *ua, const char *ip)
{
    if (!s)
        return CRUMB_E_INVALID;
    device_label(s->client.ua_label, sizeof s->client.ua_label, ua);
    ip_prefix(s->client.ip_prefix, sizeof s->client.ip_prefix, ip);
    device_fingerprint(s, ua);
    return CRUMB_OK;
}
