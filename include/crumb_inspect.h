/*
 * crumb_inspect.h - decoding for diagnostics tools (the `crumb open`
 * command): a session cookie, a whole Cookie header (chunks included) or
 * the device cookie, judged by the library's own session-layer decoder, so
 * a tool and an application never disagree on a token. Applications do not
 * need this header: they use crumb_session_load.
 */
#ifndef CRUMB_INSPECT_H
#define CRUMB_INSPECT_H

#include "crumb.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What the inspected cookie turned out to be. */
typedef enum crumb_inspect_kind {
    CRUMB_INSPECT_NONE = 0,      /* no cookie of that name (err CRUMB_E_NOSESSION) */
    CRUMB_INSPECT_SESSION = 1,   /* a session token */
    CRUMB_INSPECT_REFERENCE = 2, /* an authentic server-mode reference token: the
                                    session data is in the server's store */
    CRUMB_INSPECT_DEVICE = 3     /* a device cookie (device_id) */
} crumb_inspect_kind;

/* The verdict and what could be decoded. */
typedef struct crumb_inspect_result {
    crumb_err err;        /* the session layer's verdict: CRUMB_OK = a valid
                             session a stateless context would accept */
    int reason;           /* crumb_reason logged with err (CRUMB_R_NONE on OK) */
    int kind;             /* crumb_inspect_kind */
    int have_payload;     /* payload holds the token's authenticated fields:
                             set on CRUMB_OK and also when the token
                             authenticated but failed the time checks */
    int reseal;           /* opened under a decrypt-only key */
    unsigned chunks;      /* cookies the token came in (1 = not chunked) */
    uint8_t version, suite, flags; /* token header (authenticated when
                                      have_payload or kind is REFERENCE/DEVICE) */
    uint32_t key_id;
    crumb_payload payload;/* payload.data points into memory the result owns */
    uint8_t device_id[16];/* kind DEVICE with err CRUMB_OK */
    void *priv;           /* owned memory: release with crumb_inspect_clear */
} crumb_inspect_result;

/**
 * Judge the cookie cfg->cookie_name (or, with device = 1, the device cookie
 * "<cookie_name>.d") in a request Cookie header exactly as
 * crumb_session_load would in a stateless context with cfg's settings and
 * clock (cfg->mode, store, log, migrate and app_schema are ignored: the
 * application schema is not checked and no store is asked).
 * @param[out] out  the verdict (zeroed first; filled on CRUMB_OK, cleared
 *                  again on error; release with crumb_inspect_clear)
 * @param[in]  kr   keys
 * @param[in]  cfg  the application's context settings
 * @param[in]  cookie_header  the request's Cookie header (NULL = none)
 * @param[in]  device  0 = the session cookie, 1 = the device cookie
 * @return CRUMB_OK (the verdict is in out->err), or a setup error:
 *         CRUMB_E_INVALID (NULL argument, or as crumb_ctx_new),
 *         CRUMB_E_UNAVAILABLE, CRUMB_E_NOMEM, CRUMB_E_INTERNAL,
 *         CRUMB_E_RANDOM
 * @note out->payload.data points into memory out owns (out->priv): valid
 *       until crumb_inspect_clear.
 */
CRUMB_EXPORT crumb_err crumb_inspect_cookie_header(crumb_inspect_result *out,
                                                   const crumb_keyring *kr,
                                                   const crumb_ctx_config *cfg,
                                                   const char *cookie_header, int device) CRUMB_WUR;

/**
 * As crumb_inspect_cookie_header for one bare token (the value of the
 * cookie; a chunked set needs the whole header). Tokens longer than
 * cfg->max_cookie_bytes are judged with that limit raised to the token's
 * length (at most CRUMB_PAYLOAD_MAX).
 * @param[out] out      as crumb_inspect_cookie_header
 * @param[in]  kr       keys
 * @param[in]  cfg      the application's context settings
 * @param[in]  tok      the token (NULL allowed when tok_len is 0)
 * @param[in]  tok_len  its length
 * @param[in]  device   0 = a session token, 1 = a device cookie value
 * @return CRUMB_OK (the verdict is in out->err), CRUMB_E_INVALID (NULL
 *         argument, cookie name over CRUMB_NAME_MAX, or as crumb_ctx_new),
 *         CRUMB_E_UNAVAILABLE, CRUMB_E_NOMEM, CRUMB_E_INTERNAL,
 *         CRUMB_E_RANDOM
 * @note as crumb_inspect_cookie_header.
 */
CRUMB_EXPORT crumb_err crumb_inspect_token(crumb_inspect_result *out, const crumb_keyring *kr,
                                           const crumb_ctx_config *cfg, const char *tok,
                                           size_t tok_len, int device) CRUMB_WUR;

/**
 * Wipe and release what a result holds; zeroes *r.
 * @param[in,out] r  the result (NULL allowed)
 */
CRUMB_EXPORT void crumb_inspect_clear(crumb_inspect_result *r);

#ifdef __cplusplus
}
#endif

#endif /* CRUMB_INSPECT_H */
