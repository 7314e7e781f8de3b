/*
 * cmd_token.c - `crumb open`, `crumb verify` and `crumb inspect`: open and
 * print a token (header and every payload field) with the library's session
 * decoder, check it for scripts, or read its public header without a key.
 * (`crumb seal` is in cmd_seal.c.)
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

#define TOKEN_INPUT_MAX (256u * 1024u)

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
    int st = cli_auth_state_clamp((int)a->state); /* an enum may hold any int */
    printf(",\"auth\":{\"state\":\"%s\"", cli_auth_state_name(st));
    if (st == CRUMB_AUTH_IN_PROGRESS || st == CRUMB_AUTH_AUTHENTICATED) {
        printf(",\"factors\":");
        cli_factors_print(stdout, a->factors, 1);
    }
    if (st == CRUMB_AUTH_IN_PROGRESS) {
        printf(",\"remaining\":");
        cli_factors_print(stdout, a->remaining, 1);
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
    int st = cli_auth_state_clamp((int)a->state); /* an enum may hold any int */
    printf("auth:        %s", cli_auth_state_name(st));
    if (st == CRUMB_AUTH_IN_PROGRESS || st == CRUMB_AUTH_AUTHENTICATED) {
        printf(" factors=");
        cli_factors_print(stdout, a->factors, 0);
    }
    if (st == CRUMB_AUTH_IN_PROGRESS) {
        printf(" remaining=");
        cli_factors_print(stdout, a->remaining, 0);
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
