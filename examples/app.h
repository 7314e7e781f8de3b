/*
 * app.h - the libcrumb demo application, independent of the web server:
 * one request in, one response out. cgi/crumb_cgi.c and mhd/crumb_mhd.c are
 * only the glue that fills an app_request and writes an app_response.
 */
#ifndef CRUMB_EXAMPLE_APP_H
#define CRUMB_EXAMPLE_APP_H

#include <stddef.h>

#define APP_BODY_MAX 4096u  /* largest accepted request body (form posts) */
#define APP_HEADERS_MAX 40u /* Set-Cookie lines a response can carry: at most
                                2 * CRUMB_CHUNKS_MAX + 3 from a save */

typedef struct app app;

/* Store kinds (app_config.store). */
#define APP_STORE_FILE 0
#define APP_STORE_MEMORY 1
#define APP_STORE_REDIS 2 /* needs a build with hiredis (make REDIS=auto|on) */

typedef struct app_config {
    const char *var_dir; /* "./var": keys, users, store/ (created 0700) */
    int mode;            /* CRUMB_MODE_* (default: CRUMB_MODE_STATELESS_STORE) */
    int store;           /* APP_STORE_* (ignored in CRUMB_MODE_STATELESS) */
    const char *redis_url; /* CRUMB_REDIS_URL; NULL = redis://127.0.0.1:6379/0 */
    int secure;          /* 1 = served over HTTPS: "__Host-" cookie with Secure */
    int fingerprint;     /* CRUMB_FP_* hijack guard (CRUMB_FINGERPRINT=refuse|report|off;
                            default report) */
} app_config;

/* Fill cfg from the environment: CRUMB_VAR, CRUMB_MODE=server|stateless-store|
 * stateless, CRUMB_STORE=file|memory|redis, CRUMB_REDIS_URL, CRUMB_SECURE=1,
 * CRUMB_FINGERPRINT=refuse|report|off. Unset = defaults.
 * Returns 0, or -1 with a message in err for an unknown value. */
int app_config_from_env(app_config *cfg, char *err, size_t errcap);

/* One request. Strings are NUL-terminated; any of them may be NULL. */
typedef struct app_request {
    const char *method;       /* "GET", "POST", ... */
    const char *path;         /* URL path without the query, e.g. "/login" */
    const char *cookie;       /* the Cookie header */
    const char *content_type; /* the Content-Type header */
    const char *body;         /* request body (not NUL-terminated), <= APP_BODY_MAX */
    size_t body_len;
    int body_too_large;       /* 1 = the server dropped a body over APP_BODY_MAX */
    const char *user_agent;
    const char *remote_ip;    /* textual address of the peer */
} app_request;

/* One response. Everything is owned by the response (app_response_free). */
typedef struct app_response {
    int status;               /* 200, 303, 400, 403, 404, 405, 413, 415, 500 */
    const char *reason;       /* "OK", "See Other", ... (static) */
    const char *location;     /* redirect target (static) or NULL */
    char *set_cookie[APP_HEADERS_MAX]; /* values for Set-Cookie headers */
    size_t n_set_cookie;
    char *body;               /* text/html; charset=utf-8 */
    size_t body_len;
} app_response;

/* Headers every response carries (name, value pairs, NULL-terminated). */
extern const char *const app_fixed_headers[];

/**
 * Create the application: makes var_dir (0700) and, on first run, var_dir/keys
 * (a fresh key ring, 0600) and var_dir/users (demo users alice and bob, their
 * passwords hashed with crypto_pwhash_str), then loads both, opens the store
 * and creates the libcrumb context.
 * Returns 0, or -1 with a message in err.
 */
int app_new(app **out, const app_config *cfg, char *err, size_t errcap);

/* Handle one request. Thread-safe: the context and the built-in stores may
 * be used from many threads. resp is always filled; release it with
 * app_response_free. */
void app_handle(app *a, const app_request *req, app_response *resp);

void app_response_free(app_response *resp);

/* Close the store, free the context (NULL allowed). */
void app_free(app *a);

#endif
