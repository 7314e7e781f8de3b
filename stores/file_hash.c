/*
 * file_hash.c - the file store's keyed path names: HMAC-SHA-256 under the
 * store secret with the inner and outer states computed once per store, so
 * a name costs two SHA-256 compressions (docs/STORE.md, "Layout"). The
 * names are the same as crumb__hmac_sha256 gives (tests compare them).
 */
#include "file_store.h"

#include <string.h>

/* ==== SHA-256 compression (FIPS 180-4) ================================== */

static const uint32_t K256[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
    0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
    0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
    0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
    0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
    0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
    0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
    0xc67178f2};

static const uint32_t IV256[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                  0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))
#define S0(x) ROR((x) ^ ROR((x) ^ ROR(x, 9), 11), 2)   /* ROR 2 ^ ROR 13 ^ ROR 22 */
#define S1(x) ROR((x) ^ ROR((x) ^ ROR(x, 14), 5), 6)   /* ROR 6 ^ ROR 11 ^ ROR 25 */
#define G0(x) (ROR(x, 7) ^ ROR(x, 18) ^ ((x) >> 3))
#define G1(x) (ROR(x, 17) ^ ROR(x, 19) ^ ((x) >> 10))
/* one round with the working variables renamed instead of moved; Ch and Maj
 * in their three- and four-operation forms */
#define RND(a, b, c, d, e, f, g, h, i)                                              \
    do {                                                                        \
        uint32_t t1_ = h + S1(e) + (g ^ (e & (f ^ g))) + K256[i] + w[i];         \
        d += t1_;                                                               \
        h = t1_ + S0(a) + ((a & b) | (c & (a | b)));                            \
    } while (0)

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Absorb one 64-byte block into st. */
static void sha256_block(uint32_t st[8], const uint8_t blk[64])
{
    uint32_t w[64];
    for (int i = 0; i < 16; i++)
        w[i] = be32(blk + 4 * i);
    for (int i = 16; i < 64; i++)
        w[i] = G1(w[i - 2]) + w[i - 7] + G0(w[i - 15]) + w[i - 16];
    uint32_t a = st[0], b = st[1], c = st[2], d = st[3], e = st[4], f = st[5], g = st[6],
             h = st[7];
    for (int i = 0; i < 64; i += 8) {
        RND(a, b, c, d, e, f, g, h, i);
        RND(h, a, b, c, d, e, f, g, i + 1);
        RND(g, h, a, b, c, d, e, f, i + 2);
        RND(f, g, h, a, b, c, d, e, i + 3);
        RND(e, f, g, h, a, b, c, d, i + 4);
        RND(d, e, f, g, h, a, b, c, i + 5);
        RND(c, d, e, f, g, h, a, b, i + 6);
        RND(b, c, d, e, f, g, h, a, i + 7);
    }
    st[0] += a, st[1] += b, st[2] += c, st[3] += d;
    st[4] += e, st[5] += f, st[6] += g, st[7] += h;
}

/* A SHA-256 computation that started from a saved state after `done`
 * whole blocks: absorb p1 || p2, pad, and write the digest. */
static void sha256_from(const uint32_t init[8], uint64_t done, const uint8_t *p1, size_t n1,
                        const uint8_t *p2, size_t n2, uint8_t out[32])
{
    uint32_t st[8];
    uint8_t blk[64];
    size_t fill = 0;
    memcpy(st, init, sizeof st);
    const uint8_t *parts[2] = {p1, p2};
    size_t lens[2] = {n1, p2 ? n2 : 0};
    for (int k = 0; k < 2; k++) {
        const uint8_t *p = parts[k];
        size_t left = lens[k];
        while (left > 0) {
            size_t take = left < 64 - fill ? left : 64 - fill;
            memcpy(blk + fill, p, take);
            fill += take, p += take, left -= take;
            if (fill == 64) {
                sha256_block(st, blk);
                fill = 0;
            }
        }
    }
    uint64_t bits = (done * 64 + n1 + lens[1]) * 8;
    blk[fill++] = 0x80;
    if (fill > 56) {
        memset(blk + fill, 0, 64 - fill);
        sha256_block(st, blk);
        fill = 0;
    }
    memset(blk + fill, 0, 56 - fill);
    for (int i = 0; i < 8; i++)
        blk[56 + i] = (uint8_t)(bits >> (56 - 8 * i));
    sha256_block(st, blk);
    for (int i = 0; i < 8; i++) {
        out[4 * i] = (uint8_t)(st[i] >> 24);
        out[4 * i + 1] = (uint8_t)(st[i] >> 16);
        out[4 * i + 2] = (uint8_t)(st[i] >> 8);
        out[4 * i + 3] = (uint8_t)st[i];
    }
    crumb_wipe(st, sizeof st);
    crumb_wipe(blk, sizeof blk);
}

/* ==== HMAC with precomputed states ====================================== */

/* see file_store.h */
void crumb__fs_hkey_init(crumb__fs_hkey *k, const uint8_t key[32])
{
    uint8_t pad[64];
    memset(pad, 0x36, sizeof pad);
    for (int i = 0; i < 32; i++)
        pad[i] ^= key[i];
    memcpy(k->ist, IV256, sizeof k->ist);
    sha256_block(k->ist, pad);
    for (int i = 0; i < 64; i++)
        pad[i] ^= 0x36 ^ 0x5c;
    memcpy(k->ost, IV256, sizeof k->ost);
    sha256_block(k->ost, pad);
    crumb_wipe(pad, sizeof pad);
}

/* see file_store.h */
void crumb__fs_hmac(const crumb__fs_hkey *k, uint8_t out[32], const uint8_t *p1, size_t n1,
                    const uint8_t *p2, size_t n2)
{
    uint8_t inner[32];
    sha256_from(k->ist, 1, p1, n1, p2, n2, inner);
    sha256_from(k->ost, 1, inner, 32, NULL, 0, out);
    crumb_wipe(inner, sizeof inner);
}

/* ==== Path names ======================================================== */

/* see file_store.h */
void crumb__fs_hash(const file_store *fs, uint8_t out[32], int type, const void *a, size_t na)
{
    uint8_t t = (uint8_t)type;
    crumb__fs_hmac(&fs->sec->hk, out, &t, 1, a, na);
}

/* see file_store.h: HMAC(secret, 'U' || len(tenant) || tenant || user); the
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
    crumb__fs_hmac(&fs->sec->hk, out, pre, tl + 2, (const uint8_t *)user, ul);
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
