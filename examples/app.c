/*
 * app.c - the libcrumb demo application shared by the CGI and the
 * libmicrohttpd examples: a visit counter, login (rotates the session),
 * "your devices" with revoke buttons, log out, log out others.
 * Every POST carries a CSRF token; every dynamic string is HTML-escaped.
 */
#include "app.h"

#include <crumb.h>
#include <crumb_store.h>

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Demo users and their documented demo passwords (README.md). Only the
 * crypto_pwhash_str hashes are kept, in var/users. */
static const char *const demo_users[][2] = {
    {"alice", "alice-demo-password"},
    {"bob", "bob-demo-password"},
};
#define N_USERS (sizeof demo_users / sizeof demo_users[0])
#define USER_MAX 32u
#define CSRF_HEX 32u        /* 16 random bytes, hex */
#define FORM_FIELDS_MAX 8u
#define FORM_NAME_MAX 32u
#define FORM_VALUE_MAX 512u
#define LIST_MAX 32u        /* devices / sessions shown */

struct app {
    app_config cfg;
    crumb_keyring *kr;
    crumb_store *store;
    crumb_ctx *ctx;
    uint8_t store_secret[32]; /* var/store.secret: never rotated with the keys */
    char users[N_USERS][USER_MAX];
    char hashes[N_USERS][crypto_pwhash_STRBYTES];
};

const char *const app_fixed_headers[] = {
    "Content-Type", "text/html; charset=utf-8",
    "Cache-Control", "no-store",
    "Content-Security-Policy",
    "default-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options", "nosniff",
    "Referrer-Policy", "same-origin",
    NULL,
};

/* ==== Configuration ===================================================== */

/* see app.h */
int app_config_from_env(app_config *cfg, char *err, size_t errcap)
{
    const char *v;
    *cfg = (app_config){.var_dir = "./var", .mode = CRUMB_MODE_STATELESS_STORE,
                        .store = APP_STORE_FILE};
    if ((v = getenv("CRUMB_VAR")) != NULL && *v)
        cfg->var_dir = v;
    if ((v = getenv("CRUMB_MODE")) != NULL && *v) {
        if (!strcmp(v, "server"))
            cfg->mode = CRUMB_MODE_SERVER;
        else if (!strcmp(v, "stateless-store"))
            cfg->mode = CRUMB_MODE_STATELESS_STORE;
        else if (!strcmp(v, "stateless"))
            cfg->mode = CRUMB_MODE_STATELESS;
        else {
            snprintf(err, errcap, "CRUMB_MODE=%s: use server, stateless-store or stateless", v);
            return -1;
        }
    }
    if ((v = getenv("CRUMB_STORE")) != NULL && *v) {
        if (!strcmp(v, "file"))
            cfg->store = APP_STORE_FILE;
        else if (!strcmp(v, "memory"))
            cfg->store = APP_STORE_MEMORY;
        else if (!strcmp(v, "redis"))
            cfg->store = APP_STORE_REDIS;
        else {
            snprintf(err, errcap, "CRUMB_STORE=%s: use file, memory or redis", v);
            return -1;
        }
    }
    if ((v = getenv("CRUMB_REDIS_URL")) != NULL && *v)
        cfg->redis_url = v;
    if ((v = getenv("CRUMB_SECURE")) != NULL && *v)
        cfg->secure = !strcmp(v, "1");
    cfg->fingerprint = CRUMB_FP_REPORT;
    if ((v = getenv("CRUMB_FINGERPRINT")) != NULL && *v) {
        if (!strcmp(v, "refuse") || !strcmp(v, "report") || !strcmp(v, "off"))
            cfg->fingerprint = v[0] == 'r' ? (v[2] == 'f' ? CRUMB_FP_REFUSE : CRUMB_FP_REPORT)
                                           : CRUMB_FP_OFF;
        else {
            snprintf(err, errcap, "CRUMB_FINGERPRINT=%s: use refuse, report or off", v);
            return -1;
        }
    }
    return 0;
}

/* ==== Files under var/ ================================================== */

/* Create dir 0700, or accept an existing directory nobody else can enter.
 * Returns 0 or -1 with err set. */
static int make_private_dir(const char *dir, char *err, size_t errcap)
{
    struct stat st;
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        snprintf(err, errcap, "mkdir %s: %s", dir, strerror(errno));
        return -1;
    }
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        snprintf(err, errcap, "%s is not a directory", dir);
        return -1;
    }
    if (st.st_mode & 077) {
        snprintf(err, errcap, "%s is accessible by group or others: chmod 700 it", dir);
        return -1;
    }
    return 0;
}

/* Write data to path unless path exists, atomically: a private temp file,
 * fsync, then link() (which never replaces), so concurrent first runs (CGI)
 * agree on whichever file landed first. Returns 0 or -1 with err set. */
static int write_once(const char *path, const void *data, size_t len, char *err, size_t errcap)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf(err, errcap, "create %s: %s", tmp, strerror(errno));
        return -1;
    }
    const char *p = data;
    size_t off = 0;
    int ok = 1;
    while (off < len) {
        ssize_t w = write(fd, p + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            ok = 0;
            break;
        }
        off += (size_t)w;
    }
    if (ok && fsync(fd) != 0)
        ok = 0;
    if (close(fd) != 0)
        ok = 0;
    if (ok && link(tmp, path) != 0 && errno != EEXIST)
        ok = 0;
    int saved = errno;
    unlink(tmp);
    if (!ok) {
        snprintf(err, errcap, "write %s: %s", path, strerror(saved));
        return -1;
    }
    return 0;
}

/* Read at most cap-1 bytes of path into buf, NUL-terminated. Returns the
 * length, or -1 (errno set; ENOENT when missing). */
static long read_small(const char *path, char *buf, size_t cap)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t len = 0;
    for (;;) {
        ssize_t r = read(fd, buf + len, cap - 1 - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            close(fd);
            return -1;
        }
        if (r == 0)
            break;
        len += (size_t)r;
        if (len == cap - 1) {
            close(fd);
            errno = EFBIG;
            return -1;
        }
    }
    close(fd);
    buf[len] = '\0';
    return (long)len;
}

/* On first run, write a fresh key ring (one primary key) to path. */
static int ensure_keys(const char *path, char *err, size_t errcap)
{
    if (access(path, F_OK) == 0)
        return 0;
    crumb_keyring *kr = NULL;
    uint8_t key[CRUMB_KEYBYTES];
    char text[1024];
    size_t len = 0;
    crumb_err rc = crumb_keyring_new(&kr);
    if (rc == CRUMB_OK)
        rc = crumb_key_generate(key);
    if (rc == CRUMB_OK)
        rc = crumb_keyring_add(kr, 1, CRUMB_KEY_PRIMARY, key);
    if (rc == CRUMB_OK)
        rc = crumb_keyring_format(kr, text, sizeof text, &len);
    crumb_wipe(key, sizeof key);
    crumb_keyring_free(kr);
    int ret = 0;
    if (rc != CRUMB_OK) {
        snprintf(err, errcap, "generate keys: %s", crumb_strerror(rc));
        ret = -1;
    } else {
        ret = write_once(path, text, len, err, errcap);
    }
    crumb_wipe(text, sizeof text);
    return ret;
}

/* On first run, write the store secret (64 hex digits, 0600), as `crumb
 * keygen --store-secret FILE` does. Key rotation never touches this file:
 * store keys and sealed records stay valid across rotations. */
static int ensure_store_secret(const char *path, char *err, size_t errcap)
{
    if (access(path, F_OK) == 0)
        return 0;
    uint8_t key[32];
    char text[66];
    crumb_err rc = crumb_key_generate(key);
    if (rc != CRUMB_OK) {
        snprintf(err, errcap, "generate store secret: %s", crumb_strerror(rc));
        return -1;
    }
    for (size_t i = 0; i < 32; i++)
        snprintf(text + 2 * i, 3, "%02x", key[i]);
    text[64] = '\n';
    int ret = write_once(path, text, 65, err, errcap);
    crumb_wipe(key, sizeof key);
    crumb_wipe(text, sizeof text);
    return ret;
}

/* On first run, hash the demo passwords (crypto_pwhash_str, interactive
 * limits) into path, one "user:hash" line each. */
static int ensure_users(const char *path, char *err, size_t errcap)
{
    if (access(path, F_OK) == 0)
        return 0;
    char text[N_USERS * (USER_MAX + crypto_pwhash_STRBYTES + 2)];
    size_t len = 0;
    for (size_t i = 0; i < N_USERS; i++) {
        char h[crypto_pwhash_STRBYTES];
        const char *pw = demo_users[i][1];
        if (crypto_pwhash_str(h, pw, strlen(pw), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                              crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
            snprintf(err, errcap, "crypto_pwhash_str failed (out of memory?)");
            return -1;
        }
        int n = snprintf(text + len, sizeof text - len, "%s:%s\n", demo_users[i][0], h);
        if (n < 0 || (size_t)n >= sizeof text - len)
            return -1;
        len += (size_t)n;
    }
    return write_once(path, text, len, err, errcap);
}

/* Parse var/users strictly: N_USERS lines "name:hash". */
static int load_users(app *a, const char *path, char *err, size_t errcap)
{
    char text[N_USERS * (USER_MAX + crypto_pwhash_STRBYTES + 2) + 1];
    if (read_small(path, text, sizeof text) < 0) {
        snprintf(err, errcap, "read %s: %s", path, strerror(errno));
        return -1;
    }
    char *line = text;
    for (size_t i = 0; i < N_USERS; i++) {
        char *nl = strchr(line, '\n');
        char *colon = strchr(line, ':');
        if (!nl || !colon || colon > nl || (size_t)(colon - line) >= USER_MAX ||
            colon == line || (size_t)(nl - colon - 1) >= crypto_pwhash_STRBYTES) {
            snprintf(err, errcap, "%s: line %zu malformed", path, i + 1);
            return -1;
        }
        memcpy(a->users[i], line, (size_t)(colon - line));
        a->users[i][colon - line] = '\0';
        memcpy(a->hashes[i], colon + 1, (size_t)(nl - colon - 1));
        a->hashes[i][nl - colon - 1] = '\0';
        line = nl + 1;
    }
    return 0;
}

/* see app.h */
int app_new(app **out, const app_config *cfg, char *err, size_t errcap)
{
    char path[4096];
    *out = NULL;
    if (sodium_init() < 0) {
        snprintf(err, errcap, "sodium_init failed");
        return -1;
    }
    app *a = calloc(1, sizeof *a);
    if (!a) {
        snprintf(err, errcap, "out of memory");
        return -1;
    }
    a->cfg = *cfg;
    const char *var = cfg->var_dir;
    if (strlen(var) > sizeof path - 64) {
        snprintf(err, errcap, "var directory path too long");
        goto fail;
    }
    if (make_private_dir(var, err, errcap) != 0)
        goto fail;
    snprintf(path, sizeof path, "%s/keys", var);
    if (ensure_keys(path, err, errcap) != 0)
        goto fail;
    crumb_err rc = crumb_keyring_load_file(&a->kr, path);
    if (rc != CRUMB_OK) {
        snprintf(err, errcap, "load %s: %s", path, crumb_strerror(rc));
        goto fail;
    }
    snprintf(path, sizeof path, "%s/users", var);
    if (ensure_users(path, err, errcap) != 0 || load_users(a, path, err, errcap) != 0)
        goto fail;

    /* the store secret; in the stateless mode it keys only the client
     * fingerprint (issue 16) */
    snprintf(path, sizeof path, "%s/store.secret", var);
    if (ensure_store_secret(path, err, errcap) != 0)
        goto fail;
    rc = crumb_store_secret_load_file(a->store_secret, path);
    if (rc != CRUMB_OK) {
        snprintf(err, errcap, "load %s: %s", path, crumb_strerror(rc));
        goto fail;
    }
    if (cfg->mode != CRUMB_MODE_STATELESS) {
        const char *what = path;
        if (cfg->store == APP_STORE_MEMORY) {
            what = "memory";
            rc = crumb_store_memory_open(&a->store, NULL);
        } else if (cfg->store == APP_STORE_REDIS) {
            what = "redis"; /* not the URL: it may hold a password */
            crumb_store_redis_config rcfg = {.url = cfg->redis_url};
            rc = crumb_store_redis_open(&a->store, &rcfg);
        } else {
            snprintf(path, sizeof path, "%s/store", var);
            rc = crumb_store_file_open(&a->store, path, NULL);
        }
        if (rc != CRUMB_OK) {
            snprintf(err, errcap, "open %s store: %s", what, crumb_strerror(rc));
            goto fail;
        }
    }
    crumb_ctx_config cc = {
        .cookie_name = cfg->secure ? "__Host-crumb" : "crumb",
        .insecure = !cfg->secure,
        .same_site = CRUMB_SAMESITE_LAX,
        .audience = "libcrumb-example",
        .absolute_lifetime = 8 * 3600,
        .idle_timeout = 1800,
        .mode = cfg->mode,
        .store = a->store,
        .store_secret = cfg->mode != CRUMB_MODE_STATELESS ? a->store_secret : NULL,
        /* issue 16: hijack guard over the User-Agent (CRUMB_FINGERPRINT) */
        .fingerprint = cfg->fingerprint,
        .fingerprint_key = cfg->mode == CRUMB_MODE_STATELESS ? a->store_secret : NULL,
    };
    rc = crumb_ctx_new(&a->ctx, a->kr, &cc);
    if (rc != CRUMB_OK) {
        snprintf(err, errcap, "crumb_ctx_new: %s", crumb_strerror(rc));
        goto fail;
    }
    *out = a;
    return 0;
fail:
    app_free(a);
    return -1;
}

/* see app.h */
void app_free(app *a)
{
    if (!a)
        return;
    crumb_ctx_free(a->ctx);
    if (a->store)
        crumb_store_close(a->store);
    crumb_keyring_free(a->kr);
    crumb_wipe(a, sizeof *a);
    free(a);
}

/* ==== Output buffer with HTML escaping ================================== */

typedef struct sbuf {
    char *p;
    size_t len, cap;
    int oom;
} sbuf;

/* Append n bytes; on allocation failure sets oom and drops output. */
static void sb_add(sbuf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 2048;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void sb_puts(sbuf *b, const char *s)
{
    sb_add(b, s, strlen(s));
}

/* printf for trusted formats whose arguments are numbers or fixed text. */
static void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf *b, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0)
        sb_add(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/* Append s HTML-escaped (safe in text and in double-quoted attributes). */
static void sb_esc(sbuf *b, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': sb_puts(b, "&amp;"); break;
        case '<': sb_puts(b, "&lt;"); break;
        case '>': sb_puts(b, "&gt;"); break;
        case '"': sb_puts(b, "&quot;"); break;
        case '\'': sb_puts(b, "&#39;"); break;
        default: sb_add(b, s, 1); break;
        }
    }
}

/* Append a UTC time as "YYYY-MM-DD HH:MM:SS UTC" ("-" for 0). */
static void sb_time(sbuf *b, int64_t t)
{
    struct tm tm;
    time_t tt = (time_t)t;
    char s[64];
    if (t <= 0 || !gmtime_r(&tt, &tm) || !strftime(s, sizeof s, "%Y-%m-%d %H:%M:%S UTC", &tm))
        sb_puts(b, "-");
    else
        sb_puts(b, s);
}

/* ==== Strict application/x-www-form-urlencoded parsing =================== */

typedef struct form {
    size_t n;
    struct {
        char name[FORM_NAME_MAX];
        char value[FORM_VALUE_MAX];
        size_t len;
    } f[FORM_FIELDS_MAX];
} form;

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decode one component (+ is space, %XX strict) into out (cap bytes with the
 * NUL). Refuses control characters. Returns the length or -1. */
static long url_decode(const char *s, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)s[i];
        if (c == '+') {
            c = ' ';
        } else if (c == '%') {
            if (i + 2 >= n)
                return -1;
            int hi = hexval(s[i + 1]), lo = hexval(s[i + 2]);
            if (hi < 0 || lo < 0)
                return -1;
            c = hi * 16 + lo;
            i += 2;
        }
        if (c < 0x20 || c == 0x7f || o + 1 >= cap)
            return -1;
        out[o++] = (char)c;
    }
    out[o] = '\0';
    return (long)o;
}

/* 1 if c may appear raw in a urlencoded body (what browsers send). */
static int form_char_ok(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_' || c == '.' || c == '~' || c == '*' || c == '%' || c == '+' ||
           c == '=' || c == '&';
}

/* Parse body into f: name=value pairs separated by '&', names [a-z_],
 * no duplicates, at most FORM_FIELDS_MAX. Returns 0 or -1 (malformed). */
static int form_parse(form *f, const char *body, size_t len)
{
    f->n = 0;
    if (len > APP_BODY_MAX)
        return -1;
    for (size_t i = 0; i < len; i++)
        if (!form_char_ok((unsigned char)body[i]))
            return -1;
    size_t pos = 0;
    while (pos < len) {
        const char *amp = memchr(body + pos, '&', len - pos);
        size_t end = amp ? (size_t)(amp - body) : len;
        const char *eq = memchr(body + pos, '=', end - pos);
        if (!eq || f->n == FORM_FIELDS_MAX)
            return -1;
        size_t nlen = (size_t)(eq - (body + pos));
        if (nlen == 0 || nlen >= FORM_NAME_MAX)
            return -1;
        for (size_t k = 0; k < nlen; k++) {
            char c = body[pos + k];
            if (!((c >= 'a' && c <= 'z') || c == '_'))
                return -1;
        }
        memcpy(f->f[f->n].name, body + pos, nlen);
        f->f[f->n].name[nlen] = '\0';
        for (size_t k = 0; k < f->n; k++)
            if (!strcmp(f->f[k].name, f->f[f->n].name))
                return -1;
        size_t voff = pos + nlen + 1;
        long vl = url_decode(body + voff, end - voff, f->f[f->n].value, FORM_VALUE_MAX);
        if (vl < 0)
            return -1;
        f->f[f->n].len = (size_t)vl;
        f->n++;
        if (!amp)
            break;
        pos = end + 1;
        if (pos == len)
            return -1; /* trailing '&' */
    }
    return 0;
}

/* The value of field name, or NULL. */
static const char *form_get(const form *f, const char *name, size_t *len)
{
    for (size_t i = 0; i < f->n; i++)
        if (!strcmp(f->f[i].name, name)) {
            if (len)
                *len = f->f[i].len;
            return f->f[i].value;
        }
    return NULL;
}

/* 1 if ct is application/x-www-form-urlencoded (parameters allowed). */
static int is_form_type(const char *ct)
{
    static const char want[] = "application/x-www-form-urlencoded";
    if (!ct || strncasecmp(ct, want, sizeof want - 1) != 0)
        return 0;
    ct += sizeof want - 1;
    while (*ct == ' ' || *ct == '\t')
        ct++;
    return *ct == '\0' || *ct == ';';
}

/* ==== Request handling ================================================== */

typedef struct req_state {
    app *a;
    const app_request *rq;
    app_response *rs;
    crumb_session *s;
    crumb_err load_rc;
    sbuf body;
    form form;
    char csrf[CSRF_HEX + 1];
} req_state;

static void set_status(app_response *rs, int status)
{
    static const struct { int code; const char *reason; } t[] = {
        {200, "OK"}, {303, "See Other"}, {400, "Bad Request"}, {403, "Forbidden"},
        {404, "Not Found"}, {405, "Method Not Allowed"}, {409, "Conflict"},
        {413, "Content Too Large"},
        {415, "Unsupported Media Type"}, {500, "Internal Server Error"},
        {501, "Not Implemented"}, {503, "Service Unavailable"},
    };
    rs->status = status;
    rs->reason = "Error";
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (t[i].code == status)
            rs->reason = t[i].reason;
}

static void load_notice(req_state *r);

static void page_start(req_state *r, const char *title)
{
    sb_puts(&r->body, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                      "<title>");
    sb_esc(&r->body, title);
    sb_puts(&r->body, " - libcrumb demo</title></head>\n<body>\n<h1>");
    sb_esc(&r->body, title);
    sb_puts(&r->body, "</h1>\n");
    if (r->s)
        load_notice(r); /* on every page */
}

static void page_end(req_state *r)
{
    sb_puts(&r->body, "<p><a href=\"/\">Home</a> | <a href=\"/devices\">Your devices</a></p>\n"
                      "</body></html>\n");
}

/* A complete error page (no session output beyond what save adds). */
static void error_page(req_state *r, int status, const char *msg)
{
    set_status(r->rs, status);
    r->body.len = 0;
    page_start(r, r->rs->reason);
    sb_puts(&r->body, "<p id=\"error\">");
    sb_esc(&r->body, msg);
    sb_puts(&r->body, "</p>\n");
    page_end(r);
}

static void redirect(req_state *r, const char *to)
{
    set_status(r->rs, 303);
    r->rs->location = to;
    r->body.len = 0;
    sb_puts(&r->body, "<!doctype html>\n<p>See <a href=\"");
    sb_esc(&r->body, to);
    sb_puts(&r->body, "\">here</a>.</p>\n");
}

/* The session's CSRF token in r->csrf, created (and saved) if missing. */
static int ensure_csrf(req_state *r)
{
    const uint8_t *v;
    size_t n;
    if (crumb_session_get(r->s, "csrf", &v, &n) == CRUMB_OK && n == CSRF_HEX) {
        memcpy(r->csrf, v, CSRF_HEX);
        r->csrf[CSRF_HEX] = '\0';
        return 0;
    }
    return -1;
}

static int new_csrf(req_state *r)
{
    uint8_t raw[CSRF_HEX / 2];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2hex(r->csrf, sizeof r->csrf, raw, sizeof raw);
    return crumb_session_set(r->s, "csrf", r->csrf, CSRF_HEX) == CRUMB_OK ? 0 : -1;
}

static const char *csrf_token(req_state *r)
{
    if (ensure_csrf(r) != 0 && new_csrf(r) != 0)
        r->csrf[0] = '\0';
    return r->csrf;
}

/* 1 if the posted "csrf" field matches the session's token. */
static int csrf_ok(req_state *r)
{
    size_t n;
    const char *got = form_get(&r->form, "csrf", &n);
    if (!got || n != CSRF_HEX || ensure_csrf(r) != 0)
        return 0;
    return crumb_ct_equal(got, r->csrf, CSRF_HEX);
}

static void hidden_csrf(req_state *r)
{
    sb_puts(&r->body, "<input type=\"hidden\" name=\"csrf\" value=\"");
    sb_esc(&r->body, csrf_token(r));
    sb_puts(&r->body, "\">");
}

/* A one-button POST form (with the CSRF token and an optional handle). */
static void post_button(req_state *r, const char *action, const char *handle, const char *label)
{
    sb_puts(&r->body, "<form method=\"post\" action=\"");
    sb_esc(&r->body, action);
    sb_puts(&r->body, "\">");
    hidden_csrf(r);
    if (handle) {
        sb_puts(&r->body, "<input type=\"hidden\" name=\"handle\" value=\"");
        sb_esc(&r->body, handle);
        sb_puts(&r->body, "\">");
    }
    sb_puts(&r->body, "<button type=\"submit\">");
    sb_esc(&r->body, label);
    sb_puts(&r->body, "</button></form>");
}

static const char *user_of(req_state *r)
{
    const crumb_payload *p = crumb_session_payload(r->s);
    return p->user_len && p->auth.state == CRUMB_AUTH_AUTHENTICATED ? p->user : NULL;
}

/* 1 if the request's session was ended elsewhere (remote logout, a
 * revoked device, a replay) or ran out. */
static int session_ended(crumb_err rc)
{
    return rc == CRUMB_E_REVOKED || rc == CRUMB_E_REPLAY || rc == CRUMB_E_EXPIRED;
}

/* Say why the request's cookie was not accepted (never the token): on the
 * page that noticed it, or on the next page after a redirect (the reason
 * rides in the new session as "notice" and is shown once). */
static void load_notice(req_state *r)
{
    const uint8_t *v;
    size_t n;
    crumb_err rc = r->load_rc;
    if (rc == CRUMB_OK && crumb_session_get(r->s, "notice", &v, &n) == CRUMB_OK && n == 1)
        rc = v[0] == 'e' ? CRUMB_E_EXPIRED : CRUMB_E_REVOKED;
    (void)crumb_session_del(r->s, "notice");
    if (crumb_session_fingerprint(r->s) == CRUMB_FP_MISMATCH) { /* issue 16 */
        sb_puts(&r->body, "<p id=\"fingerprint-notice\">This session was signed in from a "
                          "different browser. ");
        sb_puts(&r->body, rc == CRUMB_E_AUTH ? "It was not accepted here: please sign in "
                                                "again.</p>\n"
                                              : "If that was not you, sign out everywhere "
                                                "and change your password.</p>\n");
        return;
    }
    if (rc == CRUMB_OK)
        return;
    sb_puts(&r->body, "<p id=\"notice\">");
    if (rc == CRUMB_E_REVOKED || rc == CRUMB_E_REPLAY)
        sb_puts(&r->body, "Your session was ended (signed out from another device or "
                          "revoked). ");
    else if (rc == CRUMB_E_EXPIRED)
        sb_puts(&r->body, "Your session expired. ");
    sb_puts(&r->body, "A new session was started (");
    sb_esc(&r->body, crumb_strerror((int)rc));
    sb_puts(&r->body, ").</p>\n");
}

static void login_form(req_state *r)
{
    sb_puts(&r->body, "<form method=\"post\" action=\"/login\">");
    hidden_csrf(r);
    sb_puts(&r->body,
            "<label>User <input name=\"user\" autocomplete=\"username\"></label> "
            "<label>Password <input name=\"password\" type=\"password\" "
            "autocomplete=\"current-password\"></label> "
            "<button type=\"submit\">Sign in</button></form>\n"
            "<p>Demo users: alice / alice-demo-password, bob / bob-demo-password.</p>\n");
}

/* GET / : count the visit, show who is signed in. */
static void do_home(req_state *r)
{
    const uint8_t *v;
    size_t n;
    unsigned long count = 0;
    if (crumb_session_get(r->s, "n", &v, &n) == CRUMB_OK && n > 0 && n < 10) {
        for (size_t i = 0; i < n && v[i] >= '0' && v[i] <= '9'; i++)
            count = count * 10 + (unsigned long)(v[i] - '0');
    }
    count++;
    char num[24];
    int len = snprintf(num, sizeof num, "%lu", count % 1000000000ul);
    if (crumb_session_set(r->s, "n", num, (size_t)len) != CRUMB_OK) {
        error_page(r, 500, "could not update the session");
        return;
    }
    set_status(r->rs, 200);
    page_start(r, "Home");
    sb_printf(&r->body, "<p id=\"count\">Visits: <b>%s</b></p>\n", num);
    const char *user = user_of(r);
    if (!user) {
        sb_puts(&r->body, "<p id=\"who\">Not signed in.</p>\n");
        login_form(r);
    } else {
        sb_puts(&r->body, "<p id=\"who\">Signed in as <b>");
        sb_esc(&r->body, user);
        sb_puts(&r->body, "</b>.</p>\n<ul>\n<li>");
        post_button(r, "/logout", NULL, "Log out");
        sb_puts(&r->body, "</li>\n<li>");
        post_button(r, "/logout-others", NULL, "Log out other devices");
        sb_puts(&r->body, "</li>\n<li>");
        post_button(r, "/logout-everywhere", NULL, "Log out everywhere");
        sb_puts(&r->body, "</li>\n</ul>\n");
    }
    page_end(r);
}

/* Look up user; verify password (constant work for unknown users). */
static int check_password(app *a, const char *user, const char *pw, size_t pwlen)
{
    size_t k = 0;
    int found = 0;
    for (size_t i = 0; i < N_USERS; i++)
        if (!strcmp(a->users[i], user)) {
            k = i;
            found = 1;
        }
    int ok = crypto_pwhash_str_verify(a->hashes[k], pw, pwlen) == 0;
    return found && ok;
}

/* POST /login */
static void do_login(req_state *r)
{
    size_t pwlen = 0;
    const char *user = form_get(&r->form, "user", NULL);
    const char *pw = form_get(&r->form, "password", &pwlen);
    if (!user || !pw) {
        error_page(r, 400, "user and password are required");
        return;
    }
    if (!check_password(r->a, user, pw, pwlen)) {
        set_status(r->rs, 403);
        page_start(r, "Sign in failed");
        sb_puts(&r->body, "<p id=\"error\">Wrong user name or password.</p>\n");
        login_form(r);
        page_end(r);
        return;
    }
    /* Fixation defence: new session id (same family, next generation), then
     * the user, then a new CSRF token for the signed-in session. */
    crumb_auth auth = {.state = CRUMB_AUTH_AUTHENTICATED,
                       .factors = CRUMB_FACTOR_PASSWORD,
                       .time = crumb_codec_now(crumb_ctx_codec(r->a->ctx))};
    if (crumb_session_rotate(r->s) != CRUMB_OK ||
        crumb_session_set_user(r->s, user, strlen(user)) != CRUMB_OK ||
        crumb_session_set_auth(r->s, &auth) != CRUMB_OK || new_csrf(r) != 0) {
        error_page(r, 500, "could not start the session");
        return;
    }
    redirect(r, "/");
}

/* Map a store-backed operation's error to a page. */
static void op_error(req_state *r, crumb_err rc)
{
    if (rc == CRUMB_E_UNSUPPORTED)
        error_page(r, 501, "this needs a session store: run with CRUMB_MODE=stateless-store "
                           "or server");
    else if (rc == CRUMB_E_NOTFOUND)
        error_page(r, 404, "no such session or device");
    else if (rc == CRUMB_E_INVALID)
        error_page(r, 400, "malformed handle");
    else if (rc == CRUMB_E_NOSESSION)
        error_page(r, 403, "please sign in first");
    else
        error_page(r, 500, crumb_strerror((int)rc));
}

/* GET /devices */
static void do_devices(req_state *r)
{
    const char *user = user_of(r);
    if (!user) {
        redirect(r, "/");
        return;
    }
    crumb_device_entry dev[LIST_MAX];
    crumb_session_entry ses[LIST_MAX];
    size_t nd = 0, ns = 0;
    /* active devices only (revoked ones are filtered by the store);
     * "(this device)" marks the one this request comes from */
    crumb_err rc = crumb_session_devices_active(r->s, dev, LIST_MAX, &nd);
    if (rc == CRUMB_E_UNSUPPORTED) /* a store without the version-2 query */
        rc = crumb_session_devices(r->s, dev, LIST_MAX, &nd);
    if (rc == CRUMB_OK)
        rc = crumb_session_list(r->s, ses, LIST_MAX, &ns);
    if (rc != CRUMB_OK) {
        op_error(r, rc);
        return;
    }
    static const char *const trust[] = {"unknown", "seen", "trusted", "revoked"};
    set_status(r->rs, 200);
    page_start(r, "Your devices");
    sb_puts(&r->body, "<p id=\"who\">Signed in as <b>");
    sb_esc(&r->body, user);
    sb_puts(&r->body, "</b>.</p>\n<h2>Active devices</h2>\n<ul id=\"devices\">\n");
    for (size_t i = 0; i < nd && i < LIST_MAX; i++) {
        /* one device per line (the e2e tests read these lines) */
        sb_puts(&r->body, "<li class=\"device\">");
        sb_esc(&r->body, dev[i].label[0] ? dev[i].label : "unknown device");
        sb_puts(&r->body, " from ");
        sb_esc(&r->body, dev[i].ip_prefix[0] ? dev[i].ip_prefix : "?");
        sb_puts(&r->body, ", ");
        sb_esc(&r->body, dev[i].trust >= 0 && dev[i].trust <= 3 ? trust[dev[i].trust] : "?");
        sb_puts(&r->body, ", last seen ");
        sb_time(&r->body, dev[i].last_seen);
        if (dev[i].current)
            sb_puts(&r->body, " <b>(this device)</b> ");
        post_button(r, "/revoke-device", dev[i].handle, "Revoke");
        sb_puts(&r->body, "</li>\n");
    }
    sb_puts(&r->body, "</ul>\n<h2>Sessions</h2>\n<ul id=\"sessions\">\n");
    for (size_t i = 0; i < ns && i < LIST_MAX; i++) {
        sb_puts(&r->body, "<li class=\"session\">");
        sb_esc(&r->body, ses[i].label[0] ? ses[i].label : "session");
        sb_puts(&r->body, ", signed in ");
        sb_time(&r->body, ses[i].created);
        sb_puts(&r->body, ", last seen ");
        sb_time(&r->body, ses[i].last_seen);
        if (ses[i].current)
            sb_puts(&r->body, " <b>(this session)</b> ");
        post_button(r, "/revoke-session", ses[i].handle, "End");
        sb_puts(&r->body, "</li>\n");
    }
    sb_puts(&r->body, "</ul>\n<p>");
    post_button(r, "/logout-others", NULL, "Log out other devices");
    sb_puts(&r->body, "</p>\n");
    page_end(r);
}

/* 1 if h is a well-formed handle (lowercase hex, 1..CRUMB_HANDLE_LEN). */
static int handle_ok(const char *h, size_t n)
{
    if (n == 0 || n > CRUMB_HANDLE_LEN)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((h[i] >= '0' && h[i] <= '9') || (h[i] >= 'a' && h[i] <= 'f')))
            return 0;
    return 1;
}

/* POST /logout, /logout-others, /logout-everywhere, /revoke-device,
 * /revoke-session (the CSRF token is already checked). */
static void do_action(req_state *r, const char *path)
{
    if (!strcmp(path, "/logout")) {
        crumb_err lrc = crumb_session_logout(r->s);
        if (lrc != CRUMB_OK) { /* the cookie is deleted, but a copy may still work */
            error_page(r, 503, "signed out here, but the session store did not record it: "
                               "a copy of your cookie may still work; try again");
            return;
        }
        redirect(r, "/");
        return;
    }
    if (!user_of(r)) {
        error_page(r, 403, "please sign in first");
        return;
    }
    crumb_err rc;
    const char *to = "/devices";
    if (!strcmp(path, "/logout-others")) {
        rc = crumb_session_logout_others(r->s);
    } else if (!strcmp(path, "/logout-everywhere")) {
        rc = crumb_session_logout_everywhere(r->s);
        to = "/";
    } else {
        size_t n = 0;
        const char *h = form_get(&r->form, "handle", &n);
        if (!h || !handle_ok(h, n)) {
            error_page(r, 400, "malformed handle");
            return;
        }
        if (!strcmp(path, "/revoke-device"))
            rc = crumb_session_revoke_device(r->s, h);
        else
            rc = crumb_session_revoke_session(r->s, h);
    }
    if (rc != CRUMB_OK) {
        op_error(r, rc);
        return;
    }
    redirect(r, to);
}

/* A redirect would lose why the session ended: carry it in the new
 * session to the next page (best effort: a failure only loses the notice). */
static void carry_notice(req_state *r)
{
    crumb_err rc = crumb_session_set(r->s, "notice", r->load_rc == CRUMB_E_EXPIRED ? "e" : "r", 1);
    (void)rc;
}

/* 1 if rc says the session store could not be asked. */
static int store_outage(crumb_err rc)
{
    return rc == CRUMB_E_BACKEND || rc == CRUMB_E_TIMEOUT || rc == CRUMB_E_IO ||
           rc == CRUMB_E_NOSPC;
}

/* Method, path and form checks before any session work; 0 or -1 with
 * the error page written. */
static int precheck(req_state *r, const char *path, int is_post)
{
    static const char *const posts[] = {"/login", "/logout", "/logout-others",
                                        "/logout-everywhere", "/revoke-device",
                                        "/revoke-session"};
    const app_request *rq = r->rq;
    const char *method = rq->method ? rq->method : "";
    int is_get = !strcmp(method, "GET") || !strcmp(method, "HEAD");
    int known_get = !strcmp(path, "/") || !strcmp(path, "/devices");
    int known_post = 0;
    for (size_t i = 0; i < sizeof posts / sizeof posts[0]; i++)
        known_post |= !strcmp(path, posts[i]);
    if (!known_get && !known_post)
        error_page(r, 404, "no such page");
    else if ((known_get && !is_get) || (known_post && !is_post))
        error_page(r, 405, "method not allowed");
    else if (is_post && (rq->body_too_large || rq->body_len > APP_BODY_MAX))
        error_page(r, 413, "request body too large");
    else if (is_post && !is_form_type(rq->content_type))
        error_page(r, 415, "expected application/x-www-form-urlencoded");
    else if (is_post && form_parse(&r->form, rq->body ? rq->body : "", rq->body_len) != 0)
        error_page(r, 400, "malformed form data");
    else
        return 0;
    return -1;
}

/* Run the page for path with the loaded session. */
static void dispatch(req_state *r, const char *path, int is_post)
{
    if (session_ended(r->load_rc) && !is_post)
        carry_notice(r);
    if (is_post && !csrf_ok(r) && session_ended(r->load_rc))
        error_page(r, 403, r->load_rc == CRUMB_E_EXPIRED
                               ? "your session expired before this form was sent: "
                                 "reload the page (and sign in again)"
                               : "your session was ended elsewhere (signed out from another "
                                 "device, or this device was revoked) before this form was "
                                 "sent: reload the page and sign in again");
    else if (is_post && !csrf_ok(r))
        error_page(r, 403, "invalid or missing CSRF token: reload the page and try again");
    else if (!strcmp(path, "/"))
        do_home(r);
    else if (!strcmp(path, "/devices"))
        do_devices(r);
    else if (!strcmp(path, "/login"))
        do_login(r);
    else
        do_action(r, path);
}

/* Always write back what save returns: the cookie changes on every save.
 * CRUMB_E_CONFLICT: a parallel request (a login in another tab) won; this
 * request's session changes are lost and the browser keeps the newer
 * cookie. A page view is still shown (its only change was the counter); a
 * form action is answered 409 so the user retries it. */
static void emit_cookies(req_state *r, int is_post)
{
    const char *const *lines;
    size_t n = 0;
    crumb_err rc = crumb_session_save(r->s, &lines, &n);
    if (rc == CRUMB_E_CONFLICT && !is_post)
        return;
    if (rc != CRUMB_OK || n > APP_HEADERS_MAX) {
        r->rs->location = NULL;
        if (rc == CRUMB_E_CONFLICT)
            error_page(r, 409, "another request changed your session at the same time "
                               "(e.g. you signed in in another tab): reload and try again");
        else
            error_page(r, store_outage(rc) ? 503 : 500,
                       rc != CRUMB_OK ? crumb_strerror((int)rc) : "too many cookies");
        n = 0;
    }
    for (size_t i = 0; i < n; i++) {
        r->rs->set_cookie[i] = strdup(lines[i]);
        if (!r->rs->set_cookie[i]) {
            r->body.oom = 1;
            break;
        }
        r->rs->n_set_cookie++;
    }
}

/* Route, then run with a loaded session. */
static void handle(app *a, const app_request *rq, app_response *rs, sbuf *body)
{
    req_state r = {.a = a, .rq = rq, .rs = rs};
    const char *path = rq->path && *rq->path ? rq->path : "/";
    int is_post = rq->method && !strcmp(rq->method, "POST");
    r.body = *body;
    if (precheck(&r, path, is_post) != 0)
        goto out;
    r.load_rc = crumb_session_load(&r.s, a->ctx, rq->cookie);
    if (!r.s) {
        error_page(&r, r.load_rc == CRUMB_E_UNSUPPORTED ? 501 : 500,
                   crumb_strerror((int)r.load_rc));
        goto out;
    }
    if (store_outage(r.load_rc)) {
        /* the cookie could not be checked: answer 503 and send no
         * Set-Cookie (save would refuse anyway), so the browser keeps a
         * cookie that may well be valid */
        error_page(&r, 503, "the session store is unavailable: try again in a moment");
        goto out;
    }
    /* describe the client and run the hijack guard (issue 16): a refused
     * fingerprint leaves a fresh session and CRUMB_E_AUTH, which the
     * notice on the page explains */
    crumb_err crc = crumb_session_check_client(r.s, rq->user_agent ? rq->user_agent : "",
                                               rq->remote_ip ? rq->remote_ip : "", NULL, 0);
    if (crc == CRUMB_E_AUTH) {
        r.load_rc = crc;
    } else if (crc != CRUMB_OK) {
        error_page(&r, 400, "bad client description");
        goto out;
    }
    dispatch(&r, path, is_post);
    emit_cookies(&r, is_post);
out:
    crumb_session_free(r.s);
    *body = r.body;
}

/* see app.h */
void app_handle(app *a, const app_request *rq, app_response *rs)
{
    sbuf body = {0};
    *rs = (app_response){0};
    handle(a, rq, rs, &body);
    if (body.oom) {
        app_response_free(rs);
        free(body.p);
        body = (sbuf){0};
        set_status(rs, 500);
        sb_puts(&body, "out of memory\n");
    }
    rs->body = body.p;
    rs->body_len = body.len;
}

/* see app.h */
void app_response_free(app_response *rs)
{
    for (size_t i = 0; i < rs->n_set_cookie; i++) {
        crumb_wipe(rs->set_cookie[i], strlen(rs->set_cookie[i]));
        free(rs->set_cookie[i]);
    }
    free(rs->body);
    *rs = (app_response){0};
}
