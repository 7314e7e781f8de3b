/*
 * cmd_token.c - `crumb seal`, `crumb open`, `crumb verify` and `crumb
 * inspect`: build a session payload v1 from flags or JSON and seal it, open
 * and print a token (header and every payload field), check it for
 * scripts, or read its public header without a key.
 */
#include "cli.h"
#include "json_in.h"

#include <stdlib.h>
#include <string.h>

#define TOKEN_INPUT_MAX (256u * 1024u)
#define JSON_INPUT_MAX (1024u * 1024u)

/* ==== Shared: reading a token ========================================== */

/* Get the token from the positional argument or the first line of stdin
 * (surrounding whitespace trimmed) into a malloc'd, NUL-terminated buffer.
 * Empty stdin is a usage error; an empty argument or line is an empty token
 * (which the library rejects: exit 1). */
static int read_token(const char *cmd, const char *arg, char **tok, size_t *len)
{
    if (arg && strcmp(arg, "-") != 0) {
        *len = strlen(arg);
        *tok = malloc(*len + 1);
        if (!*tok)
            return cli_fail(EX_INTERNAL, cmd, "out of memory");
        memcpy(*tok, arg, *len + 1);
        return EX_OK;
    }
    if (cli_read_all(stdin, TOKEN_INPUT_MAX, tok, len) != 0)
        return cli_fail(EX_IO, cmd, "cannot read the token from stdin");
    char *s = *tok;
    size_t a = 0, b = *len;
    while (a < b && (s[a] == ' ' || s[a] == '\t' || s[a] == '\n' || s[a] == '\r'))
        a++;
    const char *nl = memchr(s + a, '\n', b - a);
    if (nl) /* first line only */
        b = (size_t)(nl - s);
    while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t' || s[b - 1] == '\n' || s[b - 1] == '\r'))
        b--;
    memmove(s, s + a, b - a);
    *len = b - a;
    s[*len] = '\0'; /* cli_read_all leaves room: --header needs a C string */
    if (b == 0 && nl == NULL) { /* no input at all; an empty line is an empty token */
        free(*tok);
        *tok = NULL;
        return cli_fail(EX_USAGE, cmd, "no token (pass it as an argument or on stdin)");
    }
    return EX_OK;
}

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

/* ==== Auth state names ================================================= */

static const struct {
    const char *name;
    uint32_t bit;
} factor_names[] = {
    {"password", CRUMB_FACTOR_PASSWORD}, {"totp", CRUMB_FACTOR_TOTP},
    {"webauthn", CRUMB_FACTOR_WEBAUTHN}, {"email", CRUMB_FACTOR_EMAIL},
    {"sms", CRUMB_FACTOR_SMS},           {"recovery", CRUMB_FACTOR_RECOVERY},
    {"sso", CRUMB_FACTOR_SSO},
};

static const char *const auth_names[] = {"anonymous", "in-progress", "authenticated", "pending",
                                         "identifying"};
#define AUTH_NAMES (int)(sizeof auth_names / sizeof auth_names[0])

/* Auth state from its name; -1 if unknown. */
static int parse_auth_state(const char *s)
{
    for (int i = 0; i < AUTH_NAMES; i++)
        if (strcmp(s, auth_names[i]) == 0)
            return i;
    return -1;
}

/* Factor bit from a name or a number; 0 if unknown. */
static uint32_t parse_factor(const char *s, size_t n)
{
    char buf[32];
    uint32_t v;
    if (n == 0 || n >= sizeof buf)
        return 0;
    memcpy(buf, s, n);
    buf[n] = '\0';
    for (size_t i = 0; i < sizeof factor_names / sizeof factor_names[0]; i++)
        if (strcmp(buf, factor_names[i].name) == 0)
            return factor_names[i].bit;
    return cli_parse_u32(buf, &v) == 0 ? v : 0;
}

/* Parse "password,totp" (or numbers) into a bit set; 0 or -1. */
static int parse_factors(const char *s, uint32_t *out)
{
    *out = 0;
    while (*s) {
        const char *comma = strchr(s, ',');
        size_t n = comma ? (size_t)(comma - s) : strlen(s);
        uint32_t b = parse_factor(s, n);
        if (b == 0)
            return -1;
        *out |= b;
        s += n + (comma ? 1 : 0);
    }
    return 0;
}

/* Print a factor set as "password,totp,0x10000" to f (JSON array if json). */
static void print_factors(FILE *f, uint32_t bits, int json)
{
    int first = 1;
    if (json)
        fputc('[', f);
    for (size_t i = 0; i < sizeof factor_names / sizeof factor_names[0]; i++) {
        if (bits & factor_names[i].bit) {
            fprintf(f, json ? "%s\"%s\"" : "%s%s", first ? "" : ",", factor_names[i].name);
            bits &= ~factor_names[i].bit;
            first = 0;
        }
    }
    for (int b = 0; b < 32; b++) {
        if (bits & (1u << b)) {
            fprintf(f, json ? "%s%lu" : "%s0x%lx", first ? "" : ",", (unsigned long)(1ul << b));
            first = 0;
        }
    }
    if (json)
        fputc(']', f);
    else if (first)
        fputs("none", f);
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

/* Apply the JSON object j to in and the common options; 0 or -1. */
static int apply_json(seal_in *in, cli_common *c, const jin *j)
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
    int64_t n;
    if ((v = jin_get(j, "ttl")) && jin_int(v, &in->ttl) != 0)
        return cli_fail(EX_USAGE, "seal", "JSON \"ttl\" must be an integer"), -1;
    if ((v = jin_get(j, "idle")) && jin_int(v, &in->idle) != 0)
        return cli_fail(EX_USAGE, "seal", "JSON \"idle\" must be an integer"), -1;
    if ((v = jin_get(j, "schema"))) {
        if (jin_int(v, &n) != 0 || n < 0 || n > UINT32_MAX)
            return cli_fail(EX_USAGE, "seal", "JSON \"schema\" must be 0..4294967295"), -1;
        in->p.app_schema = (uint32_t)n;
    }
    if ((v = jin_get(j, "generation"))) {
        if (jin_int(v, &n) != 0 || n < 0 || n > UINT32_MAX)
            return cli_fail(EX_USAGE, "seal", "JSON \"generation\" must be 0..4294967295"), -1;
        in->p.generation = (uint32_t)n;
    }
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
    if ((v = jin_get(j, "auth"))) {
        const jin *a;
        if (v->type != JIN_OBJ)
            return cli_fail(EX_USAGE, "seal", "JSON \"auth\" must be an object"), -1;
        if ((a = jin_get(v, "state"))) {
            in->p.auth.state = a->type == JIN_STR ? parse_auth_state(a->str) : -1;
            if (in->p.auth.state < 0)
                return cli_fail(EX_USAGE, "seal", "JSON auth \"state\": anonymous, in-progress, "
                                                  "authenticated or pending"), -1;
        }
        const char *lists[2] = {"factors", "remaining"};
        uint32_t *dst[2] = {&in->p.auth.factors, &in->p.auth.remaining};
        for (int l = 0; l < 2; l++) {
            if (!(a = jin_get(v, lists[l])))
                continue;
            if (a->type != JIN_ARR)
                return cli_fail(EX_USAGE, "seal", "JSON auth \"%s\" must be an array",
                                lists[l]), -1;
            for (size_t i = 0; i < a->count; i++) {
                uint32_t b = a->kids[i].type == JIN_STR || a->kids[i].type == JIN_NUM
                                 ? parse_factor(a->kids[i].str, a->kids[i].len)
                                 : 0;
                if (!b)
                    return cli_fail(EX_USAGE, "seal", "JSON auth \"%s\": unknown factor",
                                    lists[l]), -1;
                *dst[l] |= b;
            }
        }
        if ((a = jin_get(v, "attempts"))) {
            if (jin_int(a, &n) != 0 || n < 0 || n > UINT32_MAX)
                return cli_fail(EX_USAGE, "seal", "JSON auth \"attempts\": bad number"), -1;
            in->p.auth.attempts = (uint32_t)n;
        }
        if ((a = jin_get(v, "workflow"))) {
            if (jin_int(a, &n) != 0 || n < 0 || n > UINT32_MAX)
                return cli_fail(EX_USAGE, "seal", "JSON auth \"workflow\": bad number"), -1;
            in->p.auth.workflow = (uint32_t)n;
        }
        if ((a = jin_get(v, "time"))) {
            if (jin_int(a, &in->p.auth.time) != 0)
                return cli_fail(EX_USAGE, "seal", "JSON auth \"time\": bad number"), -1;
            in->have_auth_time = 1;
        }
    }
    if ((v = jin_get(j, "data"))) {
        if (v->type != JIN_OBJ)
            return cli_fail(EX_USAGE, "seal", "JSON \"data\" must be an object"), -1;
        for (size_t i = 0; i < v->count; i++) {
            const jin *d = &v->kids[i], *h;
            int r;
            if (d->type == JIN_STR) {
                r = add_data(in, d->key, d->key_len, (const uint8_t *)d->str, d->len);
            } else if (d->type == JIN_OBJ && d->count == 1 && (h = jin_get(d, "hex")) &&
                       h->type == JIN_STR && h->len % 2 == 0) {
                uint8_t *bin = malloc(h->len / 2 + 1);
                if (!bin || cli_unhex(bin, h->len / 2, h->str) != 0) {
                    free(bin);
                    return cli_fail(EX_USAGE, "seal", "JSON data \"%s\": bad hex", d->key), -1;
                }
                r = add_data(in, d->key, d->key_len, bin, h->len / 2);
                free(bin);
            } else {
                return cli_fail(EX_USAGE, "seal", "JSON data \"%s\" must be a string or "
                                                  "{\"hex\":\"...\"}", d->key), -1;
            }
            if (r != 0)
                return -1;
        }
    }
    return 0;
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

/* see cli.h */
int cmd_seal(int argc, char **argv)
{
    cli_common c = {0};
    seal_in in;
    const char *v;
    const char *user = NULL, *tenant = NULL, *device = NULL, *ttl = NULL, *idle = NULL;
    const char *schema = NULL, *gen = NULL, *family = NULL, *auth = NULL, *factors = NULL;
    const char *remaining = NULL, *attempts = NULL, *workflow = NULL, *auth_time = NULL;
    int from_stdin = 0, set_cookie = 0, r, rc = EX_USAGE;
    char *text = NULL, *tok = NULL;
    uint8_t *region = NULL, *pt = NULL;
    size_t region_len = 0, pt_len = 0;
    jin doc = {0};
    crumb_keyring *kr = NULL;
    crumb_codec *codec = NULL;

    memset(&in, 0, sizeof in);
    in.ttl = 86400;
    in.idle = 1800;
    in.p.generation = 0; /* as the session layer starts a family */
    /* first pass: options (data entries are applied after the JSON) */
    for (int i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            fputs(seal_help, stdout);
            return EX_OK;
        }
        if ((r = cli_common_opt(&c, "seal", argc, argv, &i)) != 0) {
            if (r < 0)
                return EX_USAGE;
            continue;
        }
        struct {
            const char *name;
            const char **dst;
        } opts[] = {{"--user", &user},           {"--tenant", &tenant},
                    {"--device", &device},       {"--ttl", &ttl},
                    {"--idle", &idle},           {"--schema", &schema},
                    {"--generation", &gen},      {"--family", &family},
                    {"--auth", &auth},           {"--factors", &factors},
                    {"--remaining", &remaining}, {"--attempts", &attempts},
                    {"--workflow", &workflow},   {"--auth-time", &auth_time},
                    {"--data", &v},              {"--data-hex", &v}};
        size_t k;
        r = 0;
        for (k = 0; k < sizeof opts / sizeof opts[0]; k++)
            if ((r = cli_opt(argc, argv, &i, opts[k].name, opts[k].dst)) != 0)
                break;
        if (r < 0)
            return cli_fail(EX_USAGE, "seal", "option %s needs a value", opts[k].name);
        if (r > 0)
            continue;
        if (cli_opt(argc, argv, &i, "--stdin", NULL) || strcmp(argv[i], "-") == 0)
            from_stdin = 1;
        else if (cli_opt(argc, argv, &i, "--set-cookie", NULL))
            set_cookie = 1;
        else if (argv[i][0] == '-')
            return cli_fail(EX_USAGE, "seal", "unknown option %s (see crumb seal --help)",
                            argv[i]);
        else
            return cli_fail(EX_USAGE, "seal", "unexpected argument '%s'", argv[i]);
    }
    if (from_stdin) {
        size_t len;
        char err[128];
        if (cli_read_all(stdin, JSON_INPUT_MAX, &text, &len) != 0) {
            rc = cli_fail(EX_IO, "seal", "cannot read JSON from stdin");
            goto out;
        }
        if (jin_parse(&doc, text, len, err, sizeof err) != 0) {
            rc = cli_fail(EX_USAGE, "seal", "stdin: %s", err);
            goto out;
        }
        if (apply_json(&in, &c, &doc) != 0)
            goto out;
    }
    /* flags override JSON */
    if ((user && set_id("--user", in.p.user, &in.p.user_len, user, strlen(user))) ||
        (tenant && set_id("--tenant", in.p.tenant, &in.p.tenant_len, tenant, strlen(tenant))) ||
        (device && set_id("--device", in.p.device, &in.p.device_len, device, strlen(device))))
        goto out;
    if ((ttl && cli_parse_i64(ttl, &in.ttl)) || (idle && cli_parse_i64(idle, &in.idle))) {
        rc = cli_fail(EX_USAGE, "seal", "--ttl and --idle want seconds");
        goto out;
    }
    if (in.ttl <= 0 || in.idle < 0) {
        rc = cli_fail(EX_USAGE, "seal", "--ttl must be > 0 and --idle >= 0");
        goto out;
    }
    if (schema) {
        if (cli_parse_u32(schema, &in.p.app_schema)) {
            rc = cli_fail(EX_USAGE, "seal", "--schema wants 0..4294967295");
            goto out;
        }
    }
    if (gen) {
        if (cli_parse_u32(gen, &in.p.generation)) {
            rc = cli_fail(EX_USAGE, "seal", "--generation wants 0..4294967295");
            goto out;
        }
    }
    if (family) {
        if (cli_unhex(in.p.family, CRUMB_SID_BYTES, family)) {
            rc = cli_fail(EX_USAGE, "seal", "--family wants 32 hex digits");
            goto out;
        }
        in.have_family = 1;
    }
    if (auth && (in.p.auth.state = parse_auth_state(auth)) < 0) {
        rc = cli_fail(EX_USAGE, "seal", "--auth: anonymous, in-progress, authenticated, "
                                        "pending or identifying");
        goto out;
    }
    if ((factors && parse_factors(factors, &in.p.auth.factors)) ||
        (remaining && parse_factors(remaining, &in.p.auth.remaining))) {
        rc = cli_fail(EX_USAGE, "seal", "factors: comma-separated names (password, totp, "
                                        "webauthn, email, sms, recovery, sso) or numbers");
        goto out;
    }
    if ((attempts && cli_parse_u32(attempts, &in.p.auth.attempts)) ||
        (workflow && cli_parse_u32(workflow, &in.p.auth.workflow))) {
        rc = cli_fail(EX_USAGE, "seal", "--attempts and --workflow want numbers");
        goto out;
    }
    if (auth_time) {
        if (cli_parse_i64(auth_time, &in.p.auth.time)) {
            rc = cli_fail(EX_USAGE, "seal", "--auth-time wants seconds since the epoch");
            goto out;
        }
        in.have_auth_time = 1;
    }
    /* second pass: data entries in order, so a later flag wins */
    for (int i = 1; i < argc; i++) {
        int hex = 0;
        if ((r = cli_opt(argc, argv, &i, "--data", &v)) == 0)
            hex = (r = cli_opt(argc, argv, &i, "--data-hex", &v)) != 0;
        if (r > 0 && add_data_arg(&in, v, hex) != 0)
            goto out;
    }

    /* the payload */
    int64_t now = cli_now(&c);
    in.p.version = CRUMB_PAYLOAD_VERSION;
    in.p.issued_at = now;
    if (in.ttl > INT64_MAX - now) {
        rc = cli_fail(EX_USAGE, "seal", "--ttl too large");
        goto out;
    }
    in.p.expires_at = now + in.ttl;
    in.p.idle_at = in.idle > 0 && in.idle < in.ttl ? now + in.idle : in.p.expires_at;
    if (in.p.auth.state != CRUMB_AUTH_ANONYMOUS && in.p.auth.state != CRUMB_AUTH_IDENTIFYING &&
        !in.have_auth_time)
        in.p.auth.time = now;
    crumb_err e = random_bytes(in.p.sid, CRUMB_SID_BYTES);
    if (e == CRUMB_OK && !in.have_family)
        e = random_bytes(in.p.family, CRUMB_SID_BYTES);
    if (e != CRUMB_OK) {
        rc = cli_fail(EX_INTERNAL, "seal", "%s", cli_strerror(e));
        goto out;
    }
    if (in.data.n > CRUMB_DATA_ENTRIES_MAX) {
        rc = cli_fail(EX_USAGE, "seal", "more than %u data entries", CRUMB_DATA_ENTRIES_MAX);
        goto out;
    }
    if ((region = entries_encode(&in.data, &region_len)) == NULL) {
        rc = cli_fail(EX_INTERNAL, "seal", "out of memory");
        goto out;
    }
    in.p.data = region;
    in.p.data_len = region_len;
    in.p.data_count = in.data.n;
    e = crumb_payload_encode(&in.p, NULL, 0, &pt_len);
    if (e != CRUMB_E_BUFSIZE && e != CRUMB_OK) {
        rc = cli_fail(e == CRUMB_E_TOO_LARGE ? EX_USAGE : cli_exit_for(e), "seal",
                      "cannot encode the payload: %s", cli_strerror(e));
        goto out;
    }
    if ((pt = malloc(pt_len ? pt_len : 1)) == NULL) {
        rc = cli_fail(EX_INTERNAL, "seal", "out of memory");
        goto out;
    }
    if ((e = crumb_payload_encode(&in.p, pt, pt_len, &pt_len)) != CRUMB_OK) {
        rc = cli_fail(cli_exit_for(e), "seal", "cannot encode the payload: %s",
                      cli_strerror(e));
        goto out;
    }

    /* keys, codec, seal */
    if ((rc = cli_load_keys(&c, "seal", &kr)) != EX_OK)
        goto out;
    if ((rc = cli_codec(&c, "seal", kr, NULL, NULL, &codec)) != EX_OK)
        goto out;
    size_t tok_cap = crumb_token_len(codec, pt_len), tok_len = 0;
    if ((tok = malloc(tok_cap + 1)) == NULL) {
        rc = cli_fail(EX_INTERNAL, "seal", "out of memory");
        goto out;
    }
    e = crumb_seal(codec, tok, tok_cap, &tok_len, pt, pt_len, 0);
    if (e != CRUMB_OK) {
        rc = cli_fail(e == CRUMB_E_NOKEY ? EX_IO : cli_exit_for(e), "seal", "%s%s",
                      cli_strerror(e),
                      e == CRUMB_E_NOKEY ? " (promote a key: crumb key promote ID)" : "");
        goto out;
    }
    tok[tok_len] = '\0';
    if (set_cookie) {
        crumb_cookie_attrs a = {0};
        char line[8192];
        size_t line_len;
        a.name = c.cookie ? c.cookie : "session";
        a.secure = 1;
        a.http_only = 1;
        e = crumb_set_cookie(line, sizeof line, &line_len, &a, NULL, tok, tok_len, in.ttl, now);
        if (e != CRUMB_OK) {
            rc = cli_fail(cli_exit_for(e), "seal", "cannot build Set-Cookie: %s",
                          cli_strerror(e));
            goto out;
        }
        printf("%s\n", line);
    } else {
        printf("%s\n", tok);
    }
    rc = fflush(stdout) == 0 ? EX_OK : cli_fail(EX_IO, "seal", "cannot write stdout");
out:
    crumb_codec_free(codec);
    crumb_keyring_free(kr);
    if (pt)
        crumb_wipe(pt, pt_len);
    free(pt);
    free(tok);
    free(region);
    free(text);
    jin_free(&doc);
    entries_free(&in.data);
    return rc;
}

/* ==== open / verify ==================================================== */

static const char open_help[] =
    "usage: crumb open [TOKEN | -] [--header] [--device] [--json] [--skew S] [options]\n"
    "\n"
    "Judge a session token with the library's own session decoder and print\n"
    "its header and every payload field (ids, times, auth state, application\n"
    "data; never key bytes). The input comes from the argument or the first\n"
    "line of stdin; with --header it is a whole Cookie header (chunked\n"
    "cookies are reassembled). Exit 0 if a stateless application with these\n"
    "settings accepts it now; 1 if it is rejected (bad, wrong cookie or\n"
    "audience, unknown or revoked key, corrupt or over the inflate caps),\n"
    "expired or from the future (fields are still printed), a server-mode\n"
    "reference token, or missing from the header; 2 for usage errors, 3 for\n"
    "key-file errors. \"reseal: yes\": opened under a decrypt-only key.\n"
    "  --header    the input is a Cookie header, not one token\n"
    "  --device    open the device cookie (<cookie>.d) instead\n"
    "  --json      one JSON object on stdout\n"
    "  --skew S    clock skew tolerance for the time checks (default 30)\n"
    "  --keys FILE | --keys-env VAR, --cookie NAME, --audience A, --now T\n"
    "  (--purpose may only be \"session\": these are session cookies)\n";

static const char verify_help[] =
    "usage: crumb verify [TOKEN | -] [--header] [--device] [--quiet] [--skew S] [options]\n"
    "\n"
    "Exit 0 if the token opens and is within its lifetime now, 1 if not (the\n"
    "reason goes to stderr unless --quiet), 2 for usage errors, 3 for\n"
    "key-file errors. Prints nothing on success. Options as crumb open.\n";

/* The clock the context sees: --now, or the time the command started. */
static int64_t fixed_clock(void *ctx)
{
    return *(const int64_t *)ctx;
}

/* Judge in (a token, or a Cookie header with header = 1) with the library's
 * session decoder (crumb_inspect.h). EX_OK with the verdict in *r, or an
 * exit code (already reported) for setup errors. */
static int judge(const cli_common *c, const char *cmd, const char *in, size_t len, int header,
                 int device, int64_t skew, crumb_inspect_result *r)
{
    crumb_keyring *kr = NULL;
    int rc;
    memset(r, 0, sizeof *r);
    if (c->purpose && strcmp(c->purpose, "session") != 0)
        return cli_fail(EX_USAGE, cmd, "--purpose: %s reads session cookies (purpose "
                        "\"session\"); --device opens the device cookie", cmd);
    if ((rc = cli_load_keys(c, cmd, &kr)) != EX_OK)
        return rc;
    int64_t now = cli_now(c);
    crumb_ctx_config cfg = {0};
    cfg.cookie_name = c->cookie ? c->cookie : "session";
    cfg.audience = c->audience;
    for (int s = 1; s <= 3; s++)
        if (crumb_suite_available(s))
            cfg.accept_suites |= CRUMB_SUITE_BIT(s);
    cfg.clock = fixed_clock;
    cfg.clock_ctx = &now;
    cfg.clock_skew = skew > 0 ? skew : -1;  /* 0 means "default" to the library */
    cfg.absolute_lifetime = INT64_MAX;      /* the token's own expiry decides */
    cfg.idle_timeout = INT64_MAX;           /* ... and its own idle deadline */
    crumb_err e = header ? crumb_inspect_cookie_header(r, kr, &cfg, in, device)
                         : crumb_inspect_token(r, kr, &cfg, in, len, device);
    crumb_keyring_free(kr);
    if (e != CRUMB_OK)
        return cli_fail(e == CRUMB_E_INVALID ? EX_USAGE : EX_INTERNAL, cmd,
                        "cannot set up the session context: %s", cli_strerror(e));
    return EX_OK;
}

/* One word for the verdict. */
static const char *status_of(const crumb_inspect_result *r)
{
    if (r->kind == CRUMB_INSPECT_REFERENCE)
        return "reference";
    if (r->kind == CRUMB_INSPECT_NONE)
        return "none";
    return r->err == CRUMB_OK          ? "valid"
           : r->err == CRUMB_E_EXPIRED ? "expired"
           : r->err == CRUMB_E_FUTURE  ? "future"
                                       : "rejected";
}

/* Why, for humans (NULL when valid). */
static const char *why_of(const crumb_inspect_result *r)
{
    if (r->kind == CRUMB_INSPECT_REFERENCE)
        return "a server-mode reference token: authentic, but the session data is in "
               "the server's store (a stateless context refuses it)";
    if (r->kind == CRUMB_INSPECT_NONE)
        return "no such cookie in the input";
    return r->err == CRUMB_OK ? NULL : r->reason ? crumb_reason_str(r->reason) : NULL;
}

/* Print bytes as a JSON string if valid UTF-8, else as {"hex":"..."}. */
static void json_bytes(const uint8_t *s, size_t n)
{
    if (cli_utf8_ok(s, n)) {
        cli_json_str(stdout, (const char *)s, n);
        return;
    }
    printf("{\"hex\":\"");
    for (size_t i = 0; i < n; i++)
        printf("%02x", s[i]);
    printf("\"}");
}

/* The data entries as JSON: "data" holds the entries whose key is UTF-8,
 * "data_hex_keys" the others under their hex-encoded key (two objects, so
 * a real key can never collide with an encoded one). */
static void json_data(const crumb_payload *p)
{
    for (int pass = 0; pass < 2; pass++) {
        size_t pos = 0, klen, vlen;
        const char *key;
        const uint8_t *val;
        int first = 1;
        while (crumb_payload_data_next(p->data, p->data_len, &pos, &key, &klen, &val, &vlen)) {
            int text = cli_utf8_ok((const uint8_t *)key, klen);
            if (text != (pass == 0))
                continue;
            if (first)
                printf(pass == 0 ? ",\"data\":{" : ",\"data_hex_keys\":{");
            else
                putchar(',');
            first = 0;
            if (text) {
                cli_json_str(stdout, key, klen);
            } else {
                char hx[2 * CRUMB_DATA_KEY_MAX + 1];
                cli_hex(hx, (const uint8_t *)key, klen);
                printf("\"%s\"", hx);
            }
            putchar(':');
            json_bytes(val, vlen);
        }
        if (!first)
            putchar('}');
        else if (pass == 0)
            printf(",\"data\":{}");
    }
}

/* The auth state as JSON. */
static void json_auth(const crumb_auth *a)
{
    int st = (int)a->state; /* an enum may hold any int: range-check it */
    if (st < 0 || st >= AUTH_NAMES)
        st = 0;
    printf(",\"auth\":{\"state\":\"%s\"", auth_names[st]);
    if (st == CRUMB_AUTH_IN_PROGRESS || st == CRUMB_AUTH_AUTHENTICATED) {
        printf(",\"factors\":");
        print_factors(stdout, a->factors, 1);
    }
    if (st == CRUMB_AUTH_IN_PROGRESS) {
        printf(",\"remaining\":");
        print_factors(stdout, a->remaining, 1);
        printf(",\"attempts\":%lu", (unsigned long)a->attempts);
    }
    if (st == CRUMB_AUTH_PENDING)
        printf(",\"workflow\":%lu", (unsigned long)a->workflow);
    if (st != CRUMB_AUTH_ANONYMOUS && st != CRUMB_AUTH_IDENTIFYING)
        printf(",\"time\":%lld", (long long)a->time);
    putchar('}');
}

/* The payload v2 fields (issue 16) as JSON, if any. */
static void json_ext(const crumb_payload_ext *x)
{
    printf(",\"bound\":%s", x->has_fingerprint ? "true" : "false");
    if (x->lifetime || x->idle)
        printf(",\"lifetime\":%lld,\"idle\":%lld", (long long)x->lifetime, (long long)x->idle);
    if (x->method_len || x->done_count || x->left_count || x->last_attempt) {
        printf(",\"method\":");
        json_bytes((const uint8_t *)x->method, x->method_len);
        printf(",\"done\":[");
        for (size_t i = 0; i < x->done_count; i++)
            printf("%s%u", i ? "," : "", x->done[i]);
        printf("],\"left\":[");
        for (size_t i = 0; i < x->left_count; i++)
            printf("%s%u", i ? "," : "", x->left[i]);
        printf("],\"last_attempt\":%lld", (long long)x->last_attempt);
    }
    if (x->steps)
        printf(",\"step\":%lu,\"steps\":%lu", (unsigned long)x->step, (unsigned long)x->steps);
}

/* Print r as one JSON object. */
static void print_json(const crumb_inspect_result *r)
{
    static const char *const kinds[] = {"none", "session", "reference", "device"};
    const crumb_payload *p = &r->payload;
    const char *why = why_of(r);
    printf("{\"status\":\"%s\",\"kind\":\"%s\",\"chunks\":%u", status_of(r),
           kinds[r->kind >= 0 && r->kind < 4 ? r->kind : 0], r->chunks);
    if (r->err != CRUMB_OK) {
        printf(",\"error\":");
        cli_json_str(stdout, cli_strerror(r->err), strlen(cli_strerror(r->err)));
        if (why) {
            printf(",\"reason\":");
            cli_json_str(stdout, why, strlen(why));
        }
    }
    int authentic = r->have_payload || r->kind == CRUMB_INSPECT_REFERENCE ||
                    (r->kind == CRUMB_INSPECT_DEVICE && r->err == CRUMB_OK);
    if (authentic)
        printf(",\"header\":{\"suite\":%u,\"suite_name\":\"%s\",\"flags\":%u,\"key_id\":%lu,"
               "\"reseal\":%s}",
               r->suite, cli_suite_name(r->suite), r->flags, (unsigned long)r->key_id,
               r->reseal ? "true" : "false");
    if (r->kind == CRUMB_INSPECT_DEVICE && r->err == CRUMB_OK) {
        char hx[2 * sizeof r->device_id + 1];
        cli_hex(hx, r->device_id, sizeof r->device_id);
        printf(",\"device_id\":\"%s\"", hx);
    }
    if (r->have_payload) {
        char sid[2 * CRUMB_SID_BYTES + 1], fam[2 * CRUMB_SID_BYTES + 1];
        cli_hex(sid, p->sid, CRUMB_SID_BYTES);
        cli_hex(fam, p->family, CRUMB_SID_BYTES);
        printf(",\"payload\":{\"version\":%lu,\"issued_at\":%lld,\"expires_at\":%lld,"
               "\"idle_at\":%lld,\"session_id\":\"%s\",\"family\":\"%s\","
               "\"generation\":%lu,\"app_schema\":%lu",
               (unsigned long)p->version, (long long)p->issued_at, (long long)p->expires_at,
               (long long)p->idle_at, sid, fam, (unsigned long)p->generation,
               (unsigned long)p->app_schema);
        printf(",\"user\":");
        json_bytes((const uint8_t *)p->user, p->user_len);
        printf(",\"tenant\":");
        json_bytes((const uint8_t *)p->tenant, p->tenant_len);
        printf(",\"device\":");
        json_bytes((const uint8_t *)p->device, p->device_len);
        json_auth(&p->auth);
        json_ext(&p->ext);
        json_data(p);
        putchar('}');
    }
    printf("}\n");
}

/* The auth line for humans. */
static void print_auth(const crumb_auth *a)
{
    char t[64];
    int st = (int)a->state; /* an enum may hold any int: range-check it */
    if (st < 0 || st >= AUTH_NAMES)
        st = 0;
    printf("auth:        %s", auth_names[st]);
    if (st == CRUMB_AUTH_IN_PROGRESS || st == CRUMB_AUTH_AUTHENTICATED) {
        printf(" factors=");
        print_factors(stdout, a->factors, 0);
    }
    if (st == CRUMB_AUTH_IN_PROGRESS) {
        printf(" remaining=");
        print_factors(stdout, a->remaining, 0);
        printf(" attempts=%lu", (unsigned long)a->attempts);
    }
    if (st == CRUMB_AUTH_PENDING)
        printf(" workflow=%lu", (unsigned long)a->workflow);
    if (st != CRUMB_AUTH_ANONYMOUS && st != CRUMB_AUTH_IDENTIFYING) {
        cli_time(t, a->time);
        printf(" time=%s", t);
    }
    putchar('\n');
}

/* The payload fields for humans. */
static void print_payload(const crumb_payload *p)
{
    char sid[2 * CRUMB_SID_BYTES + 1], fam[2 * CRUMB_SID_BYTES + 1], t[64];
    cli_hex(sid, p->sid, CRUMB_SID_BYTES);
    cli_hex(fam, p->family, CRUMB_SID_BYTES);
    printf("payload:     v%lu\n", (unsigned long)p->version);
    cli_time(t, p->issued_at);
    printf("issued:      %s\n", t);
    cli_time(t, p->expires_at);
    printf("expires:     %s\n", t);
    cli_time(t, p->idle_at);
    printf("idle until:  %s\n", t);
    printf("session id:  %s\n", sid);
    printf("family:      %s\n", fam);
    printf("generation:  %lu\n", (unsigned long)p->generation);
    printf("app schema:  %lu\n", (unsigned long)p->app_schema);
    const char *labels[3] = {"user:        ", "tenant:      ", "device:      "};
    const char *ids[3] = {p->user, p->tenant, p->device};
    size_t lens[3] = {p->user_len, p->tenant_len, p->device_len};
    for (int i = 0; i < 3; i++) {
        fputs(labels[i], stdout);
        if (lens[i])
            cli_print_bytes(stdout, (const uint8_t *)ids[i], lens[i]);
        else
            fputs("(none)", stdout);
        putchar('\n');
    }
    print_auth(&p->auth);
    printf("data:        %zu entr%s\n", p->data_count, p->data_count == 1 ? "y" : "ies");
    size_t pos = 0, klen, vlen;
    const char *key;
    const uint8_t *val;
    while (crumb_payload_data_next(p->data, p->data_len, &pos, &key, &klen, &val, &vlen)) {
        fputs("  ", stdout);
        cli_print_bytes(stdout, (const uint8_t *)key, klen);
        fputs(" = ", stdout);
        cli_print_bytes(stdout, val, vlen);
        putchar('\n');
    }
}

/* Print the verdict and fields of r for humans. */
static void print_human(const crumb_inspect_result *r)
{
    const char *why = why_of(r);
    printf("status:      %s", status_of(r));
    if (r->err != CRUMB_OK)
        printf(" (%s%s%s)", cli_strerror(r->err), why ? ": " : "", why ? why : "");
    putchar('\n');
    int authentic = r->have_payload || r->kind == CRUMB_INSPECT_REFERENCE ||
                    (r->kind == CRUMB_INSPECT_DEVICE && r->err == CRUMB_OK);
    if (!authentic)
        return;
    if (r->chunks > 1)
        printf("chunks:      %u cookies\n", r->chunks);
    printf("suite:       %u (%s)\n", r->suite, cli_suite_name(r->suite));
    printf("key id:      %lu\n", (unsigned long)r->key_id);
    printf("flags:       0x%02x%s%s%s\n", r->flags, r->flags & CRUMB_FLAG_DEFLATE ? " deflate" : "",
           r->flags & CRUMB_FLAG_REFERENCE ? " reference" : "",
           r->flags & CRUMB_FLAG_PADDED ? " padded" : "");
    printf("reseal:      %s\n",
           r->reseal ? "yes (decrypt-only key: re-seal under the primary)" : "no");
    if (r->kind == CRUMB_INSPECT_DEVICE) {
        char hx[2 * sizeof r->device_id + 1];
        cli_hex(hx, r->device_id, sizeof r->device_id);
        printf("device id:   %s\n", hx);
    }
    if (r->have_payload)
        print_payload(&r->payload);
}

/* Shared driver of open and verify. */
static int open_or_verify(int argc, char **argv, int verify)
{
    const char *cmd = verify ? "verify" : "open";
    cli_common c = {0};
    const char *arg = NULL, *v;
    int64_t skew = 30;
    int quiet = 0, header = 0, device = 0, r;
    for (int i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            fputs(verify ? verify_help : open_help, stdout);
            return EX_OK;
        }
        if ((r = cli_common_opt(&c, cmd, argc, argv, &i)) != 0) {
            if (r < 0)
                return EX_USAGE;
            continue;
        }
        if ((r = cli_opt(argc, argv, &i, "--skew", &v)) != 0) {
            if (r < 0 || cli_parse_i64(v, &skew) != 0 || skew < 0)
                return cli_fail(EX_USAGE, cmd, "--skew wants seconds >= 0");
        } else if (cli_opt(argc, argv, &i, "--header", NULL))
            header = 1;
        else if (cli_opt(argc, argv, &i, "--device", NULL))
            device = 1;
        else if (verify && (cli_opt(argc, argv, &i, "--quiet", NULL) ||
                            cli_opt(argc, argv, &i, "-q", NULL)))
            quiet = 1;
        else if (argv[i][0] == '-' && argv[i][1] != '\0')
            return cli_fail(EX_USAGE, cmd, "unknown option %s (see crumb %s --help)", argv[i],
                            cmd);
        else if (!arg)
            arg = argv[i];
        else
            return cli_fail(EX_USAGE, cmd, "unexpected argument '%s'", argv[i]);
    }
    char *tok = NULL;
    size_t tok_len = 0;
    if ((r = read_token(cmd, arg, &tok, &tok_len)) != EX_OK)
        return r;
    crumb_inspect_result res;
    r = judge(&c, cmd, tok, tok_len, header, device, skew, &res);
    crumb_wipe(tok, tok_len);
    free(tok);
    if (r != EX_OK)
        return r;
    const char *why = why_of(&res);
    if (!verify) {
        if (c.json)
            print_json(&res);
        else
            print_human(&res);
    }
    if (res.err != CRUMB_OK && !(verify && quiet))
        cli_fail(EX_REJECT, cmd, "%s%s%s", cli_strerror(res.err), why ? ": " : "", why ? why : "");
    r = res.err == CRUMB_OK ? EX_OK : EX_REJECT;
    crumb_inspect_clear(&res);
    if (!verify && fflush(stdout) != 0)
        return cli_fail(EX_IO, cmd, "cannot write stdout");
    return r;
}

/* see cli.h */
int cmd_open(int argc, char **argv)
{
    return open_or_verify(argc, argv, 0);
}

/* see cli.h */
int cmd_verify(int argc, char **argv)
{
    return open_or_verify(argc, argv, 1);
}

/* ==== inspect ========================================================== */

static const char inspect_help[] =
    "usage: crumb inspect [TOKEN | -] [--json]\n"
    "\n"
    "Print what a token shows without a key: format version, suite, flags,\n"
    "key id and sizes. Nothing here is authenticated: use crumb open to\n"
    "verify. Exit 1 if the token is not a well-formed v1 token.\n";

/* see cli.h */
int cmd_inspect(int argc, char **argv)
{
    const char *arg = NULL;
    int json = 0;
    for (int i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            fputs(inspect_help, stdout);
            return EX_OK;
        }
        if (cli_opt(argc, argv, &i, "--json", NULL))
            json = 1;
        else if (argv[i][0] == '-' && argv[i][1] != '\0')
            return cli_fail(EX_USAGE, "inspect", "unknown option %s (see crumb inspect --help)",
                            argv[i]);
        else if (!arg)
            arg = argv[i];
        else
            return cli_fail(EX_USAGE, "inspect", "unexpected argument '%s'", argv[i]);
    }
    char *tok = NULL;
    size_t tok_len = 0;
    int r = read_token("inspect", arg, &tok, &tok_len);
    if (r != EX_OK)
        return r;
    crumb_token_header h;
    crumb_err e = crumb_token_inspect(tok, tok_len, &h);
    free(tok);
    if (e != CRUMB_OK)
        return cli_fail(EX_REJECT, "inspect", "not a well-formed v1 token: %s",
                        cli_strerror(e));
    if (json) {
        printf("{\"version\":%u,\"suite\":%u,\"suite_name\":\"%s\",\"flags\":%u,\"key_id\":%lu,"
               "\"nonce_len\":%zu,\"body_len\":%zu,\"tag_len\":%zu,\"total_len\":%zu,"
               "\"chars\":%zu}\n",
               h.version, h.suite, cli_suite_name(h.suite), h.flags, (unsigned long)h.key_id,
               h.nonce_len, h.body_len, h.tag_len, h.total_len, tok_len);
    } else {
        printf("version:     %u\n", h.version);
        printf("suite:       %u (%s)\n", h.suite, cli_suite_name(h.suite));
        printf("flags:       0x%02x%s%s%s\n", h.flags, h.flags & CRUMB_FLAG_DEFLATE ? " deflate" : "",
               h.flags & CRUMB_FLAG_REFERENCE ? " reference" : "",
               h.flags & CRUMB_FLAG_PADDED ? " padded" : "");
        printf("key id:      %lu\n", (unsigned long)h.key_id);
        printf("sizes:       nonce %zu, body %zu, tag %zu, total %zu bytes (%zu chars)\n",
               h.nonce_len, h.body_len, h.tag_len, h.total_len, tok_len);
        printf("note:        unauthenticated; %s\n",
               h.suite == CRUMB_SUITE_HMACSHA256 ? "suite 3 bodies are readable plaintext"
                                                 : "the body is encrypted");
    }
    return fflush(stdout) == 0 ? EX_OK : cli_fail(EX_IO, "inspect", "cannot write stdout");
}
