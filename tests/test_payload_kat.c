/*
 * test_payload_kat.c - payload known-answer vectors (v1 and v2,
 * tests/vectors/crumb_payload_kat.json): each payload below, built from
 * fixed fields, must encode to exactly the file's bytes and decode back to
 * the same fields; tests/kat_decode.py decodes the same file from
 * docs/FORMAT.md alone. `test_payload_kat --print` writes the file.
 */
#include "check.h"
#include "crumb.h"
#include "json.h"

#define PKAT_FILE "tests/vectors/crumb_payload_kat.json"

/* The fixed fields every vector starts from (a v1 anonymous payload). */
static void base(crumb_payload *p)
{
    memset(p, 0, sizeof *p);
    p->version = 1;
    p->issued_at = 1800000000;
    p->expires_at = 1800086400;
    p->idle_at = 1800001800;
    for (int i = 0; i < 16; i++) {
        p->sid[i] = (uint8_t)i;
        p->family[i] = (uint8_t)(0xf0 | i);
    }
    p->generation = 1;
    p->app_schema = 3;
}

static void set_id(char *dst, size_t *len, const char *s)
{
    *len = strlen(s);
    memcpy(dst, s, *len + 1);
}

/* Vector k's payload; its name in *name. 0 when k is past the last. */
static int build(int k, crumb_payload *p, const char **name)
{
    static const uint8_t data[] = {1, 'k', 0, 1, 'v'};
    base(p);
    switch (k) {
    case 0:
        *name = "v1-anonymous";
        return 1;
    case 1:
        *name = "v2-identifying";
        set_id(p->user, &p->user_len, "alice");
        set_id(p->tenant, &p->tenant_len, "acme");
        p->auth.state = CRUMB_AUTH_IDENTIFYING;
        return 1;
    case 2:
        *name = "v2-authenticated-bound-remembered";
        set_id(p->user, &p->user_len, "alice");
        p->auth.state = CRUMB_AUTH_AUTHENTICATED;
        p->auth.factors = CRUMB_FACTOR_PASSWORD | CRUMB_FACTOR_TOTP;
        p->auth.time = 1800000000;
        p->ext.has_fingerprint = 1;
        for (int i = 0; i < 32; i++)
            p->ext.fingerprint[i] = (uint8_t)(0xa0 + i);
        p->ext.lifetime = 604800;
        p->ext.idle = -1;
        memcpy(p->ext.method, "password+totp", 14);
        p->ext.method_len = 13;
        p->ext.done[0] = 0, p->ext.done[1] = 1, p->ext.done_count = 2;
        p->ext.last_attempt = 1799999990;
        p->data = data, p->data_len = sizeof data, p->data_count = 1;
        return 1;
    case 3:
        *name = "v2-in-progress";
        set_id(p->user, &p->user_len, "bob");
        p->auth.state = CRUMB_AUTH_IN_PROGRESS;
        p->auth.factors = CRUMB_FACTOR_WEBAUTHN;
        p->auth.remaining = CRUMB_FACTOR_PASSWORD | CRUMB_FACTOR_SMS;
        p->auth.attempts = 2;
        p->auth.time = 1799999000;
        p->ext.done[0] = 2, p->ext.done_count = 1;
        p->ext.left[0] = 4, p->ext.left[1] = 0, p->ext.left_count = 2;
        p->ext.last_attempt = 1799999500;
        return 1;
    case 4:
        *name = "v2-workflow";
        set_id(p->user, &p->user_len, "carol");
        p->auth.state = CRUMB_AUTH_PENDING;
        p->auth.workflow = CRUMB_WORKFLOW_SIGNUP;
        p->auth.time = 1800000000;
        p->ext.step = 1, p->ext.steps = 3;
        return 1;
    default:
        return 0;
    }
}

static void print_file(void)
{
    crumb_payload p;
    const char *name;
    uint8_t out[1024];
    size_t n = 0;
    printf("{\n  \"format\": \"crumb session payload v1/v2\",\n"
           "  \"spec\": \"docs/FORMAT.md, section 7 (Layout; Payload v2)\",\n"
           "  \"tests\": [\n");
    for (int k = 0; build(k, &p, &name); k++) {
        if (crumb_payload_encode(&p, out, sizeof out, &n) != CRUMB_OK)
            abort();
        printf("%s    {\"name\": \"%s\", \"payload\": \"", k ? ",\n" : "", name);
        for (size_t i = 0; i < n; i++)
            printf("%02x", out[i]);
        printf("\"}");
    }
    printf("\n  ]\n}\n");
}

/* The v2 decoder rules of docs/FORMAT.md, one malformed input each. */
static void strict_v2(void)
{
    crumb_payload p, q;
    const char *name;
    uint8_t b[1024], m[1024];
    size_t n = 0;
    build(2, &p, &name); /* ext block at 86: count, then type 1 at 87 */
    CHECK_OK(crumb_payload_encode(&p, b, sizeof b, &n));
    CHECK_INT(b[86], 3);
    CHECK_INT(b[87], 1);
    CHECK_INT(b[122], 2);
    memcpy(m, b, n), m[87] = 5; /* unknown type */
    CHECK_INT(crumb_payload_decode(&q, m, n), CRUMB_E_PAYLOAD);
    memcpy(m, b, n), m[122] = 1; /* types not ascending */
    CHECK_INT(crumb_payload_decode(&q, m, n), CRUMB_E_PAYLOAD);
    memcpy(m, b, n), m[89] = 31; /* wrong fingerprint length */
    CHECK_INT(crumb_payload_decode(&q, m, n), CRUMB_E_PAYLOAD);
    memcpy(m, b, n), m[0] = 1; /* a v1 reader of these bytes */
    CHECK_INT(crumb_payload_decode(&q, m, n), CRUMB_E_PAYLOAD);
    memcpy(m, b, n), m[0] = 3;
    CHECK_INT(crumb_payload_decode(&q, m, n), CRUMB_E_VERSION);
    /* lifetime 0/0 is "absent": present on the wire it is non-canonical */
    memcpy(m, b, n);
    memset(m + 125, 0, 16);
    CHECK_INT(crumb_payload_decode(&q, m, n), CRUMB_E_PAYLOAD);
    /* v1 anonymous relabelled v2 with an empty block: non-canonical */
    build(0, &p, &name);
    CHECK_OK(crumb_payload_encode(&p, b, sizeof b, &n));
    memcpy(m, b, n - 2);
    m[0] = 2, m[n - 2] = 0, m[n - 1] = 0, m[n] = 0;
    CHECK_INT(crumb_payload_decode(&q, m, n + 1), CRUMB_E_PAYLOAD);
    /* IDENTIFYING in a v1 payload (state 4 without the block) */
    build(1, &p, &name);
    CHECK_OK(crumb_payload_encode(&p, b, sizeof b, &n));
    memcpy(m, b, n);
    m[0] = 1;
    memmove(m + n - 3, m + n - 2, 2); /* drop the count byte */
    CHECK_INT(crumb_payload_decode(&q, m, n - 1), CRUMB_E_PAYLOAD);
    /* the encoder refuses what the decoder would */
    build(3, &p, &name);
    p.auth.remaining = CRUMB_FACTOR_PASSWORD; /* lists say password and SMS */
    CHECK_INT(crumb_payload_encode(&p, b, sizeof b, &n), CRUMB_E_INVALID);
    build(1, &p, &name);
    p.user_len = 0;
    CHECK_INT(crumb_payload_encode(&p, b, sizeof b, &n), CRUMB_E_INVALID);
    build(4, &p, &name);
    p.ext.step = 3;
    CHECK_INT(crumb_payload_encode(&p, b, sizeof b, &n), CRUMB_E_INVALID);
    build(0, &p, &name);
    p.ext.method_len = 1; /* progress on an anonymous session */
    CHECK_INT(crumb_payload_encode(&p, b, sizeof b, &n), CRUMB_E_INVALID);
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "--print")) {
        print_file();
        return 0;
    }
    json *root = json_parse_file(PKAT_FILE);
    CHECK(root != NULL);
    const json *tests = json_get(root, "tests");
    crumb_payload p, q;
    const char *name;
    uint8_t out[1024];
    int k = 0;
    for (; build(k, &p, &name); k++) {
        const json *v = json_at(tests, (size_t)k);
        size_t n = 0, want_len = 0;
        uint8_t *want = json_hex(json_get(v, "payload"), &want_len);
        CHECK(json_str_eq(v, "name", name));
        CHECK_OK(crumb_payload_encode(&p, out, sizeof out, &n));
        CHECK_INT(n, want_len);
        if (want && n == want_len)
            CHECK_MEM(out, want, n);
        CHECK_INT(out[0], k == 0 ? 1 : 2); /* v2 only when a v2 field is set */
        CHECK_OK(crumb_payload_decode(&q, out, n));
        CHECK(memcmp(&q.ext, &p.ext, sizeof p.ext) == 0);
        CHECK_INT(q.auth.state, p.auth.state);
        /* every truncation is refused; every one-bit change is refused or
         * decodes to a payload that re-encodes to exactly those bytes */
        for (size_t cut = 0; cut < n; cut++)
            CHECK(crumb_payload_decode(&q, out, cut) != CRUMB_OK);
        for (size_t i = 0; i < n * 8; i++) {
            uint8_t mod[1024], re[1024];
            size_t rn = 0;
            memcpy(mod, out, n);
            mod[i / 8] ^= (uint8_t)(1u << (i % 8));
            if (crumb_payload_decode(&q, mod, n) != CRUMB_OK)
                continue;
            CHECK_OK(crumb_payload_encode(&q, re, sizeof re, &rn));
            CHECK_INT(rn, n);
            CHECK_MEM(re, mod, n);
        }
        free(want);
    }
    CHECK_INT(json_len(tests), (size_t)k);
    strict_v2();
    json_free(root);
    return check_done("test_payload_kat");
}
