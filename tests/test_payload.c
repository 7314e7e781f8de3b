/*
 * test_payload.c - session payload v1: seeded round-trip property test,
 * every truncation rejected, newer version rejected with CRUMB_E_VERSION,
 * strictness (trailing bytes, unsorted/duplicate keys, bad auth state),
 * and random-input decoding that must never crash.
 */
#include "check.h"
#include "session.h"

/* Build a random, canonical payload; data goes into buf (cap bytes). */
static void random_payload(crumb_payload *p, uint8_t *buf, size_t cap)
{
    memset(p, 0, sizeof *p);
    p->version = CRUMB_PAYLOAD_VERSION;
    p->issued_at = (int64_t)(check_rand() % 4000000000u) - 1000000000;
    p->expires_at = p->issued_at + (int64_t)(check_rand() % 1000000);
    p->idle_at = p->issued_at + (int64_t)(check_rand() % (uint64_t)(p->expires_at - p->issued_at + 1));
    check_fill(p->sid, sizeof p->sid);
    check_fill(p->family, sizeof p->family);
    p->generation = (uint32_t)check_rand();
    p->app_schema = (uint32_t)check_rand();
    char *ids[3] = {p->user, p->tenant, p->device};
    size_t *lens[3] = {&p->user_len, &p->tenant_len, &p->device_len};
    for (int i = 0; i < 3; i++) {
        size_t n = check_rand() % 3 == 0 ? 0 : (size_t)(check_rand() % (CRUMB_ID_MAX + 1));
        check_fill(ids[i], n);
        ids[i][n] = '\0';
        *lens[i] = n;
    }
    p->auth.state = (int)(check_rand() % 4);
    if (p->auth.state == CRUMB_AUTH_IN_PROGRESS) {
        p->auth.factors = (uint32_t)check_rand();
        p->auth.remaining = (uint32_t)check_rand();
        p->auth.attempts = (uint32_t)check_rand();
    }
    if (p->auth.state == CRUMB_AUTH_AUTHENTICATED)
        p->auth.factors = (uint32_t)check_rand();
    if (p->auth.state == CRUMB_AUTH_PENDING)
        p->auth.workflow = (uint32_t)check_rand();
    if (p->auth.state != CRUMB_AUTH_ANONYMOUS)
        p->auth.time = (int64_t)check_rand();
    /* entries with strictly increasing keys: "NNN" + random tail */
    size_t n = (size_t)(check_rand() % 20), off = 0;
    for (size_t i = 0; i < n; i++) {
        size_t tail = (size_t)(check_rand() % 40), vlen = (size_t)(check_rand() % 300);
        if (off + 1 + 3 + tail + 2 + vlen > cap)
            break;
        buf[off++] = (uint8_t)(3 + tail);
        buf[off++] = (uint8_t)('0' + i / 100);
        buf[off++] = (uint8_t)('0' + i / 10 % 10);
        buf[off++] = (uint8_t)('0' + i % 10);
        for (size_t j = 0; j < tail; j++)
            buf[off++] = (uint8_t)(1 + check_rand() % 255); /* no NUL in keys */
        buf[off++] = (uint8_t)(vlen >> 8);
        buf[off++] = (uint8_t)vlen;
        check_fill(buf + off, vlen);
        off += vlen;
        p->data_count++;
    }
    p->data = buf;
    p->data_len = off;
}

/* Compare two payloads field by field. */
static void check_same(const crumb_payload *a, const crumb_payload *b)
{
    CHECK_INT(a->version, b->version);
    CHECK_INT(a->issued_at, b->issued_at);
    CHECK_INT(a->expires_at, b->expires_at);
    CHECK_INT(a->idle_at, b->idle_at);
    CHECK_MEM(a->sid, b->sid, CRUMB_SID_BYTES);
    CHECK_MEM(a->family, b->family, CRUMB_SID_BYTES);
    CHECK_INT(a->generation, b->generation);
    CHECK_INT(a->app_schema, b->app_schema);
    CHECK_INT(a->user_len, b->user_len);
    CHECK_MEM(a->user, b->user, a->user_len + 1);
    CHECK_INT(a->tenant_len, b->tenant_len);
    CHECK_MEM(a->tenant, b->tenant, a->tenant_len + 1);
    CHECK_INT(a->device_len, b->device_len);
    CHECK_MEM(a->device, b->device, a->device_len + 1);
    CHECK_INT(a->auth.state, b->auth.state);
    CHECK_INT(a->auth.factors, b->auth.factors);
    CHECK_INT(a->auth.remaining, b->auth.remaining);
    CHECK_INT(a->auth.attempts, b->auth.attempts);
    CHECK_INT(a->auth.workflow, b->auth.workflow);
    CHECK_INT(a->auth.time, b->auth.time);
    CHECK_INT(a->data_count, b->data_count);
    CHECK_INT(a->data_len, b->data_len);
    if (a->data_len == b->data_len && a->data_len)
        CHECK_MEM(a->data, b->data, a->data_len);
}

static uint8_t data[8192], enc[CRUMB_PAYLOAD_MAX], enc2[CRUMB_PAYLOAD_MAX];

/* Property: decode(encode(p)) == p and re-encoding is byte-identical. */
static void test_round_trip(void)
{
    for (int i = 0; i < 500; i++) {
        crumb_payload p, q;
        size_t n = 0, n2 = 0;
        random_payload(&p, data, sizeof data);
        memset(p.reserved, 0xa5, sizeof p.reserved); /* never encoded */
        memset(q.reserved, 0xa5, sizeof q.reserved);
        CHECK_OK(crumb_payload_encode(&p, enc, sizeof enc, &n));
        CHECK_OK(crumb_payload_decode(&q, enc, n));
        check_same(&p, &q);
        for (size_t r = 0; r < sizeof q.reserved / sizeof q.reserved[0]; r++)
            CHECK_INT((long long)q.reserved[r], 0); /* decode zeroes the tail */
        CHECK_OK(crumb_payload_encode(&q, enc2, sizeof enc2, &n2));
        CHECK_INT(n, n2);
        CHECK_MEM(enc, enc2, n);
        /* iteration sees every entry */
        size_t pos = 0, cnt = 0, kl, vl;
        const char *k;
        const uint8_t *v;
        while (crumb_payload_data_next(q.data, q.data_len, &pos, &k, &kl, &v, &vl))
            cnt++;
        CHECK_INT(cnt, p.data_count);
        if (check_failures)
            return;
    }
}

/* Every proper prefix of an encoding is rejected; so is one trailing byte. */
static void test_truncations(void)
{
    for (int i = 0; i < 20; i++) {
        crumb_payload p, q;
        size_t n = 0;
        random_payload(&p, data, sizeof data);
        CHECK_OK(crumb_payload_encode(&p, enc, sizeof enc, &n));
        for (size_t t = 0; t < n; t++) {
            crumb_err rc = crumb_payload_decode(&q, enc, t);
            if (rc != CRUMB_E_PAYLOAD) {
                CHECK_INT(rc, CRUMB_E_PAYLOAD);
                fprintf(stderr, "    truncated to %zu of %zu bytes\n", t, n);
                return;
            }
        }
        enc[n] = 0;
        CHECK_INT(crumb_payload_decode(&q, enc, n + 1), CRUMB_E_PAYLOAD);
    }
}

/* Version byte: newer than CRUMB_PAYLOAD_VERSION_MAX -> CRUMB_E_VERSION,
 * 0 -> CRUMB_E_PAYLOAD; a v1 body relabelled 2 lacks the v2 extension. */
static void test_versions(void)
{
    crumb_payload p, q;
    size_t n = 0;
    random_payload(&p, data, sizeof data);
    CHECK_OK(crumb_payload_encode(&p, enc, sizeof enc, &n));
    CHECK_INT(enc[0], 1);
    enc[0] = 2;
    CHECK_INT(crumb_payload_decode(&q, enc, n), CRUMB_E_PAYLOAD);
    enc[0] = CRUMB_PAYLOAD_VERSION_MAX + 1;
    CHECK_INT(crumb_payload_decode(&q, enc, n), CRUMB_E_VERSION);
    enc[0] = 0xff;
    CHECK_INT(crumb_payload_decode(&q, enc, n), CRUMB_E_VERSION);
    CHECK_INT(crumb_payload_decode(&q, enc, 1), CRUMB_E_VERSION); /* before any length check */
    enc[0] = 0;
    CHECK_INT(crumb_payload_decode(&q, enc, n), CRUMB_E_PAYLOAD);
    CHECK_INT(crumb_payload_decode(&q, enc, 0), CRUMB_E_PAYLOAD);
}

/* Hand-built canonical and non-canonical encodings. */
static void test_strict(void)
{
    crumb_payload p, q;
    size_t n = 0;
    memset(&p, 0, sizeof p);
    p.expires_at = 100;
    p.idle_at = 50;
    CHECK_OK(crumb_payload_encode(&p, enc, sizeof enc, &n));
    CHECK_INT(n, 1 + 24 + 32 + 8 + 3 + 1 + 2); /* documented minimum: 71 bytes */
    CHECK_OK(crumb_payload_decode(&q, enc, n));

    /* bad auth state */
    enc[n - 3] = 4;
    CHECK_INT(crumb_payload_decode(&q, enc, n), CRUMB_E_PAYLOAD);
    p.auth.state = 4;
    CHECK_INT(crumb_payload_encode(&p, enc, sizeof enc, &n), CRUMB_E_INVALID);
    p.auth.state = 0;

    /* idle after expiry, issued after expiry */
    p.idle_at = 101;
    CHECK_OK(crumb_payload_encode(&p, enc, sizeof enc, &n));
    CHECK_INT(crumb_payload_decode(&q, enc, n), CRUMB_E_PAYLOAD);
    p.idle_at = 50;
    p.issued_at = 101;
    CHECK_OK(crumb_payload_encode(&p, enc, sizeof enc, &n));
    CHECK_INT(crumb_payload_decode(&q, enc, n), CRUMB_E_PAYLOAD);
    p.issued_at = 0;

    /* data: duplicate keys, unsorted keys, empty key, count mismatch */
    static const uint8_t dup[] = {1, 'a', 0, 0, 1, 'a', 0, 0};
    static const uint8_t unsorted[] = {1, 'b', 0, 0, 1, 'a', 0, 0};
    static const uint8_t prefix_ok[] = {1, 'a', 0, 0, 2, 'a', 'a', 0, 1, 'x'};
    static const uint8_t empty_key[] = {0, 0, 0};
    static const uint8_t nul_key[] = {1, 0, 0, 0};
    p.data = dup, p.data_len = sizeof dup, p.data_count = 2;
    CHECK_INT(crumb_payload_encode(&p, enc, sizeof enc, &n), CRUMB_E_INVALID);
    p.data = unsorted, p.data_len = sizeof unsorted;
    CHECK_INT(crumb_payload_encode(&p, enc, sizeof enc, &n), CRUMB_E_INVALID);
    p.data = empty_key, p.data_len = sizeof empty_key, p.data_count = 1;
    CHECK_INT(crumb_payload_encode(&p, enc, sizeof enc, &n), CRUMB_E_INVALID);
    p.data = nul_key, p.data_len = sizeof nul_key, p.data_count = 1;
    CHECK_INT(crumb_payload_encode(&p, enc, sizeof enc, &n), CRUMB_E_INVALID);
    p.data = prefix_ok, p.data_len = sizeof prefix_ok, p.data_count = 2;
    CHECK_OK(crumb_payload_encode(&p, enc, sizeof enc, &n));
    CHECK_OK(crumb_payload_decode(&q, enc, n));
    CHECK_INT(q.data_count, 2);
    /* count says 3 */
    enc[n - sizeof prefix_ok - 1] = 3;
    CHECK_INT(crumb_payload_decode(&q, enc, n), CRUMB_E_PAYLOAD);
    /* swap the decoded entries into duplicates by hand */
    enc[n - sizeof prefix_ok - 1] = 2;
    memcpy(enc + n - sizeof prefix_ok, dup, sizeof dup);
    CHECK_INT(crumb_payload_decode(&q, enc, n - 2), CRUMB_E_PAYLOAD);

    /* BUFSIZE reports the size needed */
    p.data = NULL, p.data_len = 0, p.data_count = 0;
    size_t need = 0;
    CHECK_INT(crumb_payload_encode(&p, enc, 10, &need), CRUMB_E_BUFSIZE);
    CHECK_INT(need, 71);
}

/* Random and mutated inputs: decoding returns a code, never crashes. */
static void test_garbage(void)
{
    crumb_payload p, q;
    size_t n = 0;
    for (int i = 0; i < 3000; i++) {
        size_t len = (size_t)(check_rand() % 400);
        check_fill(enc, len);
        if (len)
            enc[0] = 1;
        crumb_err rc = crumb_payload_decode(&q, enc, len);
        CHECK(rc == CRUMB_OK || rc == CRUMB_E_PAYLOAD);
    }
    for (int i = 0; i < 300; i++) {
        random_payload(&p, data, sizeof data);
        CHECK_OK(crumb_payload_encode(&p, enc, sizeof enc, &n));
        enc[1 + check_rand() % (n - 1)] ^= (uint8_t)(1u << (check_rand() % 8));
        crumb_err rc = crumb_payload_decode(&q, enc, n);
        CHECK(rc == CRUMB_OK || rc == CRUMB_E_PAYLOAD);
    }
}

int main(void)
{
    check_seed();
    test_round_trip();
    test_truncations();
    test_versions();
    test_strict();
    test_garbage();
    return check_done("test_payload");
}
