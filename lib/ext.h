/*
 * ext.h - private interface of the payload v2 fields (issue 16): the
 * extension codec (payload_ext.c), the client fingerprint (fingerprint.c)
 * and the auth-state rules the session layer applies (auth_state.c).
 * Never installed.
 */
#ifndef CRUMB_EXT_H
#define CRUMB_EXT_H

#include "crumb.h"

#include <stddef.h>
#include <stdint.h>

struct crumb_ctx;
struct crumb_session;

/* ==== payload_ext.c (below payload.c) =================================== */

/* Bytes of p's v2 extension block (count byte and fields), or 0 when p
 * needs no v2 (then it is written as v1). */
size_t crumb__pext_size(const crumb_payload *p);

/* 0 if p's v2 fields are valid and consistent with its auth state, else -1. */
int crumb__pext_valid(const crumb_payload *p);

/* Write the extension block (crumb__pext_size(p) bytes, nonzero) at w;
 * return the end. */
uint8_t *crumb__pext_write(const crumb_payload *p, uint8_t *w);

/* Read the extension block of a v2 payload at in[*off..n) into p->ext
 * (auth state already decoded), advancing *off. Strict: ascending known
 * types, exact lengths, canonical (a v2 that needed no v2 is refused).
 * 0, or -1. */
int crumb__pext_read(crumb_payload *p, const uint8_t *in, size_t n, size_t *off);

/* ==== fingerprint.c ===================================================== */

/* Validate the issue-16 config fields (fingerprint policy and inputs,
 * session_lifetime) and derive ctx's fingerprint key (from
 * cfg->fingerprint_key, else the store secret). @return CRUMB_OK,
 * CRUMB_E_INVALID */
crumb_err crumb__fp_ctx_init(struct crumb_ctx *ctx, const crumb_ctx_config *cfg);

/* Fingerprint of this request's client from the config's inputs.
 * @return CRUMB_OK, CRUMB_E_INVALID */
crumb_err crumb__fp_compute(const struct crumb_ctx *ctx, const char *ua, const char *ip,
                            const void *app, size_t app_len, uint8_t out[32]);

/* ==== auth_state.c (below session.c) ==================================== */

/* The auth state was replaced (crumb_session_set_auth): drop factor
 * progress that no longer fits; bind the client on AUTHENTICATED. */
void crumb__auth_on_set(struct crumb_session *s);

/* The user changed (login) or was cleared: factor progress and binding
 * reset, IDENTIFYING (or ANONYMOUS with no user). */
void crumb__auth_on_user(struct crumb_session *s, int changed);

/* 1 (and the reason logged) if the guard refuses and the session is bound
 * but no client was checked in this request: save fails closed. */
int crumb__auth_unchecked(const struct crumb_session *s);

/* Bind the session to the client described in this request, if the guard
 * is on and a client was described. */
void crumb__auth_bind(struct crumb_session *s);

/* ==== expiry.c ========================================================== */

/* Re-apply the session's lifetime and idle override from its issue time:
 * expires_at = issued_at + lifetime (never beyond absolute_lifetime), the
 * idle deadline from now; saturating. */
void crumb__expiry_relimit(const struct crumb_ctx *ctx, crumb_payload *p, int64_t now);

/* ==== session.c ========================================================= */

/* Replace the loaded session with a fresh anonymous one (fingerprint
 * refused). @return CRUMB_OK, CRUMB_E_RANDOM */
crumb_err crumb__session_refuse(struct crumb_session *s);

#endif /* CRUMB_EXT_H */
