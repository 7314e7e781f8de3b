/*
 * model.c - the per-user record model shared by the memory, file and Redis
 * stores: user revocation rule, device revocations, devices with the
 * sighting throttle and trust ladder, and the session index (model.h).
 */
#include "model.h"

#include <string.h>

/* see model.h */
int stm_name_ok(const char *s)
{
    return s == NULL || strnlen(s, CRUMB_STORE_NAME_MAX + 1) <= CRUMB_STORE_NAME_MAX;
}

/* see model.h */
int stm_user_args_ok(const char *tenant, const char *user)
{
    return user != NULL && stm_name_ok(tenant) && stm_name_ok(user);
}

/* see model.h */
int stm_aged(int64_t t, int64_t now, int64_t span)
{
    return t <= now && (uint64_t)now - (uint64_t)t >= (uint64_t)span;
}

/* see model.h */
void stm_strcpy(char *dst, size_t cap, const char *src)
{
    size_t n = strnlen(src, cap - 1);
    memcpy(dst, src, n);
    memset(dst + n, 0, cap - n);
}

/* see model.h */
int stm_idle_past(int64_t t, int64_t now, int64_t window)
{
    return t < now && (uint64_t)now - (uint64_t)t > (uint64_t)window;
}

/* see model.h */
void stm_retention(crumb_store_retention *r, const crumb_store_retention *ret)
{
    r->trusted_idle = ret && ret->trusted_idle > 0 ? ret->trusted_idle : CRUMB_STORE_TRUSTED_IDLE;
    r->seen_idle = ret && ret->seen_idle > 0 ? ret->seen_idle : CRUMB_STORE_SEEN_IDLE;
    r->revoked_grace =
        ret && ret->revoked_grace > 0 ? ret->revoked_grace : CRUMB_STORE_REVOKED_GRACE;
}

/* see model.h */
crumb_err stm_reserve(void **arr, size_t *cap, size_t need, size_t sz)
{
    if (need <= *cap)
        return CRUMB_OK;
    size_t nc = *cap ? *cap * 2 : 4;
    while (nc < need)
        nc *= 2;
    void *p = crumb__realloc(*arr, nc * sz);
    if (p == NULL)
        return CRUMB_E_NOMEM;
    *arr = p;
    *cap = nc;
    return CRUMB_OK;
}

/* see model.h */
void stm_user_free(stm_user *u)
{
    crumb__free(u->drev);
    crumb__free(u->dev);
    crumb__free(u->idx);
    memset(u, 0, sizeof *u);
}

/* see model.h */
int stm_user_empty(const stm_user *u, int64_t now)
{
    return u->ndrev == 0 && u->ndev == 0 && u->nidx == 0 && u->nb_until <= now;
}

/* see model.h */
long stm_dev_find(const stm_user *u, const crumb_store_id *id)
{
    for (size_t i = 0; i < u->ndev; i++)
        if (memcmp(u->dev[i].d.device.b, id->b, CRUMB_STORE_IDBYTES) == 0)
            return (long)i;
    return -1;
}

/* see model.h */
void stm_dev_resort(stm_user *u, size_t i)
{
    stm_dev t = u->dev[i];
    while (i > 0 && u->dev[i - 1].d.last_seen < t.d.last_seen) {
        u->dev[i] = u->dev[i - 1];
        i--;
    }
    while (i + 1 < u->ndev && u->dev[i + 1].d.last_seen > t.d.last_seen) {
        u->dev[i] = u->dev[i + 1];
        i++;
    }
    u->dev[i] = t;
}

/* see model.h */
int stm_user_revoked(const stm_user *u, const crumb_store_key *key,
                     int64_t issued_at, int64_t now)
{
    if (u->nb_until <= now || issued_at >= u->not_before)
        return 0;
    if (u->has_except && key != NULL && crumb_ct_equal(u->except.b, key->b, CRUMB_STORE_KEYBYTES))
        return 0;
    return 1;
}

/* see model.h */
int stm_device_revoked(const stm_user *u, const crumb_store_id *device, int64_t now)
{
    for (size_t i = 0; i < u->ndrev; i++)
        if (u->drev[i].until > now &&
            memcmp(u->drev[i].id.b, device->b, CRUMB_STORE_IDBYTES) == 0)
            return 1;
    long d = stm_dev_find(u, device);
    return d >= 0 && u->dev[d].d.trust == CRUMB_TRUST_REVOKED;
}

/* see model.h */
void stm_revoke_user(stm_user *u, int64_t before, const crumb_store_key *except,
                     int64_t until)
{
    if (before < u->not_before)
        before = u->not_before; /* never moves backwards */
    if (before > u->not_before || !u->has_except || except == NULL ||
        !crumb_ct_equal(u->except.b, except->b, CRUMB_STORE_KEYBYTES)) {
        u->has_except = except != NULL;
        if (except != NULL)
            u->except = *except;
        else
            memset(&u->except, 0, sizeof u->except);
    }
    u->not_before = before;
    if (until > u->nb_until)
        u->nb_until = until;
}

/* see model.h */
crumb_err stm_revoke_device(stm_user *u, const crumb_store_id *device,
                            int64_t until, int64_t now)
{
    long d = stm_dev_find(u, device);
    if (d >= 0 && u->dev[d].d.trust != CRUMB_TRUST_REVOKED) {
        u->dev[d].d.trust = CRUMB_TRUST_REVOKED;
        u->dev[d].d.trust_changed_at = now;
    }
    for (size_t i = 0; i < u->ndrev; i++)
        if (memcmp(u->drev[i].id.b, device->b, CRUMB_STORE_IDBYTES) == 0) {
            if (until > u->drev[i].until)
                u->drev[i].until = until;
            return CRUMB_OK;
        }
    if (u->ndrev >= STM_HARD_MAX_DREV)
        return CRUMB_E_LIMIT;
    crumb_err e = stm_reserve((void **)&u->drev, &u->capdrev, u->ndrev + 1, sizeof *u->drev);
    if (e != CRUMB_OK)
        return e;
    u->drev[u->ndrev].id = *device;
    u->drev[u->ndrev].until = until;
    u->ndrev++;
    return CRUMB_OK;
}

/* see model.h */
crumb_err stm_device_seen(stm_user *u, const crumb_store_sighting *s, int64_t now,
                          const stm_limits *lim, int *dirty)
{
    *dirty = 0;
    long i = stm_dev_find(u, &s->device);
    if (i < 0) {
        if (u->ndev >= lim->max_devices)
            return CRUMB_E_LIMIT;
        crumb_err e = stm_reserve((void **)&u->dev, &u->capdev, u->ndev + 1, sizeof *u->dev);
        if (e != CRUMB_OK)
            return e;
        stm_dev *nd = &u->dev[u->ndev++];
        memset(nd, 0, sizeof *nd);
        nd->d.device = s->device;
        memcpy(nd->d.fingerprint, s->fingerprint, CRUMB_STORE_FPBYTES);
        nd->d.trust = CRUMB_TRUST_UNKNOWN;
        nd->d.first_seen = nd->d.last_seen = nd->d.trust_changed_at = now;
        if (s->label)
            stm_strcpy(nd->d.label, sizeof nd->d.label, s->label);
        if (s->ip_prefix)
            stm_strcpy(nd->d.ip_prefix, sizeof nd->d.ip_prefix, s->ip_prefix);
        if (s->family)
            nd->d.family = *s->family;
        nd->written_at = now;
        stm_dev_resort(u, u->ndev - 1);
        *dirty = 1;
        return CRUMB_OK;
    }
    stm_dev *d = &u->dev[i];
    crumb_store_device nd = d->d;
    memcpy(nd.fingerprint, s->fingerprint, CRUMB_STORE_FPBYTES);
    if (s->label)
        stm_strcpy(nd.label, sizeof nd.label, s->label);
    if (s->ip_prefix)
        stm_strcpy(nd.ip_prefix, sizeof nd.ip_prefix, s->ip_prefix);
    if (s->family)
        nd.family = *s->family; /* a new family is a change: written at once */
    int changed = memcmp(&nd, &d->d, sizeof nd) != 0;
    if (!changed && lim->throttle >= 0 && !stm_aged(d->written_at, now, lim->throttle))
        return CRUMB_OK; /* throttled */
    if (now > nd.last_seen)
        nd.last_seen = now;
    d->d = nd;
    d->written_at = now;
    stm_dev_resort(u, (size_t)i);
    *dirty = 1;
    return CRUMB_OK;
}

/* see model.h */
void stm_dev_remove(stm_user *u, size_t i)
{
    memmove(&u->dev[i], &u->dev[i + 1], (u->ndev - i - 1) * sizeof *u->dev);
    u->ndev--;
}

/* see model.h */
long stm_idx_find(const stm_user *u, const crumb_store_key *key)
{
    for (size_t i = 0; i < u->nidx; i++)
        if (memcmp(u->idx[i].session.b, key->b, CRUMB_STORE_KEYBYTES) == 0)
            return (long)i;
    return -1;
}

/* see model.h */
void stm_idx_remove(stm_user *u, size_t i)
{
    memmove(&u->idx[i], &u->idx[i + 1], (u->nidx - i - 1) * sizeof *u->idx);
    u->nidx--;
}

/* see model.h */
crumb_err stm_dev_delete(stm_user *u, const crumb_store_id *id)
{
    long i = stm_dev_find(u, id);
    if (i < 0)
        return CRUMB_E_NOTFOUND;
    stm_dev_remove(u, (size_t)i);
    return CRUMB_OK;
}

/* see model.h */
crumb_err stm_idx_delete(stm_user *u, const crumb_store_key *key)
{
    long i = stm_idx_find(u, key);
    if (i < 0)
        return CRUMB_E_NOTFOUND;
    stm_idx_remove(u, (size_t)i);
    return CRUMB_OK;
}

/* see model.h */
crumb_err stm_index_put(stm_user *u, const crumb_store_session_info *info,
                        const stm_limits *lim)
{
    long f = stm_idx_find(u, &info->session);
    if (f >= 0)
        stm_idx_remove(u, (size_t)f);
    else if (u->nidx >= lim->max_index && u->nidx > 0)
        u->nidx--; /* drop the least recently seen (array is newest first) */
    crumb_err e = stm_reserve((void **)&u->idx, &u->capidx, u->nidx + 1, sizeof *u->idx);
    if (e != CRUMB_OK)
        return e;
    size_t i = u->nidx;
    while (i > 0 && u->idx[i - 1].last_seen < info->last_seen) {
        u->idx[i] = u->idx[i - 1];
        i--;
    }
    u->idx[i] = *info;
    u->idx[i].label[CRUMB_STORE_LABEL_MAX] = '\0';
    u->nidx++;
    return CRUMB_OK;
}

/* see model.h */
void stm_index_list(const stm_user *u, crumb_store_session_info *out, size_t cap,
                    size_t *n, int64_t now)
{
    size_t k = 0;
    for (size_t i = 0; i < u->nidx; i++) {
        if (u->idx[i].expires_at <= now)
            continue;
        if (k < cap)
            out[k] = u->idx[i];
        k++;
    }
    *n = k;
}

/* see model.h */
void stm_device_list(const stm_user *u, crumb_store_device *out, size_t cap,
                     size_t *n)
{
    for (size_t i = 0; i < u->ndev && i < cap; i++)
        out[i] = u->dev[i].d;
    *n = u->ndev;
}

/* see model.h */
void stm_device_select(const stm_user *u, const crumb_store_device_filter *f,
                       crumb_store_device *out, size_t cap, size_t *n)
{
    size_t k = 0;
    for (size_t i = 0; i < u->ndev; i++) {
        const crumb_store_device *d = &u->dev[i].d;
        if (f->device != NULL && memcmp(d->device.b, f->device->b, CRUMB_STORE_IDBYTES) != 0)
            continue;
        if (f->active && d->trust == CRUMB_TRUST_REVOKED)
            continue;
        if (f->family != NULL &&
            memcmp(d->family.b, f->family->b, CRUMB_STORE_IDBYTES) != 0)
            continue;
        if (k < cap)
            out[k] = *d;
        k++;
    }
    *n = k;
}

static _Thread_local char stm_errmsg[CRUMB_STORE_ERRMSG_MAX + 1];

/* see model.h */
void stm_set_error(const char *what, const char *detail)
{
    size_t n = strnlen(what, CRUMB_STORE_ERRMSG_MAX);
    memcpy(stm_errmsg, what, n);
    if (detail != NULL && n + 2 < CRUMB_STORE_ERRMSG_MAX) {
        memcpy(stm_errmsg + n, ": ", 2);
        n += 2;
        size_t d = strnlen(detail, CRUMB_STORE_ERRMSG_MAX - n);
        memcpy(stm_errmsg + n, detail, d);
        n += d;
    }
    stm_errmsg[n] = '\0';
}

/* see model.h */
size_t stm_last_error(crumb_store *s, char *buf, size_t cap)
{
    (void)s;
    size_t n = strnlen(stm_errmsg, CRUMB_STORE_ERRMSG_MAX);
    size_t c = n < cap ? n : cap - 1;
    memcpy(buf, stm_errmsg, c);
    buf[c] = '\0';
    return c;
}

/* see model.h */
long stm_device_find_fp(const stm_user *u, const uint8_t fp[CRUMB_STORE_FPBYTES])
{
    for (size_t i = 0; i < u->ndev; i++)
        if (crumb_ct_equal(u->dev[i].d.fingerprint, fp, CRUMB_STORE_FPBYTES))
            return (long)i;
    return -1;
}

/* see model.h */
crumb_err stm_set_trust(stm_user *u, const crumb_store_id *device, int trust,
                        int64_t now)
{
    long i = stm_dev_find(u, device);
    if (i < 0)
        return CRUMB_E_NOTFOUND;
    u->dev[i].d.trust = trust;
    u->dev[i].d.trust_changed_at = now;
    u->dev[i].written_at = now;
    return CRUMB_OK;
}

/* see model.h */
int stm_dev_ladder(crumb_store_device *d, int64_t now, const crumb_store_retention *r,
                   crumb_store_sweep_counts *c)
{
    int was_revoked = d->trust == CRUMB_TRUST_REVOKED; /* revoked_at before this sweep */
    int changed = 0;
    if (d->trust == CRUMB_TRUST_TRUSTED && stm_idle_past(d->last_seen, now, r->trusted_idle)) {
        d->trust = CRUMB_TRUST_SEEN; /* last_seen stays: a demotion is no sighting */
        d->trust_changed_at = now;
        c->devices_demoted++;
        changed = 1;
    }
    if (d->trust == CRUMB_TRUST_SEEN && stm_idle_past(d->last_seen, now, r->seen_idle)) {
        d->trust = CRUMB_TRUST_REVOKED;
        d->trust_changed_at = now;
        c->devices_revoked++;
        changed = 1;
    }
    if (was_revoked && stm_idle_past(d->trust_changed_at, now, r->revoked_grace)) {
        c->devices_purged++;
        return 2;
    }
    return changed;
}

/* see model.h */
int stm_user_sweep(stm_user *u, int64_t now, const crumb_store_retention *r,
                   crumb_store_sweep_counts *c)
{
    int dirty = 0;
    for (size_t i = 0; i < u->nidx;) {
        if (u->idx[i].expires_at <= now) {
            stm_idx_remove(u, i);
            c->index_entries++;
            dirty = 1;
        } else {
            i++;
        }
    }
    for (size_t i = 0; i < u->ndrev;) {
        if (u->drev[i].until <= now) {
            u->drev[i] = u->drev[--u->ndrev];
            c->revocations++;
            dirty = 1;
        } else {
            i++;
        }
    }
    if (u->nb_until != 0 && u->nb_until <= now) {
        u->not_before = u->nb_until = 0;
        u->has_except = 0;
        memset(&u->except, 0, sizeof u->except);
        c->revocations++;
        dirty = 1;
    }
    for (size_t i = 0; i < u->ndev;) {
        int r2 = stm_dev_ladder(&u->dev[i].d, now, r, c);
        dirty |= r2 != 0;
        if (r2 == 2)
            stm_dev_remove(u, i);
        else
            i++;
    }
    return dirty;
}
