/*
 * file_hash.c - the file store's keyed path names (docs/STORE.md, "Layout"):
 * in a store of identity version 1, HMAC-SHA-256 under the store secret
 * from a key prepared once (lib/hmac.c: two SHA-256 blocks a name; equal
 * to crumb__hmac_sha256, tests compare them); in version 2, four
 * SipHash-2-4 under keys derived from the secret (tests compute them from
 * libsodium).
 */
#include "file_store.h"

#include <stdlib.h>
#include <string.h>

/* ==== HMAC with a prepared key ========================================= */

/* The libraries' software SHA-256 cannot fail; a failure (an mbedTLS
 * built with a failing hardware SHA-256) would leave a path name unset, so
 * it stops the process rather than name records with garbage. */

/* see file_store.h */
void crumb__fs_hkey_init(crumb__fs_hkey *k, const uint8_t key[32])
{
    if (crumb__hmac_pre_init(&k->pre, key, 32) != 0)
        abort();
}

/* see file_store.h */
void crumb__fs_hmac(const crumb__fs_hkey *k, uint8_t out[32], const uint8_t *p1, size_t n1,
                    const uint8_t *p2, size_t n2)
{
    if (crumb__hmac_pre_mac(out, &k->pre, p1, n1, p2, n2) != 0)
        abort();
}

/* ==== Path names ======================================================== */

#define SIP_INFO "crumb-file-names-siphash24-v1"

/* see file_store.h */
crumb_err crumb__fs_names_init(file_store *fs)
{
    if (fs->names == FS_NAMES_SIPHASH &&
        crumb__names_key(fs->sec->sip, fs->sec->secret, SIP_INFO) != 0)
        return CRUMB_E_INTERNAL;
    crumb__fs_hash(fs, fs->global_h, T_GLOBAL, "", 0);
    return CRUMB_OK;
}

/* The name of p1 || p2 (n1 + n2 <= 2 + 2 * CRUMB_STORE_NAME_MAX) under the
 * store's naming. */
static void name_of(const file_store *fs, uint8_t out[32], const uint8_t *p1, size_t n1,
                    const uint8_t *p2, size_t n2)
{
    if (fs->names != FS_NAMES_SIPHASH) {
        crumb__fs_hmac(&fs->sec->hk, out, p1, n1, p2, n2);
        return;
    }
    uint8_t m[2 + 2 * CRUMB_STORE_NAME_MAX]; /* SipHash takes one buffer */
    memcpy(m, p1, n1);
    if (n2)
        memcpy(m + n1, p2, n2);
    if (crumb__sip4(out, m, n1 + n2, fs->sec->sip) != 0)
        abort(); /* not reached: version-2 stores open only with SipHash */
}

/* see file_store.h */
void crumb__fs_hash(const file_store *fs, uint8_t out[32], int type, const void *a, size_t na)
{
    uint8_t t = (uint8_t)type;
    name_of(fs, out, &t, 1, a, na);
}

/* see file_store.h: the name of 'U' || len(tenant) || tenant || user; the
 * length prefix keeps (ab, c) and (a, bc) apart. */
crumb_err crumb__fs_user_hash(const file_store *fs, uint8_t out[32], const char *tenant,
                              const char *user)
{
    uint8_t pre[2 + CRUMB_STORE_NAME_MAX];
    size_t tl = strlen(tenant), ul = strlen(user);
    if (tl > CRUMB_STORE_NAME_MAX || ul > CRUMB_STORE_NAME_MAX)
        return CRUMB_E_INVALID;
    pre[0] = T_USER;
    pre[1] = (uint8_t)tl;
    memcpy(pre + 2, tenant, tl);
    name_of(fs, out, pre, tl + 2, (const uint8_t *)user, ul);
    return CRUMB_OK;
}

/* Subdirectory letter of a record type. */
static char type_dir(int type)
{
    switch (type) {
    case T_SESSION: return 's';
    case T_REVOKE: return 'r';
    case T_FAMILY: return 'f';
    default: return 'u';
    }
}

/* see file_store.h */
void crumb__fs_relpath(char path[FS_RELPATH], int type, const uint8_t h[32])
{
    if (type == T_GLOBAL) {
        memcpy(path, "global", 7);
        return;
    }
    path[0] = type_dir(type);
    path[1] = '/';
    crumb__hex(path + 5, h, 32);
    path[2] = path[5];
    path[3] = path[6];
    path[4] = '/';
    path[69] = '\0';
}
