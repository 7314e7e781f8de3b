/*
 * test_cookie.c - request Cookie header parsing (the derived http-state
 * cases from tests/vectors/cookies/ plus hand-written edge cases) and
 * Set-Cookie building: exact lines, IMF-fixdate (known values and a
 * property test against gmtime_r), prefix and SameSite=None rules; the
 * session layer's line builder (crumb__cookie_line, attributes formatted
 * once) against the public one, and every IMF-fixdate field against
 * gmtime_r/strftime over the whole range (negative times, the year 0000
 * and 9999 limits, leap days; seeded: CRUMB_SEED).
 */
#include "check.h"
#include "json.h"
#include "session.h"

#include <stdio.h>
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
        CHECK_OK(crumb__imf_fixdate(out, known[i].t));
        if (strcmp(out, known[i].s) != 0) {
            CHECK(!"IMF-fixdate");
            fprintf(stderr, "    %lld: got %s want %s\n", (long long)known[i].t, out, known[i].s);
        }
    }
    CHECK_INT(crumb__imf_fixdate(out, 253402300800LL), CRUMB_E_INVALID);
    CHECK_INT(crumb__imf_fixdate(out, -62167219201LL), CRUMB_E_INVALID);
    /* property: agrees with gmtime_r + strftime */
    for (int i = 0; i < 20000; i++) {
        time_t t = (time_t)(check_rand() % 253402300800ULL);
        struct tm tm;
        char want[64];
        gmtime_r(&t, &tm);
        strftime(want, sizeof want, "%a, %d %b %Y %H:%M:%S GMT", &tm);
        CHECK_OK(crumb__imf_fixdate(out, (int64_t)t));
        if (strcmp(out, want) != 0) {
            CHECK(!"IMF-fixdate vs gmtime");
            fprintf(stderr, "    %lld: got %s want %s\n", (long long)t, out, want);
            break;
        }
    }
}

/* Compare every field of crumb__imf_fixdate(t) with gmtime_r: weekday and
 * month names through strftime, day, year and time numerically (strftime's
 * %Y does not pad years below 1000). 1 if they agree. */
static int imf_fields_ok(int64_t t)
{
    char out[30], name[16];
    struct tm tm;
    time_t tt = (time_t)t;
    if (crumb__imf_fixdate(out, t) != CRUMB_OK || !gmtime_r(&tt, &tm))
        return 0;
    int day, year, hh, mm, ss;
    char wd[4], mon[4];
    if (strlen(out) != CRUMB_IMF_FIXDATE_LEN ||
        sscanf(out, "%3s, %2d %3s %4d %2d:%2d:%2d GMT", wd, &day, mon, &year, &hh, &mm, &ss) != 7)
        return 0;
    if (out[3] != ',' || (wd[3] = 0, strftime(name, sizeof name, "%a,", &tm) == 0))
        return 0;
    if (strncmp(out, name, 4) != 0)
        return 0;
    strftime(name, sizeof name, "%b", &tm);
    return strcmp(mon, name) == 0 && day == tm.tm_mday && year == tm.tm_year + 1900 &&
           hh == tm.tm_hour && mm == tm.tm_min && ss == tm.tm_sec && out[5] != ' ' &&
           out[12] != ' ';
}

/* The formatter by hand against the C library: every field, for a seeded
 * range of times across the whole domain (negative too), the limits of
 * years 0000 and 9999, and the leap days around the century rules. */
static void test_imf_fields(void)
{
    static const int64_t edges[] = {
        -62167219200LL, -62167219199LL, /* 0000-01-01 00:00:00, :01 */
        -62162121600LL,                  /* 0000-02-29 (year 0 is a leap year) */
        -62162035201LL, -62162035200LL,  /* 0000-02-29 23:59:59, 0000-03-01 */
        -59006361600LL,                  /* 0100-03-01 (0100 is not a leap year) */
        -2208988800LL,                   /* 1900-01-01 */
        -2203977600LL, -2203891200LL,    /* 1900-02-28, 1900-03-01 (not a leap year) */
        -86401, -86400, -1, 0, 1, 86399, 86400,
        951782400LL, 951868799LL,       /* 2000-02-29 00:00:00 and 23:59:59 */
        4107456000LL, 4107542400LL,      /* 2100-02-28, 2100-03-01 */
        13574563200LL,                   /* 2400-02-29 */
        253281168000LL,                  /* 9996-02-29 */
        253402214400LL, 253402300798LL, 253402300799LL, /* 9999-12-31 */
    };
    if (sizeof(time_t) < 8)
        return; /* gmtime_r cannot be the reference */
    for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++) {
        if (!imf_fields_ok(edges[i])) {
            CHECK(!"IMF-fixdate field (edge)");
            fprintf(stderr, "    t = %lld\n", (long long)edges[i]);
        }
    }
    const uint64_t span = 253402300799ULL + 62167219200ULL + 1;
    for (int i = 0; i < 50000; i++) {
        int64_t t = (int64_t)(check_rand() % span) - 62167219200LL;
        if (i & 1) /* half of them near the epoch, where day counts turn sign */
            t = (int64_t)(check_rand() % (2 * 4000000000ULL)) - 4000000000LL;
        if (!imf_fields_ok(t)) {
            CHECK(!"IMF-fixdate field");
            fprintf(stderr, "    t = %lld\n", (long long)t);
            break;
        }
    }
    char out[30];
    CHECK_INT(crumb__imf_fixdate(out, INT64_MIN), CRUMB_E_INVALID);
    CHECK_INT(crumb__imf_fixdate(out, INT64_MAX), CRUMB_E_INVALID);
}

/* The session layer's line builder writes the public builder's bytes, for
 * random attributes, suffixes, values, Max-Age values (every digit count)
 * and times; and deletion lines. */
static void test_session_lines(void)
{
    static const char *const names[] = {"sid", "__Host-s", "__Secure-x", "a"};
    static const char *const paths[] = {NULL, "/", "/app/x"};
    static const char *const domains[] = {NULL, "example.com"};
    static const char *const sfx[] = {"", ".1", ".15", ".d"};
    for (int i = 0; i < 4000; i++) {
        crumb_cookie_attrs a = {.name = names[check_rand() % 4],
                                .path = paths[check_rand() % 3],
                                .domain = domains[check_rand() % 2],
                                .secure = (int)(check_rand() % 2),
                                .http_only = (int)(check_rand() % 2),
                                .same_site = (int)(check_rand() % 4)};
        crumb__cookie_fmt f;
        crumb_err want_rc = crumb_cookie_check(&a);
        CHECK_INT(crumb__cookie_fmt_init(&f, &a), want_rc);
        if (want_rc != CRUMB_OK)
            continue;
        char val[300], a1[1024], a2[1024];
        size_t vl = check_rand() % 300, n1 = 0, n2 = 0;
        for (size_t k = 0; k < vl; k++)
            val[k] = "ABCxyz0189-_"[check_rand() % 12];
        const char *sf = sfx[check_rand() % 4];
        int64_t max_age = (int64_t)(check_rand() % 3) - 1; /* -1, 0, 1 */
        if (check_rand() % 2)
            max_age = (int64_t)(check_rand() >> (check_rand() % 64)) % 100000000000LL;
        int64_t now = (int64_t)(check_rand() % 300000000000ULL) - 60000000000LL;
        crumb_err r1 = crumb_set_cookie(a1, sizeof a1, &n1, &a, sf[0] ? sf : NULL, val, vl,
                                        max_age, now);
        crumb_err r2 = crumb__cookie_line(a2, sizeof a2, &n2, &f, sf, strlen(sf), val, vl,
                                          max_age, crumb__sat_add(now, max_age));
        CHECK_INT(r2, r1);
        if (r1 == CRUMB_OK && (n1 != n2 || strcmp(a1, a2) != 0 ||
                               n2 != crumb__cookie_line_len(&f, strlen(sf), vl, max_age))) {
            CHECK(!"session line == crumb_set_cookie");
            fprintf(stderr, "    got  %s\n    want %s\n", a2, a1);
        }
        CHECK_OK(crumb_delete_cookie(a1, sizeof a1, &n1, &a, sf[0] ? sf : NULL));
        CHECK_OK(crumb__cookie_line(a2, sizeof a2, &n2, &f, sf, strlen(sf), "", 0, 0, 0));
        CHECK(n1 == n2 && strcmp(a1, a2) == 0);
        /* too small a buffer is refused, never overrun */
        CHECK_INT(crumb__cookie_line(a2, n2, &n1, &f, sf, strlen(sf), "", 0, 0, 0),
                  CRUMB_E_BUFSIZE);
        crumb__cookie_fmt_free(&f);
    }
}

/* Max-Age digits by hand: every power of ten and its neighbours. */
static void test_max_age_digits(void)
{
    crumb_cookie_attrs a = {.name = "n"};
    char out[256], want[40];
    size_t n;
    for (int64_t p = 1; p > 0 && p <= INT64_MAX / 10; p *= 10) {
        for (int64_t v = p - 1; v <= p + 1; v++) {
            CHECK_OK(crumb_set_cookie(out, sizeof out, &n, &a, NULL, "v", 1, v, 0) == CRUMB_OK ||
                             v > 253402300799LL
                         ? CRUMB_OK
                         : CRUMB_E_INVALID);
            if (v > 253402300799LL)
                continue; /* Expires out of range: refused (checked above) */
            snprintf(want, sizeof want, "; Max-Age=%lld;", (long long)v);
            CHECK(strstr(out, want) != NULL);
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
    CHECK_OK(crumb_session_load(&s, ctx, NULL));
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
    test_imf_fields();
    test_set_cookie();
    test_session_lines();
    test_max_age_digits();
    test_rules();
    return check_done("test_cookie");
}
