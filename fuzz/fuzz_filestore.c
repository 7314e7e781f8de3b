/*
 * fuzz_filestore.c - the file store's record codec (stores/file.c) on
 * arbitrary bytes: crumb__fs_record_decode is what the store runs on every
 * record file it reads (size bound of the type, magic, type, reserved bytes,
 * length, CRC-32, path hash, format, strict body decoder). A record that
 * decodes must re-encode to the same bytes; a user record then goes through
 * one of the model operations the store applies under its lock, and what
 * the store would write back must decode again.
 *
 * Records carry a CRC-32 and the keyed hash of their path, not a MAC, so
 * the modes below let the fuzzer past those checks to the body decoders:
 * Input: byte 0 = [b0..b2 type: 0 S, 1 R, 2 F, 3 U, 4 G, 5..7 unknown]
 *                 [b3..b4 mode][b5..b7 user-record operation, see user_op];
 *   mode 0: bytes 1.. are a record image, checked against the fixed hash;
 *   mode 1: as 0, with the fixed hash and the CRC written into the image
 *           (if it has room for a header and trailer);
 *   mode 2: bytes 1.. are a body, wrapped in a valid header and CRC;
 *   mode 3: as 0, with only the CRC fixed (the hash check fails unless the
 *           input carries the fixed hash).
 */
#include "fuzz_common.h"

#include "../stores/file_internal.h"

#include <zlib.h>

#define REC_MAX (CRUMB__FS_HDR + 16u + CRUMB_STORE_DATA_MAX + 512u + CRUMB__FS_TRAILER)

static const int types[8] = {CRUMB__FS_SESSION, CRUMB__FS_REVOKE, CRUMB__FS_FAMILY,
                             CRUMB__FS_USER, CRUMB__FS_GLOBAL, 'X', 0, 's'};

static void put32le(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* Write the CRC-32 trailer of img[0..n). */
static void fix_crc(uint8_t *img, size_t n)
{
    put32le(img + n - 4, (uint32_t)crc32(crc32(0L, Z_NULL, 0), img, (uInt)(n - 4)));
}

/* Encode u as a user record, decode it back, and check it re-encodes to
 * the same image: what the store writes must read back. */
static void user_roundtrip(const stm_user *u, const uint8_t h[32])
{
    crumb__fs_record r, back;
    memset(&r, 0, sizeof r);
    r.type = CRUMB__FS_USER;
    r.user = *u; /* borrowed: not freed through r */
    uint8_t *img = NULL, *img2 = NULL;
    size_t n = 0, n2 = 0;
    FUZZ_CHECK(crumb__fs_record_encode(&r, h, &img, &n) == CRUMB_OK);
    FUZZ_CHECK(crumb__fs_record_decode(&back, CRUMB__FS_USER, h, img, n) == CRUMB_OK);
    FUZZ_CHECK(back.user.ndev == u->ndev && back.user.nidx == u->nidx &&
               back.user.ndrev == u->ndrev);
    FUZZ_CHECK(crumb__fs_record_encode(&back, h, &img2, &n2) == CRUMB_OK);
    FUZZ_CHECK(n2 == n && memcmp(img, img2, n) == 0);
    crumb__fs_record_free(&back);
    crumb__free(img);
    crumb__free(img2);
}

/* What the store does with a decoded user record: op 0 = the read side
 * (check, device and index lists, find by fingerprint), 1 = sweep, 2..7 =
 * the operations of user_modify; then save it as user_save would. */
static void user_op(stm_user *u, unsigned op, const uint8_t h[32])
{
    const int64_t now = FUZZ_NOW;
    const stm_limits lim = {STM_DEFAULT_THROTTLE, STM_DEFAULT_MAX_DEVICES, STM_DEFAULT_MAX_INDEX};
    crumb_store_id dev;
    crumb_store_key key;
    memset(dev.b, 0xd0, sizeof dev.b);
    memset(key.b, 0x5e, sizeof key.b);
    if (u->ndev > 0)
        dev = u->dev[0].d.device;
    else if (u->ndrev > 0)
        dev = u->drev[0].id;
    if (u->nidx > 0)
        key = u->idx[0].session;
    crumb_err rc = CRUMB_OK;
    int dirty = 1;
    switch (op) {
    case 0: {
        crumb_store_device devs[4];
        crumb_store_session_info idx[4];
        size_t n = 0;
        (void)stm_user_revoked(u, &key, now - 1, now);
        (void)stm_user_revoked(u, NULL, INT64_MIN, now);
        for (size_t i = 0; i < u->ndrev; i++)
            (void)stm_device_revoked(u, &u->drev[i].id, now);
        for (size_t i = 0; i < u->ndev; i++)
            (void)stm_device_revoked(u, &u->dev[i].d.device, now);
        stm_device_list(u, devs, 4, &n);
        FUZZ_CHECK(n == u->ndev);
        stm_index_list(u, idx, 4, &n, now);
        FUZZ_CHECK(n <= u->nidx);
        if (u->ndev > 0)
            FUZZ_CHECK(stm_device_find_fp(u, u->dev[0].d.fingerprint) >= 0);
        dirty = 0;
        break;
    }
    case 1: {
        crumb_store_retention r;
        crumb_store_sweep_counts c = {0};
        stm_retention(&r, NULL);
        dirty = stm_user_sweep(u, now, &r, &c);
        break;
    }
    case 2: {
        crumb_store_sighting sg = {.device = dev, .label = "fuzz", .ip_prefix = "10.0.0.0/8"};
        memset(sg.fingerprint, 0xf1, sizeof sg.fingerprint);
        rc = stm_device_seen(u, &sg, now, &lim, &dirty);
        break;
    }
    case 3: rc = stm_revoke_device(u, &dev, now + 3600, now); break;
    case 4: stm_revoke_user(u, now, u->nidx > 0 ? &key : NULL, now + 3600); break;
    case 5: rc = stm_set_trust(u, &dev, CRUMB_TRUST_TRUSTED, now); break;
    case 6: {
        crumb_store_session_info info = {.session = key, .created = now - 60,
                                         .last_seen = now, .expires_at = now + 600,
                                         .label = "fuzz"};
        info.family = dev;
        rc = stm_index_put(u, &info, &lim);
        break;
    }
    default: {
        long i = stm_dev_find(u, &dev);
        if (i >= 0)
            stm_dev_remove(u, (size_t)i);
        i = stm_idx_find(u, &key);
        if (i >= 0)
            stm_idx_remove(u, (size_t)i);
        break;
    }
    }
    FUZZ_CHECK(rc == CRUMB_OK || rc == CRUMB_E_LIMIT || rc == CRUMB_E_NOTFOUND);
    if (rc == CRUMB_OK && dirty && !stm_user_empty(u, now))
        user_roundtrip(u, h);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size - 1 > REC_MAX)
        return -1;
    int type = types[data[0] & 7];
    unsigned mode = (data[0] >> 3) & 3, op = (unsigned)(data[0] >> 5);
    uint8_t h[32];
    fuzz_fs_hash(h);

    /* the image under test, in an exact-size heap buffer */
    size_t n = mode == 2 ? size - 1 + CRUMB__FS_HDR + CRUMB__FS_TRAILER : size - 1;
    uint8_t *img = malloc(n ? n : 1);
    FUZZ_CHECK(img != NULL);
    if (mode == 2) {
        memcpy(img, "CRMR", 4);
        img[4] = 1;
        img[5] = (uint8_t)type;
        img[6] = img[7] = 0;
        put32le(img + 8, (uint32_t)(size - 1));
        memcpy(img + 12, h, 32);
        if (size > 1)
            memcpy(img + CRUMB__FS_HDR, data + 1, size - 1);
        fix_crc(img, n);
    } else {
        if (n)
            memcpy(img, data + 1, n);
        if (mode == 1 && n >= CRUMB__FS_HDR + CRUMB__FS_TRAILER)
            memcpy(img + 12, h, 32);
        if ((mode == 1 || mode == 3) && n >= CRUMB__FS_HDR + CRUMB__FS_TRAILER)
            fix_crc(img, n);
    }

    crumb__fs_record r;
    crumb_err rc = crumb__fs_record_decode(&r, type, h, img, n);
    if ((data[0] & 7) > 4) {
        FUZZ_CHECK(rc == CRUMB_E_INVALID);
    } else {
        FUZZ_CHECK(rc == CRUMB_OK || rc == CRUMB_E_CORRUPT || rc == CRUMB_E_VERSION);
        FUZZ_CHECK(rc != CRUMB_E_VERSION || mode != 2);
    }
    if (rc != CRUMB_OK) {
        FUZZ_CHECK(r.user.drev == NULL && r.user.dev == NULL && r.user.idx == NULL);
        free(img);
        return 0;
    }
    FUZZ_CHECK(r.type == type);
    if (type == CRUMB__FS_SESSION)
        FUZZ_CHECK(r.data == img + CRUMB__FS_HDR + 16 &&
                   r.data_len + 16 + CRUMB__FS_HDR + CRUMB__FS_TRAILER == n);

    /* strict decoding: the record re-encodes to exactly the same image */
    uint8_t *again = NULL;
    size_t an = 0;
    FUZZ_CHECK(crumb__fs_record_encode(&r, h, &again, &an) == CRUMB_OK);
    FUZZ_CHECK(an == n && memcmp(again, img, n) == 0);
    crumb__free(again);

    if (type == CRUMB__FS_USER)
        user_op(&r.user, op, h);
    crumb__fs_record_free(&r);
    free(img);
    return 0;
}
