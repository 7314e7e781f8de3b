/*
 * file_record.c - the file store's byte format (docs/STORE.md, "Record
 * format"): the 44-byte header, CRC-32 trailer and the strict codecs of the
 * session, family and user bodies, on memory only (no I/O), so the store and
 * fuzz/fuzz_filestore.c run the very same checks.
 */
#include "file_store.h"
#include "record.h"

#include <string.h>
#include <zlib.h>

#define FS_MAGIC "CRMR"
#define FS_FORMAT 1u
#define FS_HDR CRUMB__FS_HDR
#define FS_TRAILER CRUMB__FS_TRAILER
/* devices and index entries: the codec shared with Redis (record.c) */
#define FS_DEV_BYTES ((size_t)CRUMB__REC_DEV_MAX)
#define FS_IDX_BYTES ((size_t)CRUMB__REC_IDX_MAX)
#define FS_USER_MAX                                                                  \
    (8u + 8u + 1u + 32u + 12u + STM_HARD_MAX_DREV * 24u + STM_HARD_MAX_DEVICES * FS_DEV_BYTES + \
     STM_HARD_MAX_INDEX * FS_IDX_BYTES)

/* ==== Helpers =========================================================== */

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* CRC-32 of n bytes (zlib). */
static uint32_t crc(const uint8_t *p, size_t n)
{
    return (uint32_t)crc32(crc32(0L, Z_NULL, 0), p, (uInt)n);
}

/* Largest body a record of this type may have (0 for an unknown type):
 * bounds the file size before anything is allocated. */
static size_t rec_maxbody(int type)
{
    switch (type) {
    case T_SESSION: return 16u + CRUMB_STORE_DATA_MAX;
    case T_REVOKE:
    case T_GLOBAL: return 8u;
    case T_FAMILY: return 32u;
    case T_USER: return FS_USER_MAX;
    default: return 0;
    }
}

/* ==== Header and trailer ================================================ */

/* see file_internal.h */
int crumb__fs_size_ok(int type, uint64_t n)
{
    return n >= FS_HDR + FS_TRAILER && n - FS_HDR - FS_TRAILER <= rec_maxbody(type);
}

/* see file_internal.h: size bound, magic, type, reserved bytes, length
 * field, CRC-32 and hash, then the format version; fixed-size bodies (R, G,
 * F) must have exactly their size. */
crumb_err crumb__fs_verify_image(const uint8_t *buf, size_t n, int type, const uint8_t h[32],
                                 const uint8_t **body, size_t *blen)
{
    if (!crumb__fs_size_ok(type, n) || memcmp(buf, FS_MAGIC, 4) != 0 ||
        buf[5] != (uint8_t)type || buf[6] || buf[7] || get32(buf + 8) != n - FS_HDR - FS_TRAILER ||
        get32(buf + n - 4) != crc(buf, n - 4) || memcmp(buf + 12, h, 32) != 0)
        return CRUMB_E_CORRUPT;
    if (buf[4] != FS_FORMAT)
        return CRUMB_E_VERSION;
    size_t bl = n - FS_HDR - FS_TRAILER;
    if (type != T_SESSION && type != T_USER && bl != rec_maxbody(type))
        return CRUMB_E_CORRUPT;
    *body = buf + FS_HDR;
    *blen = bl;
    return CRUMB_OK;
}

/* see file_internal.h */
crumb_err crumb__fs_image(int type, const uint8_t h[32], const uint8_t *body, size_t blen,
                          uint8_t **out, size_t *n)
{
    size_t len = FS_HDR + blen + FS_TRAILER;
    uint8_t *buf = crumb__malloc(len);
    if (buf == NULL)
        return CRUMB_E_NOMEM;
    memcpy(buf, FS_MAGIC, 4);
    buf[4] = FS_FORMAT;
    buf[5] = (uint8_t)type;
    buf[6] = buf[7] = 0;
    put32(buf + 8, (uint32_t)blen);
    memcpy(buf + 12, h, 32);
    if (blen)
        memcpy(buf + FS_HDR, body, blen);
    put32(buf + len - 4, crc(buf, len - 4));
    *out = buf;
    *n = len;
    return CRUMB_OK;
}

/* ==== Session and family bodies ========================================= */

/* see file_internal.h */
crumb_err crumb__fs_sess_decode(const uint8_t *b, size_t n, uint64_t *ver, int64_t *exp)
{
    if (n < 16 || n - 16 > CRUMB_STORE_DATA_MAX)
        return CRUMB_E_CORRUPT;
    *ver = stm_get64(b);
    *exp = (int64_t)stm_get64(b + 8);
    return CRUMB_OK;
}

/* see file_internal.h */
crumb_err crumb__fs_sess_encode(uint8_t **out, uint64_t ver, int64_t exp, const uint8_t *data,
                                size_t len)
{
    uint8_t *nb = *out = crumb__malloc(16 + len);
    if (nb == NULL)
        return CRUMB_E_NOMEM;
    stm_put64(nb, ver);
    stm_put64(nb + 8, (uint64_t)exp);
    if (len)
        memcpy(nb + 16, data, len);
    return CRUMB_OK;
}

/* see file_internal.h */
void crumb__fs_fam_decode(crumb__fs_record *r, const uint8_t b[32])
{
    r->version = stm_get64(b);
    r->advanced_at = (int64_t)stm_get64(b + 8);
    r->until = (int64_t)stm_get64(b + 16);
    r->revoked_until = (int64_t)stm_get64(b + 24);
}

/* see file_internal.h */
void crumb__fs_fam_encode(uint8_t b[32], const crumb__fs_record *r)
{
    stm_put64(b, r->version);
    stm_put64(b + 8, (uint64_t)r->advanced_at);
    stm_put64(b + 16, (uint64_t)r->until);
    stm_put64(b + 24, (uint64_t)r->revoked_until);
}

/* ==== User body ========================================================= */

/* see file_internal.h */
crumb_err crumb__fs_user_encode(const stm_user *u, uint8_t **out, size_t *n)
{
    size_t cap = 8 + 8 + 1 + 32 + 12 + u->ndrev * 24 + u->ndev * FS_DEV_BYTES +
                 u->nidx * FS_IDX_BYTES;
    uint8_t *b = crumb__malloc(cap), *p = b;
    if (b == NULL)
        return CRUMB_E_NOMEM;
    stm_put64(p, (uint64_t)u->not_before);
    stm_put64(p + 8, (uint64_t)u->nb_until);
    p[16] = (uint8_t)(u->has_except != 0);
    memcpy(p + 17, u->except.b, 32);
    p += 49;
    put32(p, (uint32_t)u->ndrev);
    p += 4;
    for (size_t i = 0; i < u->ndrev; i++, p += 24) {
        memcpy(p, u->drev[i].id.b, 16);
        stm_put64(p + 16, (uint64_t)u->drev[i].until);
    }
    put32(p, (uint32_t)u->ndev);
    p += 4;
    for (size_t i = 0; i < u->ndev; i++)
        p = crumb__rec_dev_put(p, &u->dev[i]);
    put32(p, (uint32_t)u->nidx);
    p += 4;
    for (size_t i = 0; i < u->nidx; i++)
        p = crumb__rec_idx_put(p, &u->idx[i]);
    *out = b;
    *n = (size_t)(p - b);
    return CRUMB_OK;
}

/* Decode the head and device revocations of a user body into u; *pp
 * advances. CRUMB_E_CORRUPT, CRUMB_E_NOMEM. */
static crumb_err user_head(stm_user *u, const uint8_t **pp, const uint8_t *end)
{
    const uint8_t *p = *pp;
    if (end - p < 49 + 4 || p[16] > 1)
        return CRUMB_E_CORRUPT;
    u->not_before = (int64_t)stm_get64(p);
    u->nb_until = (int64_t)stm_get64(p + 8);
    u->has_except = p[16];
    memcpy(u->except.b, p + 17, 32);
    p += 49;
    uint32_t nd = get32(p);
    p += 4;
    if (nd > STM_HARD_MAX_DREV || (size_t)(end - p) < (size_t)nd * 24 + 4)
        return CRUMB_E_CORRUPT;
    if (stm_reserve((void **)&u->drev, &u->capdrev, nd, sizeof *u->drev) != CRUMB_OK)
        return CRUMB_E_NOMEM;
    for (uint32_t i = 0; i < nd; i++, p += 24) {
        memcpy(u->drev[i].id.b, p, 16);
        u->drev[i].until = (int64_t)stm_get64(p + 16);
        u->ndrev++;
    }
    *pp = p;
    return CRUMB_OK;
}

/* see file_internal.h. A device takes at least 83 bytes, an index entry 89
 * (record.h): counts the body cannot hold fail before anything is allocated for them. */
crumb_err crumb__fs_user_decode(stm_user *u, const uint8_t *p, size_t n)
{
    const uint8_t *end = p + n;
    memset(u, 0, sizeof *u);
    crumb_err e = user_head(u, &p, end);
    if (e != CRUMB_OK)
        goto fail;
    e = CRUMB_E_CORRUPT;
    uint32_t nv = get32(p);
    p += 4;
    if (nv > STM_HARD_MAX_DEVICES ||
        (size_t)(end - p) < (size_t)nv * (CRUMB__REC_DEV_FIXED + 2) + 4)
        goto fail;
    if (stm_reserve((void **)&u->dev, &u->capdev, nv, sizeof *u->dev) != CRUMB_OK) {
        e = CRUMB_E_NOMEM;
        goto fail;
    }
    for (uint32_t i = 0; i < nv; i++, u->ndev++)
        if ((p = crumb__rec_dev_get(&u->dev[i], p, end)) == NULL)
            goto fail;
    if (end - p < 4)
        goto fail;
    uint32_t ni = get32(p);
    p += 4;
    if (ni > STM_HARD_MAX_INDEX || (size_t)(end - p) < (size_t)ni * (CRUMB__REC_IDX_FIXED + 1))
        goto fail;
    if (stm_reserve((void **)&u->idx, &u->capidx, ni, sizeof *u->idx) != CRUMB_OK) {
        e = CRUMB_E_NOMEM;
        goto fail;
    }
    for (uint32_t i = 0; i < ni; i++, u->nidx++)
        if ((p = crumb__rec_idx_get(&u->idx[i], p, end)) == NULL)
            goto fail;
    if (p == end)
        return CRUMB_OK;
fail:
    stm_user_free(u);
    return e;
}

/* ==== Whole records on memory (file_internal.h) ======================== */

/* see file_internal.h */
crumb_err crumb__fs_record_decode(crumb__fs_record *r, int type, const uint8_t h[32],
                                  const uint8_t *img, size_t n)
{
    memset(r, 0, sizeof *r);
    if (rec_maxbody(type) == 0 || h == NULL || (img == NULL && n > 0))
        return CRUMB_E_INVALID;
    const uint8_t *b;
    size_t bl;
    crumb_err rc = crumb__fs_verify_image(img, n, type, h, &b, &bl);
    if (rc != CRUMB_OK)
        return rc;
    r->type = type;
    switch (type) {
    case T_SESSION:
        rc = crumb__fs_sess_decode(b, bl, &r->version, &r->until);
        r->data = b + 16;
        r->data_len = bl - 16;
        break;
    case T_FAMILY: crumb__fs_fam_decode(r, b); break;
    case T_USER: rc = crumb__fs_user_decode(&r->user, b, bl); break;
    default: r->until = (int64_t)stm_get64(b); break; /* T_REVOKE, T_GLOBAL */
    }
    if (rc != CRUMB_OK)
        memset(r, 0, sizeof *r);
    return rc;
}

/* see file_internal.h */
crumb_err crumb__fs_record_encode(const crumb__fs_record *r, const uint8_t h[32], uint8_t **img,
                                  size_t *n)
{
    *img = NULL;
    *n = 0;
    uint8_t small[32], *owned = NULL;
    const uint8_t *body = small;
    size_t blen = 0;
    crumb_err rc = CRUMB_OK;
    switch (r->type) {
    case T_SESSION:
        if (r->data_len > CRUMB_STORE_DATA_MAX || (r->data == NULL && r->data_len > 0))
            return CRUMB_E_INVALID;
        rc = crumb__fs_sess_encode(&owned, r->version, r->until, r->data, r->data_len);
        body = owned;
        blen = 16 + r->data_len;
        break;
    case T_REVOKE:
    case T_GLOBAL:
        stm_put64(small, (uint64_t)r->until);
        blen = 8;
        break;
    case T_FAMILY:
        crumb__fs_fam_encode(small, r);
        blen = 32;
        break;
    case T_USER:
        rc = crumb__fs_user_encode(&r->user, &owned, &blen);
        body = owned;
        break;
    default: return CRUMB_E_INVALID;
    }
    if (rc == CRUMB_OK)
        rc = crumb__fs_image(r->type, h, body, blen, img, n);
    if (owned != NULL) {
        crumb_wipe(owned, blen);
        crumb__free(owned);
    }
    return rc;
}

/* see file_internal.h */
void crumb__fs_record_free(crumb__fs_record *r)
{
    if (r == NULL)
        return;
    stm_user_free(&r->user);
    memset(r, 0, sizeof *r);
}
