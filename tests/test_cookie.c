/*
 * test_cookie.c - request Cookie header parsing (the derived http-state
 * cases from tests/vectors/cookies/ plus hand-written edge cases) and
 * Set-Cookie building: exact lines, IMF-fixdate (known values and a
 * property test against gmtime_r), prefix and SameSite=None rules.
 */
#include "check.h"
#include "json.h"
#include "session.h"

#include <time.h>

/* Run every derived case: our pairs must equal expectedPairs exactly. */
static void test_derived_cases(void)
{
    json *doc = json_parse_file("tests/vectors/cookies/derived_cookie_header_cases.json");
    CHECK(doc != NULL);
    if (!doc)
        return;
    const json *tests = json_get(doc, "tests");
    size_t ntests = json_len(tests), ran = 0;
    CHECK_INT(ntests, json_int(json_get(doc, "numberOfTests"), -1));
    for (size_t i = 0; i < ntests; i++) {
        const json *t = json_at(tests, i);
        const json *hdr = json_get(t, "cookieHeader"), *exp = json_get(t, "expectedPairs");
        long long id = json_int(json_get(t, "tcId"), -1);
        size_t pos = 0, k = 0;
        crumb_cookie_pair cp;
        while (crumb_cookie_next(json_str(hdr), json_str_len(hdr), &pos, &cp)) {
            const json *pair = json_at(exp, k++);
            const json *en = json_at(pair, 0), *ev = json_at(pair, 1);
            if (!pair || cp.name_len != json_str_len(en) || cp.value_len != json_str_len(ev) ||
                memcmp(cp.name, json_str(en), cp.name_len) != 0 ||
                memcmp(cp.value, json_str(ev), cp.value_len) != 0) {
                CHECK(!"pair mismatch");
                fprintf(stderr, "    tcId %lld pair %zu: got [%.*s]=[%.*s]\n", id, k - 1,
                        (int)cp.name_len, cp.name, (int)cp.value_len, cp.value);
                break;
            }
        }
        CHECK_INT(k, json_len(exp));
        /* the first value of the first name is what find returns */
        const json *first = json_at(json_at(exp, 0), 0);
        const char *v = NULL;
        size_t vl = 0;
        if (first && json_str_len(first) && !memchr(json_str(first), '\0', json_str_len(first))) {
            CHECK_OK(crumb_cookie_find(json_str(hdr), json_str_len(hdr), json_str(first), &v, &vl));
            CHECK_INT(vl, json_str_len(json_at(json_at(exp, 0), 1)));
        }
        ran++;
    }
    printf("derived cookie header cases: %zu\n", ran);
    CHECK_INT(ran, 135);
    json_free(doc);
}

/* Parse hdr and compare with the flattened expectation "n=v|n=v". */
static void expect_pairs(const char *hdr, size_t len, const char *want)
{
    char got[512] = "";
    size_t pos = 0, off = 0;
    crumb_cookie_pair cp;
    while (crumb_cookie_next(hdr, len, &pos, &cp) && off < 400)
        off += (size_t)snprintf(got + off, sizeof got - off, "%s%.*s=%.*s", off ? "|" : "",
                                (int)cp.name_len, cp.name, (int)cp.value_len, cp.value);
    if (strcmp(got, want) != 0) {
        CHECK(!"pairs differ");
        fprintf(stderr, "    header [%.*s]\n    got  [%s]\n    want [%s]\n", (int)len, hdr, got,
                want);
    }
}

static void test_edge_cases(void)
{
    expect_pairs("", 0, "");
    expect_pairs(NULL, 0, "");
    expect_pairs(";;; ;\t;", 7, "");
    expect_pairs(" \ta = b \t;c=d", 13, "a=b|c=d");
    expect_pairs("a=b;;c=d;", 9, "a=b|c=d");
    expect_pairs("lonely; a=1", 11, "=lonely|a=1");
    expect_pairs("a==b=", 5, "a==b=");
    expect_pairs("=v", 2, "=v");
    expect_pairs("a=\"q; b\"", 8, "a=\"q|=b\"");
    expect_pairs("a=\x80\xff\x01; b=2", 10, "a=\x80\xff\x01|b=2");
    expect_pairs("a=1\0; b=2", 9, "a=1|b=2"); /* NUL is an ordinary byte */
    const char *v = NULL;
    size_t vl = 0;
    CHECK_OK(crumb_cookie_find("x=1; sid=A; sid=B", 17, "sid", &v, &vl));
    CHECK_INT(vl, 1);
    CHECK(v && v[0] == 'A');
    CHECK_INT(crumb_cookie_find("sidx=1; xsid=2", 14, "sid", &v, &vl), CRUMB_E_NOTFOUND);
    /* random bytes never crash and never read out of bounds */
    char buf[300];
    for (int i = 0; i < 5000; i++) {
        size_t n = (size_t)(check_rand() % sizeof buf), pos = 0, total = 0;
        for (size_t j = 0; j < n; j++)
            buf[j] = "a=; \t\"\x80"[check_rand() % 7];
        char *h = malloc(n ? n : 1);
        memcpy(h, buf, n);
        crumb_cookie_pair cp;
        while (crumb_cookie_next(h, n, &pos, &cp)) {
            CHECK(cp.name >= h && cp.name + cp.name_len <= h + n);
            CHECK(cp.value >= h && cp.value + cp.value_len <= h + n);
            CHECK(++total <= n);
        }
        free(h);
    }
}

static void test_imf_fixdate(void)
{
    static const struct {
        int64_t t;
        const char *s;
    } known[] = {
        {784111777, "Sun, 06 Nov 1994 08:49:37 GMT"}, /* RFC 9110 example */
        {0, "Thu, 01 Jan 1970 00:00:00 GMT"},
        {-1, "Wed, 31 Dec 1969 23:59:59 GMT"},
        {951782400, "Tue, 29 Feb 2000 00:00:00 GMT"},
        {4107542400LL, "Mon, 01 Mar 2100 00:00:00 GMT"},
        {253402300799LL, "Fri, 31 Dec 9999 23:59:59 GMT"},
        {-62167219200LL, "Sat, 01 Jan 0000 00:00:00 GMT"},
    };
    char out[30];
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        CHECK_OK(crumb_imf_fixdate(out, known[i].t));
        if (strcmp(out, known[i].s) != 0) {
            CHECK(!"IMF-fixdate");
            fprintf(stderr, "    %lld: got %s want %s\n", (long long)known[i].t, out, known[i].s);
        }
    }
    CHECK_INT(crumb_imf_fixdate(out, 253402300800LL), CRUMB_E_INVALID);
    CHECK_INT(crumb_imf_fixdate(out, -62167219201LL), CRUMB_E_INVALID);
    /* property: agrees with gmtime_r + strftime */
    for (int i = 0; i < 20000; i++) {
        time_t t = (time_t)(check_rand() % 253402300800ULL);
        struct tm tm;
        char want[64];
        gmtime_r(&t, &tm);
        strftime(want, sizeof want, "%a, %d %b %Y %H:%M:%S GMT", &tm);
        CHECK_OK(crumb_imf_fixdate(out, (int64_t)t));
        if (strcmp(out, want) != 0) {
            CHECK(!"IMF-fixdate vs gmtime");
            fprintf(stderr, "    %lld: got %s want %s\n", (long long)t, out, want);
            break;
        }
    }
}

/* Build a line and compare it exactly. */
static void expect_line(const crumb_cookie_attrs *a, const char *suffix, const char *val,
                        int64_t max_age, int64_t now, const char *want)
{
    char out[512];
    size_t n = 0;
    CHECK_OK(crumb_set_cookie(out, sizeof out, &n, a, suffix, val, strlen(val), max_age, now));
    CHECK_INT(n, strlen(want));
    if (strcmp(out, want) != 0) {
        CHECK(!"Set-Cookie line");
        fprintf(stderr, "    got  %s\n    want %s\n", out, want);
    }
}

static void test_set_cookie(void)
{
    crumb_cookie_attrs a = {"__Host-sid", NULL, NULL, 1, 1, CRUMB_SAMESITE_LAX};
    expect_line(&a, NULL, "tok", 3600, 784111777,
                "__Host-sid=tok; Path=/; Max-Age=3600; Expires=Sun, 06 Nov 1994 09:49:37 GMT; "
                "Secure; HttpOnly; SameSite=Lax");
    expect_line(&a, ".2", "tok", -1, 784111777,
                "__Host-sid.2=tok; Path=/; Secure; HttpOnly; SameSite=Lax");
    crumb_cookie_attrs b = {"sid", "/app", "example.com", 0, 0, CRUMB_SAMESITE_STRICT};
    expect_line(&b, NULL, "v", 0, 0,
                "sid=v; Path=/app; Domain=example.com; Max-Age=0; "
                "Expires=Thu, 01 Jan 1970 00:00:00 GMT; SameSite=Strict");
    crumb_cookie_attrs c = {"__Secure-x", "/", "example.com", 1, 0, CRUMB_SAMESITE_NONE};
    expect_line(&c, NULL, "v", -1, 0, "__Secure-x=v; Path=/; Domain=example.com; Secure; SameSite=None");
    c.same_site = CRUMB_SAMESITE_OMIT;
    expect_line(&c, NULL, "v", -1, 0, "__Secure-x=v; Path=/; Domain=example.com; Secure");

    char out[512];
    size_t n = 0;
    CHECK_OK(crumb_delete_cookie(out, sizeof out, &n, &a, ".1"));
    CHECK(strcmp(out, "__Host-sid.1=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; "
                      "Secure; HttpOnly; SameSite=Lax") == 0);

    /* too small: BUFSIZE and the size needed (with the NUL) */
    CHECK_INT(crumb_set_cookie(out, 10, &n, &b, NULL, "v", 1, -1, 0), CRUMB_E_BUFSIZE);
    CHECK_INT(n, strlen("sid=v; Path=/app; Domain=example.com; SameSite=Strict") + 1);
    CHECK_OK(crumb_set_cookie(out, n, &n, &b, NULL, "v", 1, -1, 0));

    /* values must be cookie-octets */
    CHECK_INT(crumb_set_cookie(out, sizeof out, &n, &b, NULL, "a;b", 3, -1, 0), CRUMB_E_INVALID);
    CHECK_INT(crumb_set_cookie(out, sizeof out, &n, &b, NULL, "a b", 3, -1, 0), CRUMB_E_INVALID);
    CHECK_INT(crumb_set_cookie(out, sizeof out, &n, &b, NULL, "\"", 1, -1, 0), CRUMB_E_INVALID);
}

/* Prefix rules and SameSite=None, in crumb_cookie_check and crumb_ctx_new. */
static void test_rules(void)
{
    crumb_cookie_attrs a = {"__Host-sid", NULL, NULL, 1, 1, CRUMB_SAMESITE_LAX};
    CHECK_OK(crumb_cookie_check(&a));
    a.secure = 0;
    CHECK_INT(crumb_cookie_check(&a), CRUMB_E_INVALID);
    a.secure = 1, a.domain = "example.com";
    CHECK_INT(crumb_cookie_check(&a), CRUMB_E_INVALID);
    a.domain = NULL, a.path = "/app";
    CHECK_INT(crumb_cookie_check(&a), CRUMB_E_INVALID);
    a.path = "/";
    CHECK_OK(crumb_cookie_check(&a));
    a.name = "__HOST-sid", a.secure = 0; /* prefixes match case-insensitively */
    CHECK_INT(crumb_cookie_check(&a), CRUMB_E_INVALID);
    a.name = "__secure-sid";
    CHECK_INT(crumb_cookie_check(&a), CRUMB_E_INVALID);
    a.secure = 1, a.domain = "example.com", a.path = "/x";
    CHECK_OK(crumb_cookie_check(&a));
    a.name = "plain", a.secure = 0, a.same_site = CRUMB_SAMESITE_NONE;
    CHECK_INT(crumb_cookie_check(&a), CRUMB_E_INVALID);
    a.same_site = 9;
    CHECK_INT(crumb_cookie_check(&a), CRUMB_E_INVALID);
    a.same_site = CRUMB_SAMESITE_LAX;
    CHECK_OK(crumb_cookie_check(&a));
    const char *bad_names[] = {"", "a b", "a;b", "a=b", "a,b", "\xc3\xa9", "a\"", "a\t"};
    for (size_t i = 0; i < sizeof bad_names / sizeof bad_names[0]; i++) {
        a.name = bad_names[i];
        CHECK_INT(crumb_cookie_check(&a), CRUMB_E_INVALID);
    }
    a.name = "ok", a.path = "/a;b";
    CHECK_INT(crumb_cookie_check(&a), CRUMB_E_INVALID);
    a.path = "relative";
    CHECK_INT(crumb_cookie_check(&a), CRUMB_E_INVALID);
    a.path = "/", a.domain = "ex\nample";
    CHECK_INT(crumb_cookie_check(&a), CRUMB_E_INVALID);

    /* the context refuses a configuration that breaks them */
    crumb_keyring *kr = NULL;
    uint8_t key[32] = {1};
    CHECK_OK(crumb_keyring_new(&kr));
    CHECK_OK(crumb_keyring_add(kr, 1, CRUMB_KEY_PRIMARY, key));
    crumb_ctx *ctx = NULL;
    crumb_ctx_config cfg = {.cookie_name = "__Host-sid", .insecure = 1};
    CHECK_INT(crumb_ctx_new(&ctx, kr, &cfg), CRUMB_E_INVALID);
    cfg.insecure = 0, cfg.domain = "example.com";
    CHECK_INT(crumb_ctx_new(&ctx, kr, &cfg), CRUMB_E_INVALID);
    cfg.domain = NULL, cfg.path = "/app";
    CHECK_INT(crumb_ctx_new(&ctx, kr, &cfg), CRUMB_E_INVALID);
    cfg.cookie_name = "__Secure-sid", cfg.insecure = 1;
    CHECK_INT(crumb_ctx_new(&ctx, kr, &cfg), CRUMB_E_INVALID);
    CHECK(ctx == NULL);
    /* SameSite=None forces Secure even when insecure is asked for */
    cfg.cookie_name = "sid", cfg.same_site = CRUMB_SAMESITE_NONE;
    CHECK_OK(crumb_ctx_new(&ctx, kr, &cfg));
    crumb_session *s = NULL;
    const char *const *lines;
    size_t n = 0;
    CHECK_OK(crumb_session_load(ctx, NULL, &s));
    CHECK_OK(crumb_session_set(s, "k", "v", 1));
    CHECK_OK(crumb_session_save(s, &lines, &n));
    CHECK_INT(n, 1);
    CHECK(n == 1 && strstr(lines[0], "; Secure") && strstr(lines[0], "; SameSite=None") &&
          strstr(lines[0], "; Path=/app;") && strstr(lines[0], "; HttpOnly"));
    crumb_session_free(s);
    crumb_ctx_free(ctx);
    crumb_keyring_free(kr);
}

int main(void)
{
    check_seed();
    test_derived_cases();
    test_edge_cases();
    test_imf_fixdate();
    test_set_cookie();
    test_rules();
    return check_done("test_cookie");
}
