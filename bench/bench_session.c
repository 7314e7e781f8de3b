/*
 * bench_session.c - one request's session work (load a cookie, change a
 * value, save) per mode, beside a bare crumb_open of the same token in the
 * same run as the baseline. Prints medians of several runs. `--cpu`: ops
 * per CPU second of stateless load / save of a new session /
 * load+set+save, for bench/peers.sh. For instruction counts (suite 1,
 * a session whose encoded payload is 205 bytes):
 *   valgrind --tool=callgrind build/bench/bench_session --op OP --iters N
 * runs only OP N times (see cg_ops below); per-op cost = (Ir(N) - Ir(0)) / N.
 */
#include "bench.h"
#include "crumb.h"
#include "crumb_store.h"
#include "session.h" /* the session layer's own line builder (op "line") */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define RUNS 5

static char header[8192];
static crumb_ctx *ctx;
static int reseal;

/* One request: load, (optionally) change, save. */
static void request(void)
{
    crumb_session *s = NULL;
    const char *const *lines;
    size_t n;
    crumb_err rc = crumb_session_load(&s, ctx, header);
    if (rc != CRUMB_OK) {
        fprintf(stderr, "load: %s\n", crumb_strerror(rc));
        abort();
    }
    if (reseal && (rc = crumb_session_set(s, "n", "x", 1)) != CRUMB_OK)
        fprintf(stderr, "set: %s\n", crumb_strerror(rc)), abort();
    if ((rc = crumb_session_save(s, &lines, &n)) != CRUMB_OK)
        fprintf(stderr, "save: %s\n", crumb_strerror(rc)), abort();
    crumb_session_free(s);
}

static uint8_t pt[8192];
static void bare_open(void)
{
    const char *tok = strchr(header, '=') + 1, *end = strchr(tok, ';');
    size_t n, tl = end ? (size_t)(end - tok) : strlen(tok);
    if (crumb_open(crumb_ctx_codec(ctx), pt, sizeof pt, &n, tok, tl, NULL) != CRUMB_OK)
        abort();
}

static double measure(void (*fn)(void))
{
    double r[RUNS];
    for (int k = 0; k < RUNS; k++) {
        long n = 0;
        double t0 = now_s(), t;
        do {
            for (int i = 0; i < 64; i++)
                fn();
            n += 64;
        } while ((t = now_s() - t0) < 0.3);
        r[k] = (double)n / t;
    }
    qsort(r, RUNS, sizeof r[0], cmp_d);
    return r[RUNS / 2];
}

/* Make a logged-in session with a few values and keep its cookie header. */
static void setup(crumb_keyring *kr, int mode, crumb_store *st)
{
    static const uint8_t store_secret[32] = "bench store secret.............";
    crumb_ctx_config c = {.cookie_name = "sid", .insecure = 1, .mode = mode, .store = st,
                          .store_secret = store_secret}; /* required by the store modes */
    crumb_session *s;
    const char *const *lines;
    size_t n;
    if (crumb_ctx_new(&ctx, kr, &c) || crumb_session_load(&s, ctx, NULL) ||
        crumb_session_rotate(s) || crumb_session_set_user(s, "alice@example.com", 17) ||
        crumb_session_set(s, "cart", "3 items", 7) || crumb_session_set(s, "theme", "dark", 4) ||
        crumb_session_save(s, &lines, &n))
        abort();
    size_t o = 0;
    header[0] = 0;
    for (size_t i = 0; i < n; i++) { /* the session cookie first, then sid.d */
        const char *semi = strchr(lines[i], ';');
        o += (size_t)snprintf(header + o, sizeof header - o, "%s%.*s", o ? "; " : "",
                              (int)(semi - lines[i]), lines[i]);
    }
    crumb_session_free(s);
}

/* --cpu ops (stateless): load the cookie and free; save a new session
 * holding one value (a new session with nothing in it is not saved). */
static void load_only(void)
{
    crumb_session *s = NULL;
    if (crumb_session_load(&s, ctx, header) != CRUMB_OK)
        abort();
    crumb_session_free(s);
}

static size_t new_blob_len; /* pads a new session's payload to 205 bytes */

static void save_new(void)
{
    static const char fill[256] = {0};
    crumb_session *s = NULL;
    const char *const *lines;
    size_t n;
    if (crumb_session_load(&s, ctx, NULL) != CRUMB_OK ||
        crumb_session_set(s, "cart", "3 items", 7) != CRUMB_OK ||
        (new_blob_len && crumb_session_set(s, "blob", fill, new_blob_len) != CRUMB_OK) ||
        crumb_session_save(s, &lines, &n) != CRUMB_OK || n == 0)
        abort();
    crumb_session_free(s);
}

/* ==== callgrind mode: one op, N times =================================== */

static uint8_t cg_pt[8192];
static size_t cg_ptlen;
static char cg_tok[8192], cg_line[8192], cg_line_buf[8192];
static size_t cg_toklen;

/* Pad the session's data so its encoded payload is exactly 205 bytes. */
static void pad_to_205(crumb_session *s)
{
    static const char fill[256] = {0};
    for (size_t vl = 0; vl < 200; vl++) {
        size_t need = 0;
        if (crumb_session_set(s, "blob", fill, vl))
            abort();
        if (crumb_payload_encode(crumb_session_payload(s), NULL, 0, &need) != CRUMB_E_BUFSIZE)
            abort();
        if (need == 205)
            return;
    }
    fprintf(stderr, "cannot pad the payload to 205 bytes\n");
    abort();
}

/* A session of a 205-byte payload (user, two values, a device id in the
 * store modes, padding) in the given mode; its cookie header in header[],
 * its bare token and plaintext for the open and seal ops. */
static void cg_setup(crumb_keyring *kr, int mode, crumb_store *st)
{
    static const uint8_t store_secret[32] = "bench store secret.............";
    crumb_ctx_config c = {.cookie_name = "sid", .insecure = 1, .mode = mode, .store = st,
                          .store_secret = store_secret};
    crumb_session *s;
    const char *const *lines;
    size_t n, o = 0;
    if (crumb_ctx_new(&ctx, kr, &c) || crumb_session_load(&s, ctx, NULL) ||
        crumb_session_set_user(s, "alice@example.com", 17) ||
        crumb_session_set(s, "cart", "3 items", 7) || crumb_session_set(s, "theme", "dark", 4) ||
        (mode != CRUMB_MODE_STATELESS &&
         crumb_session_set_device(s, "00000000000000000000000000000000", 32)))
        abort();
    pad_to_205(s);
    if (crumb_session_save(s, &lines, &n))
        abort();
    header[0] = 0;
    for (size_t i = 0; i < n; i++) {
        const char *semi = strchr(lines[i], ';');
        o += (size_t)snprintf(header + o, sizeof header - o, "%s%.*s", o ? "; " : "",
                              (int)(semi - lines[i]), lines[i]);
    }
    crumb_session_free(s);
    const char *tok = strchr(header, '=') + 1, *end = strchr(tok, ';');
    cg_toklen = end ? (size_t)(end - tok) : strlen(tok);
    memcpy(cg_tok, tok, cg_toklen);
    if (crumb_open(crumb_ctx_codec(ctx), cg_pt, sizeof cg_pt, &cg_ptlen, cg_tok, cg_toklen,
                   NULL))
        abort();
}

static void cg_open(void)
{
    size_t n;
    if (crumb_open(crumb_ctx_codec(ctx), pt, sizeof pt, &n, cg_tok, cg_toklen, NULL))
        abort();
}

static void cg_seal(void)
{
    size_t n;
    if (crumb_seal(crumb_ctx_codec(ctx), cg_line, sizeof cg_line, &n, cg_pt, cg_ptlen, 0))
        abort();
}

/* One Set-Cookie line of the session token, the attributes a context
 * with .insecure = 1 uses. */
static void cg_setcookie(void)
{
    static const crumb_cookie_attrs a = {.name = "sid", .path = "/", .http_only = 1};
    size_t n;
    if (crumb_set_cookie(cg_line, sizeof cg_line, &n, &a, NULL, cg_tok, cg_toklen, 86400,
                         1790000000))
        abort();
}

/* The same line as the session layer builds it on save: attributes
 * formatted once per context (crumb__cookie_line). */
static void cg_line_op(void)
{
    size_t n;
    if (crumb__cookie_line(cg_line_buf, sizeof cg_line_buf, &n, &ctx->fmt, "", 0, cg_tok,
                           cg_toklen, 86400, 1790000000 + 86400))
        abort();
}

static void cg_load_set_save(void)
{
    reseal = 1;
    request();
}

/* Run op N times (callgrind mode). */
static int cg_mode(crumb_keyring *kr, const char *op, long iters)
{
    static const struct {
        const char *name;
        int mode;
        void (*fn)(void);
    } ops[] = {
        {"open", CRUMB_MODE_STATELESS, cg_open},
        {"seal", CRUMB_MODE_STATELESS, cg_seal},
        {"setcookie", CRUMB_MODE_STATELESS, cg_setcookie},
        {"line", CRUMB_MODE_STATELESS, cg_line_op},
        {"load", CRUMB_MODE_STATELESS, load_only},
        {"load-set-save", CRUMB_MODE_STATELESS, cg_load_set_save},
        {"save-new", CRUMB_MODE_STATELESS, save_new},
        {"mem-load", CRUMB_MODE_STATELESS_STORE, load_only},
        {"mem-load-set-save", CRUMB_MODE_STATELESS_STORE, cg_load_set_save},
        {"server-load", CRUMB_MODE_SERVER, load_only},
        {"server-load-set-save", CRUMB_MODE_SERVER, cg_load_set_save},
    };
    crumb_store *mem = NULL;
    for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++) {
        if (strcmp(ops[k].name, op))
            continue;
        if (ops[k].mode != CRUMB_MODE_STATELESS && crumb_store_memory_open(&mem, NULL))
            return 1;
        cg_setup(kr, ops[k].mode, mem);
        ops[k].fn(); /* warm: first-use allocations and random refill */
        for (long i = 0; i < iters; i++)
            ops[k].fn();
        crumb_ctx_free(ctx);
        crumb_store_close(mem);
        crumb_keyring_free(kr);
        return 0;
    }
    fprintf(stderr, "unknown op %s\n", op);
    return 2;
}

/* Value length that brings a new session holding "cart" to a 205-byte
 * payload. */
static size_t blob_for_205(void)
{
    static const char fill[256] = {0};
    crumb_session *s = NULL;
    size_t vl = 0, need = 0;
    if (crumb_session_load(&s, ctx, NULL) || crumb_session_set(s, "cart", "3 items", 7))
        abort();
    for (; vl < 200; vl++) {
        if (crumb_session_set(s, "blob", fill, vl) ||
            crumb_payload_encode(crumb_session_payload(s), NULL, 0, &need) != CRUMB_E_BUFSIZE)
            abort();
        if (need == 205)
            break;
    }
    crumb_session_free(s);
    return vl;
}

/* --cpu: ops per CPU second (user + system), stateless mode, one line each
 * ("crumb-session-load N"), for bench/peers.sh; every session holds a
 * 205-byte payload, as the peers' tokens do. */
static int cpu_mode(crumb_keyring *kr)
{
    cg_setup(kr, CRUMB_MODE_STATELESS, NULL);
    new_blob_len = blob_for_205();
    printf("crumb-session-load %.0f\n", cpu_rate(1.0, load_only));
    printf("crumb-session-save-new %.0f\n", cpu_rate(1.0, save_new));
    reseal = 1;
    printf("crumb-session-load-set-save %.0f\n", cpu_rate(1.0, request));
    crumb_ctx_free(ctx);
    crumb_keyring_free(kr);
    return 0;
}

int main(int argc, char **argv)
{
    uint8_t key[32];
    crumb_keyring *kr;
    crumb_store *mem, *file;
    char dir[] = "/tmp/crumb-bench-XXXXXX";
    if (crumb_key_generate(key) || crumb_keyring_new(&kr) ||
        crumb_keyring_add(kr, 1, CRUMB_KEY_PRIMARY, key))
        return 1;
    if (argc == 2 && !strcmp(argv[1], "--cpu"))
        return cpu_mode(kr);
    if (argc == 5 && !strcmp(argv[1], "--op") && !strcmp(argv[3], "--iters"))
        return cg_mode(kr, argv[2], atol(argv[4]));
    if (crumb_store_memory_open(&mem, NULL) ||
        !mkdtemp(dir) || crumb_store_file_open(&file, dir, NULL))
        return 1;
    struct {
        const char *name;
        int mode;
        crumb_store *st;
    } modes[] = {{"stateless", CRUMB_MODE_STATELESS, NULL},
                 {"stateless+memory", CRUMB_MODE_STATELESS_STORE, mem},
                 {"stateless+file", CRUMB_MODE_STATELESS_STORE, file},
                 {"server+memory", CRUMB_MODE_SERVER, mem}};
    printf("%-18s %14s %14s %14s %8s\n", "mode", "load+save/s", "load+set+save/s",
           "bare open/s", "cookie");
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        setup(kr, modes[i].mode, modes[i].st);
        reseal = 0;
        double a = measure(request);
        reseal = 1;
        double b = modes[i].st == file ? 0 : measure(request); /* file puts fsync */
        double o = measure(bare_open);
        const char *semi = strchr(header, ';');
        printf("%-18s %14.0f %14.0f %14.0f %8zu\n", modes[i].name, a, b, o,
               semi ? (size_t)(semi - header) : strlen(header));
        crumb_ctx_free(ctx);
    }
    crumb_store_close(mem);
    crumb_store_close(file);
    crumb_keyring_free(kr);
    char cmd[64];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : 1;
}
