/*
 * names.h - the names a store sees, computed the way docs/STORE.md
 * documents them ("Session names", "Layout"), from libsodium and the HKDF
 * the KATs check, never through the code that makes them: the oracle of
 * test_store_naming, test_attack_session and test_store_faults.
 */
#ifndef CRUMB_TEST_NAMES_H
#define CRUMB_TEST_NAMES_H

#include "crumb.h"
#include "crumb_store.h"

#include <stddef.h>
#include <stdint.h>

/* The store key the session layer hands store st for session id sid under
 * store secret secret: HMAC-SHA-256(secret, "sid" || sid), or, for a store
 * whose naming is EPHEMERAL in a libsodium build, four SipHash-2-4
 * (64-bit), key bytes 8i..8i+7 under bytes 16i..16i+15 of the 64 bytes of
 * HKDF(secret, "crumb-sid-siphash24-v1"). 0, or -1 on failure. */
int names_session_key(crumb_store *st, const uint8_t secret[32],
                      const uint8_t sid[CRUMB_SID_BYTES], crumb_store_key *out);

/* The identity version (1: HMAC names, 2: SipHash names) of a file store
 * this build creates: 2 with libsodium, else 1. */
unsigned names_file_version(void);

/* The 32-byte path name of the record whose name input is p[0..n) (type
 * byte || id, or 'U' || len(tenant) || tenant || user) in a file store of
 * identity version `version` keyed by its secret: HMAC-SHA-256(secret, p)
 * (version 1), or four SipHash-2-4 of p under the 64 bytes of HKDF(secret,
 * "crumb-file-names-siphash24-v1") (version 2). 0, or -1. */
int names_file(uint8_t out[32], const uint8_t secret[32], unsigned version, const uint8_t *p,
               size_t n);

/* DIR/identity's 64 bytes into b (a file store's identity record); 1 if
 * it has the record's size. */
int names_file_identity(const char *dir, uint8_t b[64]);

/* Rewrite DIR/identity as version v, keyed as every release writes it
 * (HMAC-SHA-256 under the store's secret of its first 32 bytes): the store
 * becomes one of that version, as if a release that makes version v had
 * made it. Temp file and rename. 0, or -1. */
int names_file_set_version(const char *dir, const uint8_t secret[32], uint8_t v);

#endif
