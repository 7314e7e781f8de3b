/*
 * cmd_seal.c - `crumb seal`: build a session payload from flags and/or a
 * JSON object on stdin (json_in.c), encode its application data region,
 * seal it under the primary key and print the token or a Set-Cookie value.
 */
#include "cli.h"
#include "json_in.h"

#include <stdlib.h>
#include <string.h>

#define JSON_INPUT_MAX (1024u * 1024u)

/* ==== Application data region ========================================== */

typedef struct entry {
    char *key;
    size_t klen;
    uint8_t *val;
    size_t vlen;
} entry;

typedef struct entries {
    entry *e;
    size_t n, cap;
} entries;

/* Add or replace key (later wins, so flags override JSON); 0 or -1. */
static int entries_set(entries *es, const char *key, size_t klen, const uint8_t *val,
                       size_t vlen)
{
    char *k = malloc(klen + 1);
    uint8_t *v = malloc(vlen ? vlen : 1);
    if (!k || !v) {
        free(k);
        free(v);
        return -1;
    }
    memcpy(k, key, klen);
    k[klen] = '\0';
    if (vlen)
        memcpy(v, val, vlen);
    for (size_t i = 0; i < es->n; i++) {
        if (es->e[i].klen == klen && memcmp(es->e[i].key, key, klen) == 0) {
            free(es->e[i].key);
            free(es->e[i].val);
            es->e[i] = (entry){k, klen, v, vlen};
            return 0;
        }
    }
    if (es->n == es->cap) {
        size_t nc = es->cap ? es->cap * 2 : 8;
        entry *ne = realloc(es->e, nc * sizeof *ne);
        if (!ne) {
            free(k);
            free(v);
            return -1;
        }
        es->e = ne;
        es->cap = nc;
    }
    es->e[es->n++] = (entry){k, klen, v, vlen};
    return 0;
}

/* Release all entries. */
static void entries_free(entries *es)
{
    for (size_t i = 0; i < es->n; i++) {
        free(es->e[i].key);
        free(es->e[i].val);
    }
    free(es->e);
    memset(es, 0, sizeof *es);
}

/* qsort order of entries: bytewise, a proper prefix first (FORMAT.md). */
static int entry_cmp(const void *a, const void *b)
{
    const entry *x = a, *y = b;
    int c = memcmp(x->key, y->key, x->klen < y->klen ? x->klen : y->klen);
    if (c)
        return c;
    return x->klen < y->klen ? -1 : x->klen > y->klen;
}

/* Encode the canonical data region (sorted; u8 key length, key, u16
 * big-endian value length, value). Returns a malloc'd buffer or NULL. */
static uint8_t *entries_encode(entries *es, size_t *len)
{
    size_t need = 0;
    if (es->n > 1)
        qsort(es->e, es->n, sizeof *es->e, entry_cmp);
    for (size_t i = 0; i < es->n; i++)
        need += 3 + es->e[i].klen + es->e[i].vlen;
    uint8_t *out = malloc(need ? need : 1), *w = out;
    if (!out)
        return NULL;
    for (size_t i = 0; i < es->n; i++) {
        *w++ = (uint8_t)es->e[i].klen;
        memcpy(w, es->e[i].key, es->e[i].klen), w += es->e[i].klen;
        *w++ = (uint8_t)(es->e[i].vlen >> 8);
        *w++ = (uint8_t)es->e[i].vlen;
        if (es->e[i].vlen)
            memcpy(w, es->e[i].val, es->e[i].vlen), w += es->e[i].vlen;
    }
    *len = need;
    return out;
}

/* ==== seal ============================================================= */

static const char seal_help[] =
    "usage: crumb seal [options] [--stdin | -]\n"
    "\n"
    "Make a session token (payload v1) and print it on stdout.\n"
    "  --user ID --tenant ID --device ID   ids (0..255 bytes; default none)\n"
    "  --ttl S            absolute lifetime in seconds (default 86400)\n"
    "  --idle S           idle timeout in seconds (default 1800; 0 = none)\n"
    "  --data KEY=VALUE   application data entry (repeatable)\n"
    "  --data-hex KEY=HEX application data entry with a binary value\n"
    "  --schema N         application schema version (default 0)\n"
    "  --generation N     rotation generation (default 0)\n"
    "  --family HEX       family id, 32 hex digits (default random)\n"
    "  --auth STATE       anonymous | in-progress | authenticated | pending |\n"
    "                     identifying (needs --user; payload v2)\n"
    "  --factors LIST     e.g. password,totp (used / completed factors)\n"
    "  --remaining LIST   factors still required (in-progress)\n"
    "  --attempts N       failed attempts (in-progress)\n"
    "  --workflow N       workflow number (pending; 1 signup, 2 password reset,\n"
    "                     3 email verify, 4 invite)\n"
    "  --auth-time T      auth time (default: now)\n"
    "  --set-cookie       print a Set-Cookie header value instead of the token\n"
    "  --stdin, -         read a JSON object from stdin with the same fields:\n"
    "                     {\"user\":\"alice\",\"ttl\":3600,\"data\":{\"cart\":\"3\"},\n"
    "                      \"auth\":{\"state\":\"authenticated\",\"factors\":[\"password\"]}}\n"
    "                     (also tenant, device, idle, schema, generation, family,\n"
    "                     cookie, purpose, audience, suite; data values may be\n"
    "                     {\"hex\":\"...\"}); flags override JSON fields.\n"
    "  --keys FILE | --keys-env VAR, --cookie NAME, --purpose P, --audience A,\n"
    "  --suite xchacha20-poly1305|aes-256-gcm|hmac-sha256, --now T\n"
    "The cookie name, purpose and audience must match the application's, or\n"
    "the token will not open there. hmac-sha256 tokens are signed, not\n"
    "encrypted: anyone can read their payload.\n";

/* Everything seal collects before building the payload. */
typedef struct seal_in {
    crumb_payload p;
    int64_t ttl, idle;
    int have_family, have_auth_time;
    entries data;
} seal_in;

/* Set an id field from s (n bytes); 0 or -1 (reported). */
static int set_id(const char *what, char *dst, size_t *dlen, const char *s, size_t n)
{
    if (n > CRUMB_ID_MAX) {
        cli_fail(EX_USAGE, "seal", "%s is longer than %u bytes", what, CRUMB_ID_MAX);
        return -1;
    }
    memcpy(dst, s, n);
    dst[n] = '\0';
    *dlen = n;
    return 0;
}

/* Check and add a data entry; 0 or -1 (reported). */
static int add_data(seal_in *in, const char *key, size_t klen, const uint8_t *val, size_t vlen)
{
    if (klen == 0 || klen > CRUMB_DATA_KEY_MAX || memchr(key, '\0', klen)) {
        cli_fail(EX_USAGE, "seal", "data keys must be 1..%u bytes without NUL",
                 CRUMB_DATA_KEY_MAX);
        return -1;
    }
    if (vlen > CRUMB_DATA_VALUE_MAX) {
        cli_fail(EX_USAGE, "seal", "data value for '%.*s' is longer than %u bytes", (int)klen,
                 key, CRUMB_DATA_VALUE_MAX);
        return -1;
    }
    if (entries_set(&in->data, key, klen, val, vlen) != 0) {
        cli_fail(EX_INTERNAL, "seal", "out of memory");
        return -1;
    }
    return 0;
}

/* Add "KEY=VALUE" (hex = 1: VALUE is hex); 0 or -1 (reported). */
static int add_data_arg(seal_in *in, const char *arg, int hex)
{
    const char *eq = strchr(arg, '=');
    if (!eq) {
        cli_fail(EX_USAGE, "seal", "--data wants KEY=VALUE, got '%s'", arg);
        return -1;
    }
    const char *v = eq + 1;
    size_t vlen = strlen(v);
    if (!hex)
        return add_data(in, arg, (size_t)(eq - arg), (const uint8_t *)v, vlen);
    uint8_t *bin = malloc(vlen / 2 + 1);
    if (!bin || vlen % 2 || cli_unhex(bin, vlen / 2, v) != 0) {
        free(bin);
        cli_fail(EX_USAGE, "seal", "--data-hex wants KEY=HEX (even number of hex digits)");
        return -1;
    }
    int r = add_data(in, arg, (size_t)(eq - arg), bin, vlen / 2);
    free(bin);
    return r;
}

/* Fill dst with n random bytes through the public API; CRUMB_OK or error. */
static crumb_err random_bytes(uint8_t *dst, size_t n)
{
    uint8_t k[CRUMB_KEYBYTES];
    while (n > 0) {
        crumb_err e = crumb_key_generate(k);
        if (e != CRUMB_OK)
            return e;
        size_t take = n < sizeof k ? n : sizeof k;
        memcpy(dst, k, take);
        dst += take;
        n -= take;
    }
    crumb_wipe(k, sizeof k);
    return CRUMB_OK;
}

/* ==== seal: JSON input ================================================= */

/* j must be an object holding only known fields; 0 or -1 (reported). */
static int json_check_fields(const jin *j)
{
    static const char *const known[] = {"user", "tenant", "device", "ttl", "idle", "schema",
                                        "generation", "family", "cookie", "purpose",
                                        "audience", "suite", "auth", "data"};
    if (j->type != JIN_OBJ) {
        cli_fail(EX_USAGE, "seal", "stdin must hold a JSON object");
        return -1;
    }
    for (size_t i = 0; i < j->count; i++) {
        size_t k;
        for (k = 0; k < sizeof known / sizeof known[0]; k++)
            if (strcmp(j->kids[i].key, known[k]) == 0)
                break;
        if (k == sizeof known / sizeof known[0]) {
            cli_fail(EX_USAGE, "seal", "unknown JSON field \"%s\"", j->kids[i].key);
            return -1;
        }
    }
    return 0;
}

/* "user", "tenant", "device" into the payload, and "cookie", "purpose",
 * "audience" into c unless a flag set them; 0 or -1 (reported). */
static int json_ids(seal_in *in, cli_common *c, const jin *j)
{
    const jin *v;
    struct {
        const char *name;
        char *dst;
        size_t *len;
    } ids[] = {{"user", in->p.user, &in->p.user_len},
               {"tenant", in->p.tenant, &in->p.tenant_len},
               {"device", in->p.device, &in->p.device_len}};
    for (size_t i = 0; i < 3; i++) {
        if ((v = jin_get(j, ids[i].name)) == NULL)
            continue;
        if (v->type != JIN_STR) {
            cli_fail(EX_USAGE, "seal", "JSON \"%s\" must be a string", ids[i].name);
            return -1;
        }
        if (set_id(ids[i].name, ids[i].dst, ids[i].len, v->str, v->len) != 0)
            return -1;
    }
    struct {
        const char *name;
        const char **dst;
    } strs[] = {{"cookie", &c->cookie}, {"purpose", &c->purpose}, {"audience", &c->audience}};
    for (size_t i = 0; i < 3; i++) {
        if ((v = jin_get(j, strs[i].name)) == NULL || *strs[i].dst)
            continue; /* flags win */
        if (v->type != JIN_STR || strlen(v->str) != v->len) {
            cli_fail(EX_USAGE, "seal", "JSON \"%s\" must be a string", strs[i].name);
            return -1;
        }
        *strs[i].dst = v->str;
    }
    return 0;
}

/* Member name of j as a u32 into *dst (untouched if absent); 0 or -1. */
static int json_u32(const jin *j, const char *name, uint32_t *dst)
{
    const jin *v = jin_get(j, name);
    int64_t n;
    if (!v)
        return 0;
    if (jin_int(v, &n) != 0 || n < 0 || n > UINT32_MAX)
        return -1;
    *dst = (uint32_t)n;
    return 0;
}

/* "ttl", "idle", "schema", "generation", "family", and "suite" (into c
 * unless --suite); 0 or -1 (reported). */
static int json_numbers(seal_in *in, cli_common *c, const jin *j)
{
    const jin *v;
    if ((v = jin_get(j, "ttl")) && jin_int(v, &in->ttl) != 0)
        return cli_fail(EX_USAGE, "seal", "JSON \"ttl\" must be an integer"), -1;
    if ((v = jin_get(j, "idle")) && jin_int(v, &in->idle) != 0)
        return cli_fail(EX_USAGE, "seal", "JSON \"idle\" must be an integer"), -1;
    if (json_u32(j, "schema", &in->p.app_schema) != 0)
        return cli_fail(EX_USAGE, "seal", "JSON \"schema\" must be 0..4294967295"), -1;
    if (json_u32(j, "generation", &in->p.generation) != 0)
        return cli_fail(EX_USAGE, "seal", "JSON \"generation\" must be 0..4294967295"), -1;
    if ((v = jin_get(j, "family"))) {
        if (v->type != JIN_STR || cli_unhex(in->p.family, CRUMB_SID_BYTES, v->str) != 0)
            return cli_fail(EX_USAGE, "seal", "JSON \"family\" must be 32 hex digits"), -1;
        in->have_family = 1;
    }
    if ((v = jin_get(j, "suite")) && !c->suite) {
        c->suite = v->type == JIN_STR ? cli_parse_suite(v->str)
                   : v->type == JIN_NUM ? cli_parse_suite(v->str)
                                        : 0;
        if (!c->suite)
            return cli_fail(EX_USAGE, "seal", "JSON \"suite\": unknown suite"), -1;
    }
    return 0;
}

/* "factors" and "remaining" of the auth object a; 0 or -1 (reported). */
static int json_auth_factors(seal_in *in, const jin *auth)
{
    const char *lists[2] = {"factors", "remaining"};
    uint32_t *dst[2] = {&in->p.auth.factors, &in->p.auth.remaining};
    const jin *a;
    for (int l = 0; l < 2; l++) {
        if (!(a = jin_get(auth, lists[l])))
            continue;
        if (a->type != JIN_ARR)
            return cli_fail(EX_USAGE, "seal", "JSON auth \"%s\" must be an array",
                            lists[l]), -1;
        for (size_t i = 0; i < a->count; i++) {
            uint32_t b = a->kids[i].type == JIN_STR || a->kids[i].type == JIN_NUM
                             ? cli_factor_parse(a->kids[i].str, a->kids[i].len)
                             : 0;
            if (!b)
                return cli_fail(EX_USAGE, "seal", "JSON auth \"%s\": unknown factor",
                                lists[l]), -1;
            *dst[l] |= b;
        }
    }
    return 0;
}

/* The "auth" object: state, factors, remaining, attempts, workflow, time;
 * 0 or -1 (reported). */
static int json_auth(seal_in *in, const jin *j)
{
    const jin *v = jin_get(j, "auth"), *a;
    if (!v)
        return 0;
    if (v->type != JIN_OBJ)
        return cli_fail(EX_USAGE, "seal", "JSON \"auth\" must be an object"), -1;
    if ((a = jin_get(v, "state"))) {
        in->p.auth.state = a->type == JIN_STR ? cli_auth_state_parse(a->str) : -1;
        if (in->p.auth.state < 0)
            return cli_fail(EX_USAGE, "seal", "JSON auth \"state\": anonymous, in-progress, "
                                              "authenticated or pending"), -1;
    }
    if (json_auth_factors(in, v) != 0)
        return -1;
    if (json_u32(v, "attempts", &in->p.auth.attempts) != 0)
        return cli_fail(EX_USAGE, "seal", "JSON auth \"attempts\": bad number"), -1;
    if (json_u32(v, "workflow", &in->p.auth.workflow) != 0)
        return cli_fail(EX_USAGE, "seal", "JSON auth \"workflow\": bad number"), -1;
    if ((a = jin_get(v, "time"))) {
        if (jin_int(a, &in->p.auth.time) != 0)
            return cli_fail(EX_USAGE, "seal", "JSON auth \"time\": bad number"), -1;
        in->have_auth_time = 1;
    }
    return 0;
}

/* One "data" member d: a string, or {"hex":"..."}; 0 or -1 (reported). */
static int json_data_entry(seal_in *in, const jin *d)
{
    const jin *h;
    if (d->type == JIN_STR)
        return add_data(in, d->key, d->key_len, (const uint8_t *)d->str, d->len);
    if (d->type == JIN_OBJ && d->count == 1 && (h = jin_get(d, "hex")) && h->type == JIN_STR &&
        h->len % 2 == 0) {
        uint8_t *bin = malloc(h->len / 2 + 1);
        if (!bin || cli_unhex(bin, h->len / 2, h->str) != 0) {
            free(bin);
            return cli_fail(EX_USAGE, "seal", "JSON data \"%s\": bad hex", d->key), -1;
        }
        int r = add_data(in, d->key, d->key_len, bin, h->len / 2);
        free(bin);
        return r;
    }
    return cli_fail(EX_USAGE, "seal", "JSON data \"%s\" must be a string or "
                                      "{\"hex\":\"...\"}", d->key), -1;
}

/* The "data" object; 0 or -1 (reported). */
static int json_data(seal_in *in, const jin *j)
{
    const jin *v = jin_get(j, "data");
    if (!v)
        return 0;
    if (v->type != JIN_OBJ)
        return cli_fail(EX_USAGE, "seal", "JSON \"data\" must be an object"), -1;
    for (size_t i = 0; i < v->count; i++)
        if (json_data_entry(in, &v->kids[i]) != 0)
            return -1;
    return 0;
}

/* Apply the JSON object j to in and the common options; 0 or -1. */
static int apply_json(seal_in *in, cli_common *c, const jin *j)
{
    if (json_check_fields(j) != 0 || json_ids(in, c, j) != 0 || json_numbers(in, c, j) != 0 ||
        json_auth(in, j) != 0 || json_data(in, j) != 0)
        return -1;
    return 0;
}

/* ==== seal: options and flags ========================================== */

/* The flags of one seal run (NULL when not given). */
typedef struct seal_opts {
    cli_common c;
    const char *user, *tenant, *device, *ttl, *idle, *schema, *gen, *family;
    const char *auth, *factors, *remaining, *attempts, *workflow, *auth_time;
    int from_stdin, set_cookie;
} seal_opts;

/* Returned by seal_arg when the command goes on. */
#define SEAL_GO (-1)

/* Take the option at argv[*i] into o (--data and --data-hex are applied
 * later, by apply_data_flags). Returns SEAL_GO or an exit code (--help:
 * EX_OK; errors reported). */
static int seal_arg(seal_opts *o, int argc, char **argv, int *i)
{
    const char *v;
    int r;
    if (cli_is_help(argv[*i])) {
        fputs(seal_help, stdout);
        return EX_OK;
    }
    if ((r = cli_common_opt(&o->c, "seal", argc, argv, i)) != 0)
        return r < 0 ? EX_USAGE : SEAL_GO;
    const cli_optdef opts[] = {{"--user", &o->user},           {"--tenant", &o->tenant},
                {"--device", &o->device},       {"--ttl", &o->ttl},
                {"--idle", &o->idle},           {"--schema", &o->schema},
                {"--generation", &o->gen},      {"--family", &o->family},
                {"--auth", &o->auth},           {"--factors", &o->factors},
                {"--remaining", &o->remaining}, {"--attempts", &o->attempts},
                {"--workflow", &o->workflow},   {"--auth-time", &o->auth_time},
                {"--data", &v},                 {"--data-hex", &v}};
    size_t k;
    r = cli_opt_table(opts, sizeof opts / sizeof opts[0], "seal", argc, argv, i, &k);
    if (r < 0)
        return EX_USAGE;
    if (r > 0)
        return SEAL_GO;
    if (cli_opt(argc, argv, i, "--stdin", NULL) || strcmp(argv[*i], "-") == 0)
        o->from_stdin = 1;
    else if (cli_opt(argc, argv, i, "--set-cookie", NULL))
        o->set_cookie = 1;
    else if (argv[*i][0] == '-')
        return cli_fail(EX_USAGE, "seal", "unknown option %s (see crumb seal --help)", argv[*i]);
    else
        return cli_fail(EX_USAGE, "seal", "unexpected argument '%s'", argv[*i]);
    return SEAL_GO;
}

/* --user, --tenant, --device, --ttl, --idle, --schema, --generation,
 * --family over what the JSON set; EX_OK or EX_USAGE (reported). */
static int apply_id_flags(seal_in *in, const seal_opts *o)
{
    if ((o->user && set_id("--user", in->p.user, &in->p.user_len, o->user, strlen(o->user))) ||
        (o->tenant &&
         set_id("--tenant", in->p.tenant, &in->p.tenant_len, o->tenant, strlen(o->tenant))) ||
        (o->device &&
         set_id("--device", in->p.device, &in->p.device_len, o->device, strlen(o->device))))
        return EX_USAGE;
    if ((o->ttl && cli_parse_i64(o->ttl, &in->ttl)) ||
        (o->idle && cli_parse_i64(o->idle, &in->idle)))
        return cli_fail(EX_USAGE, "seal", "--ttl and --idle want seconds");
    if (in->ttl <= 0 || in->idle < 0)
        return cli_fail(EX_USAGE, "seal", "--ttl must be > 0 and --idle >= 0");
    if (o->schema && cli_parse_u32(o->schema, &in->p.app_schema))
        return cli_fail(EX_USAGE, "seal", "--schema wants 0..4294967295");
    if (o->gen && cli_parse_u32(o->gen, &in->p.generation))
        return cli_fail(EX_USAGE, "seal", "--generation wants 0..4294967295");
    if (o->family) {
        if (cli_unhex(in->p.family, CRUMB_SID_BYTES, o->family))
            return cli_fail(EX_USAGE, "seal", "--family wants 32 hex digits");
        in->have_family = 1;
    }
    return EX_OK;
}

/* --auth, --factors, --remaining, --attempts, --workflow, --auth-time over
 * what the JSON set; EX_OK or EX_USAGE (reported). */
static int apply_auth_flags(seal_in *in, const seal_opts *o)
{
    if (o->auth && (in->p.auth.state = cli_auth_state_parse(o->auth)) < 0)
        return cli_fail(EX_USAGE, "seal", "--auth: anonymous, in-progress, authenticated, "
                                          "pending or identifying");
    if ((o->factors && cli_factors_parse(o->factors, &in->p.auth.factors)) ||
        (o->remaining && cli_factors_parse(o->remaining, &in->p.auth.remaining)))
        return cli_fail(EX_USAGE, "seal", "factors: comma-separated names (password, totp, "
                                          "webauthn, email, sms, recovery, sso) or numbers");
    if ((o->attempts && cli_parse_u32(o->attempts, &in->p.auth.attempts)) ||
        (o->workflow && cli_parse_u32(o->workflow, &in->p.auth.workflow)))
        return cli_fail(EX_USAGE, "seal", "--attempts and --workflow want numbers");
    if (o->auth_time) {
        if (cli_parse_i64(o->auth_time, &in->p.auth.time))
            return cli_fail(EX_USAGE, "seal", "--auth-time wants seconds since the epoch");
        in->have_auth_time = 1;
    }
    return EX_OK;
}

/* The --data / --data-hex flags in order, so a later one wins (and any
 * wins over the JSON); EX_OK or EX_USAGE (reported). */
static int apply_data_flags(seal_in *in, int argc, char **argv)
{
    const char *v;
    int r;
    for (int i = 1; i < argc; i++) {
        int hex = 0;
        if ((r = cli_opt(argc, argv, &i, "--data", &v)) == 0)
            hex = (r = cli_opt(argc, argv, &i, "--data-hex", &v)) != 0;
        if (r > 0 && add_data_arg(in, v, hex) != 0)
            return EX_USAGE;
    }
    return EX_OK;
}

/* ==== seal: building, sealing, printing ================================ */

/* What seal allocates on the way; seal_bufs_free releases it. */
typedef struct seal_bufs {
    char *text;      /* the JSON read from stdin */
    jin doc;         /* ... parsed */
    uint8_t *region; /* the encoded data region */
    uint8_t *pt;     /* the encoded payload (wiped before it is freed) */
    size_t pt_len;
} seal_bufs;

/* Release b (the payload wiped first). */
static void seal_bufs_free(seal_bufs *b)
{
    if (b->pt)
        crumb_wipe(b->pt, b->pt_len);
    free(b->pt);
    free(b->region);
    free(b->text);
    jin_free(&b->doc);
}

/* Gather the session: the JSON from stdin if asked for, then the flags over
 * it. Returns an exit code (errors reported). */
static int seal_gather(seal_in *in, seal_opts *o, seal_bufs *b, int argc, char **argv)
{
    if (o->from_stdin) {
        size_t len;
        char err[128];
        if (cli_read_all(stdin, JSON_INPUT_MAX, &b->text, &len) != 0)
            return cli_fail(EX_IO, "seal", "cannot read JSON from stdin");
        if (jin_parse(&b->doc, b->text, len, err, sizeof err) != 0)
            return cli_fail(EX_USAGE, "seal", "stdin: %s", err);
        if (apply_json(in, &o->c, &b->doc) != 0)
            return EX_USAGE;
    }
    int rc = apply_id_flags(in, o);
    if (rc == EX_OK)
        rc = apply_auth_flags(in, o);
    if (rc == EX_OK)
        rc = apply_data_flags(in, argc, argv);
    return rc;
}

/* Complete in->p at time now (times, ids, data region) and encode it into
 * b->pt. Returns an exit code (errors reported). */
static int seal_encode(seal_in *in, int64_t now, seal_bufs *b)
{
    in->p.version = CRUMB_PAYLOAD_VERSION;
    in->p.issued_at = now;
    if (in->ttl > INT64_MAX - now)
        return cli_fail(EX_USAGE, "seal", "--ttl too large");
    in->p.expires_at = now + in->ttl;
    in->p.idle_at = in->idle > 0 && in->idle < in->ttl ? now + in->idle : in->p.expires_at;
    if (in->p.auth.state != CRUMB_AUTH_ANONYMOUS && in->p.auth.state != CRUMB_AUTH_IDENTIFYING &&
        !in->have_auth_time)
        in->p.auth.time = now;
    crumb_err e = random_bytes(in->p.sid, CRUMB_SID_BYTES);
    if (e == CRUMB_OK && !in->have_family)
        e = random_bytes(in->p.family, CRUMB_SID_BYTES);
    if (e != CRUMB_OK)
        return cli_fail(EX_INTERNAL, "seal", "%s", cli_strerror(e));
    if (in->data.n > CRUMB_DATA_ENTRIES_MAX)
        return cli_fail(EX_USAGE, "seal", "more than %u data entries", CRUMB_DATA_ENTRIES_MAX);
    size_t region_len = 0;
    if ((b->region = entries_encode(&in->data, &region_len)) == NULL)
        return cli_fail(EX_INTERNAL, "seal", "out of memory");
    in->p.data = b->region;
    in->p.data_len = region_len;
    in->p.data_count = in->data.n;
    e = crumb_payload_encode(&in->p, NULL, 0, &b->pt_len);
    if (e != CRUMB_E_BUFSIZE && e != CRUMB_OK)
        return cli_fail(e == CRUMB_E_TOO_LARGE ? EX_USAGE : cli_exit_for(e), "seal",
                        "cannot encode the payload: %s", cli_strerror(e));
    if ((b->pt = malloc(b->pt_len ? b->pt_len : 1)) == NULL)
        return cli_fail(EX_INTERNAL, "seal", "out of memory");
    if ((e = crumb_payload_encode(&in->p, b->pt, b->pt_len, &b->pt_len)) != CRUMB_OK)
        return cli_fail(cli_exit_for(e), "seal", "cannot encode the payload: %s",
                        cli_strerror(e));
    return EX_OK;
}

/* Print the token (or, with --set-cookie, a Set-Cookie value for it) and
 * flush. Returns an exit code (errors reported). */
static int seal_print(const seal_opts *o, const seal_in *in, const char *tok, size_t tok_len,
                      int64_t now)
{
    if (o->set_cookie) {
        crumb_cookie_attrs a = {0};
        char line[8192];
        size_t line_len;
        a.name = o->c.cookie ? o->c.cookie : "session";
        a.secure = 1;
        a.http_only = 1;
        crumb_err e =
            crumb_set_cookie(line, sizeof line, &line_len, &a, NULL, tok, tok_len, in->ttl, now);
        if (e != CRUMB_OK)
            return cli_fail(cli_exit_for(e), "seal", "cannot build Set-Cookie: %s",
                            cli_strerror(e));
        printf("%s\n", line);
    } else {
        printf("%s\n", tok);
    }
    return fflush(stdout) == 0 ? EX_OK : cli_fail(EX_IO, "seal", "cannot write stdout");
}

/* Load the keys, seal the encoded payload b->pt and print the result.
 * Returns an exit code (errors reported). */
static int seal_emit(const seal_opts *o, const seal_in *in, const seal_bufs *b, int64_t now)
{
    crumb_keyring *kr = NULL;
    crumb_codec *codec = NULL;
    char *tok = NULL;
    int rc;
    if ((rc = cli_load_keys(&o->c, "seal", &kr)) != EX_OK ||
        (rc = cli_codec(&o->c, "seal", kr, NULL, NULL, &codec)) != EX_OK)
        goto out;
    size_t tok_cap = crumb_token_len(codec, b->pt_len), tok_len = 0;
    if ((tok = malloc(tok_cap + 1)) == NULL) {
        rc = cli_fail(EX_INTERNAL, "seal", "out of memory");
        goto out;
    }
    crumb_err e = crumb_seal(codec, tok, tok_cap, &tok_len, b->pt, b->pt_len, 0);
    if (e != CRUMB_OK) {
        rc = cli_fail(e == CRUMB_E_NOKEY ? EX_IO : cli_exit_for(e), "seal", "%s%s",
                      cli_strerror(e),
                      e == CRUMB_E_NOKEY ? " (promote a key: crumb key promote ID)" : "");
        goto out;
    }
    tok[tok_len] = '\0';
    rc = seal_print(o, in, tok, tok_len, now);
out:
    crumb_codec_free(codec);
    crumb_keyring_free(kr);
    free(tok);
    return rc;
}

/* see cli.h */
int cmd_seal(int argc, char **argv)
{
    seal_opts o;
    seal_in in;
    seal_bufs b;
    int rc;
    memset(&o, 0, sizeof o);
    memset(&in, 0, sizeof in);
    memset(&b, 0, sizeof b);
    in.ttl = 86400;
    in.idle = 1800;
    in.p.generation = 0; /* as the session layer starts a family */
    for (int i = 1; i < argc; i++)
        if ((rc = seal_arg(&o, argc, argv, &i)) != SEAL_GO)
            return rc;
    rc = seal_gather(&in, &o, &b, argc, argv);
    if (rc == EX_OK) {
        int64_t now = cli_now(&o.c);
        rc = seal_encode(&in, now, &b);
        if (rc == EX_OK)
            rc = seal_emit(&o, &in, &b, now);
    }
    seal_bufs_free(&b);
    entries_free(&in.data);
    return rc;
}
