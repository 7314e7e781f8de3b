/*
 * store_secret.c - the store secret: the 32 bytes that key every name a
 * store sees (keyed session-id hashes; the keys of the SipHash names of
 * ephemeral stores are derived here) and seal server-mode records. It is
 * separate from the token key ring so that key rotation never changes it
 * (docs/SECURITY.md, "Store secret"); `crumb keygen --store-secret` writes it.
 */
#include "internal.h"
#include "keyfile.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define REC_VERSION 1u
#define REC_XCHACHA 1u /* XChaCha20-Poly1305, 24-byte random nonce */
#define REC_AESGCM 2u  /* AES-256-GCM under HMAC(key, 12-byte salt), 12-byte IV */
#define REC_HDR 26u    /* version, algorithm, 24 nonce bytes */

/* see crumb.h */
crumb_err crumb_store_secret_load_file(uint8_t out[32], const char *path)
{
    char buf[80];
    uint64_t size;
    size_t n;
    int fd;
    if (!out || !path)
        return CRUMB_E_INVALID;
    crumb_err rc = crumb__keyfile_open(path, &fd, &size);
    if (rc != CRUMB_OK)
        return rc;
    rc = crumb__keyfile_read(fd, buf, sizeof buf, &n);
    close(fd);
    while (rc == CRUMB_OK && n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        n--;
    if (rc == CRUMB_OK)
        rc = n == 64 && (buf[64] = 0, crumb__unhex(out, 32, buf) == 0) ? CRUMB_OK
                                                                      : CRUMB_E_KEYFILE;
    crumb_wipe(buf, sizeof buf);
    return rc;
}

/* see internal.h */
int crumb__record_key(uint8_t out[32], const uint8_t store_secret[32])
{
    static const char info[] = "crumb-record-v1";
    return crumb__hkdf_sha256(out, 32, store_secret, 32, NULL, 0, (const uint8_t *)info,
                              sizeof info - 1);
}

/* see internal.h */
int crumb__names_key(uint8_t out[64], const uint8_t secret[32], const char *info)
{
    return crumb__hkdf_sha256(out, 64, secret, 32, NULL, 0, (const uint8_t *)info, strlen(info));
}

/* Associated data of a record: a label and the store key it lives under. */
static void record_aad(uint8_t aad[40], const uint8_t id[32])
{
    memcpy(aad, "crumbrec", 8);
    memcpy(aad + 8, id, 32);
}

/* see internal.h */
crumb_err crumb__record_seal(uint8_t *out, size_t cap, size_t *out_len, const uint8_t *in,
                             size_t n, const uint8_t key[32], const uint8_t id[32],
                             int (*rnd)(void *, uint8_t *, size_t), void *rnd_ctx)
{
    uint8_t aad[40], sub[32];
    if (cap < CRUMB__RECORD_OVERHEAD || n > cap - CRUMB__RECORD_OVERHEAD)
        return CRUMB_E_BUFSIZE;
    if ((rnd ? rnd(rnd_ctx, out + 2, 24) : crumb__random_os(NULL, out + 2, 24)) != 0)
        return CRUMB_E_RANDOM;
    record_aad(aad, id);
    out[0] = REC_VERSION;
    uint8_t *ct = out + REC_HDR, *tag = out + REC_HDR + n;
    int r;
    if (crumb__xchacha_available()) {
        out[1] = REC_XCHACHA;
        r = crumb__xchacha_seal(ct, tag, in, n, aad, sizeof aad, out + 2, key);
    } else {
        out[1] = REC_AESGCM;
        r = crumb__hmac_sha256(sub, key, 32, out + 2, 12, NULL, 0);
        if (r == 0)
            r = crumb__aesgcm_seal(ct, tag, in, n, aad, sizeof aad, out + 14, 12, sub);
        crumb_wipe(sub, sizeof sub);
    }
    if (r != 0)
        return CRUMB_E_UNAVAILABLE;
    *out_len = n + CRUMB__RECORD_OVERHEAD;
    return CRUMB_OK;
}

/* see internal.h */
crumb_err crumb__record_open(uint8_t *out, size_t cap, size_t *out_len, const uint8_t *in,
                             size_t n, const uint8_t key[32], const uint8_t id[32])
{
    uint8_t aad[40], sub[32];
    if (n < CRUMB__RECORD_OVERHEAD || in[0] != REC_VERSION || cap < n - CRUMB__RECORD_OVERHEAD)
        return CRUMB_E_CORRUPT;
    size_t len = n - CRUMB__RECORD_OVERHEAD;
    uint8_t hdr[REC_HDR], tag[16];
    int r = -1;
    /* header and tag aside, ciphertext to the front: out may be in */
    memcpy(hdr, in, REC_HDR);
    memcpy(tag, in + REC_HDR + len, sizeof tag);
    memmove(out, in + REC_HDR, len);
    record_aad(aad, id);
    if (hdr[1] == REC_XCHACHA) {
        r = crumb__xchacha_open(out, out, len, tag, aad, sizeof aad, hdr + 2, key);
    } else if (hdr[1] == REC_AESGCM) {
        r = crumb__hmac_sha256(sub, key, 32, hdr + 2, 12, NULL, 0);
        if (r == 0)
            r = crumb__aesgcm_open(out, out, len, tag, aad, sizeof aad, hdr + 14, 12, sub);
        crumb_wipe(sub, sizeof sub);
    }
    if (r != 0) {
        crumb_wipe(out, len);
        return CRUMB_E_CORRUPT;
    }
    *out_len = len;
    return CRUMB_OK;
}
