/*
 * cookie.c - Cookie header parsing (RFC 6265 5.4, tolerant, allocation-free);
 * Set-Cookie lines with the __Host-/__Secure- and SameSite=None rules (the
 * public builder, and the session layer's from attributes formatted once per
 * context); the IMF-fixdate formatter for Expires. No snprintf.
 */
#include "internal.h"

#include <string.h>
#include <strings.h>

/* 1 for SP or HTAB. */
static int is_ws(char c)
{
    return c == ' ' || c == '\t';
}

/* Split one pair hdr[start..end) (not empty, trimmed) into out. */
static void split_pair(const char *hdr, size_t start, size_t end, crumb_cookie_pair *out)
{
    const char *eq = memchr(hdr + start, '=', end - start);
    out->name = hdr + start;
    if (!eq) {
        out->name_len = 0;
        out->value = hdr + start;
        out->value_len = end - start;
        return;
    }
    size_t ne = (size_t)(eq - hdr), vs = ne + 1;
    while (ne > start && is_ws(hdr[ne - 1]))
        ne--;
    while (vs < end && is_ws(hdr[vs]))
        vs++;
    out->name_len = ne - start;
    out->value = hdr + vs;
    out->value_len = end - vs;
}

/* see internal.h */
int crumb__cookie_pair(const char *hdr, size_t start, size_t end, crumb_cookie_pair *out)
{
    while (start < end && is_ws(hdr[start]))
        start++;
    while (end > start && is_ws(hdr[end - 1]))
        end--;
    if (start == end)
        return 0; /* empty pair */
    split_pair(hdr, start, end, out);
    return 1;
}

/* see crumb.h */
int crumb_cookie_next(const char *hdr, size_t len, size_t *pos, crumb_cookie_pair *out)
{
    size_t i = *pos;
    while (hdr && i < len) {
        size_t start = i;
        const char *semi = memchr(hdr + i, ';', len - i);
        size_t end = semi ? (size_t)(semi - hdr) : len;
        i = semi ? end + 1 : len; /* skip ';' */
        if (crumb__cookie_pair(hdr, start, end, out)) {
            *pos = i;
            return 1;
        }
    }
    *pos = len;
    return 0;
}

/* see crumb.h */
crumb_err crumb_cookie_find(const char *hdr, size_t len, const char *name, const char **value,
                            size_t *value_len)
{
    size_t pos = 0, nl = strlen(name);
    crumb_cookie_pair cp;
    while (crumb_cookie_next(hdr, len, &pos, &cp)) {
        if (cp.name_len == nl && memcmp(cp.name, name, nl) == 0) {
            *value = cp.value;
            *value_len = cp.value_len;
            return CRUMB_OK;
        }
    }
    return CRUMB_E_NOTFOUND;
}

/* see internal.h */
int crumb__is_token(const char *s, size_t n)
{
    static const char sep[] = "()<>@,;:\\\"/[]?={} \t";
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= 0x20 || c >= 0x7f || strchr(sep, c))
            return 0;
    }
    return 1;
}

/* 1 if s (NUL-terminated) is a safe attribute value: printable ASCII, no ';'. */
static int is_attr_value(const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x20 || c >= 0x7f || c == ';')
            return 0;
    }
    return 1;
}

/* 1 if v[0..n) is all RFC 6265 cookie-octets. */
static int is_cookie_value(const char *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)v[i];
        if (c < 0x21 || c > 0x7e || c == '"' || c == ',' || c == ';' || c == '\\')
            return 0;
    }
    return 1;
}

/* see crumb.h */
crumb_err crumb_cookie_check(const crumb_cookie_attrs *a)
{
    if (!a || !a->name)
        return CRUMB_E_INVALID;
    size_t nl = strlen(a->name);
    if (nl > CRUMB_NAME_MAX - 3 || !crumb__is_token(a->name, nl))
        return CRUMB_E_INVALID;
    if ((a->path && (!is_attr_value(a->path) || a->path[0] != '/')) ||
        (a->domain && (!is_attr_value(a->domain) || !a->domain[0])))
        return CRUMB_E_INVALID;
    if (a->same_site < CRUMB_SAMESITE_LAX || a->same_site > CRUMB_SAMESITE_OMIT)
        return CRUMB_E_INVALID;
    if (a->same_site == CRUMB_SAMESITE_NONE && !a->secure)
        return CRUMB_E_INVALID;
    if (strncasecmp(a->name, "__Secure-", 9) == 0 && !a->secure)
        return CRUMB_E_INVALID;
    if (strncasecmp(a->name, "__Host-", 7) == 0 &&
        (!a->secure || a->domain || (a->path && strcmp(a->path, "/") != 0)))
        return CRUMB_E_INVALID;
    return CRUMB_OK;
}

/* Append s (n bytes) at *w if it fits below end; always advance *need. */
static void emit(char **w, char *end, size_t *need, const char *s, size_t n)
{
    if (*w && (size_t)(end - *w) >= n) {
        memcpy(*w, s, n);
        *w += n;
    } else {
        *w = NULL;
    }
    *need += n;
}

/* emit() for a NUL-terminated string. */
static void emits(char **w, char *end, size_t *need, const char *s)
{
    emit(w, end, need, s, strlen(s));
}

/* Two decimal digits of v (0..99) at out, from a table. */
static void put2(char *out, uint64_t v)
{
    static const char tab[] = "00010203040506070809101112131415161718192021222324"
                              "25262728293031323334353637383940414243444546474849"
                              "50515253545556575859606162636465666768697071727374"
                              "75767778798081828384858687888990919293949596979899";
    memcpy(out, tab + 2 * v, 2);
}

/* Decimal digits of u. */
static size_t dec_len(uint64_t u)
{
    size_t n = 1;
    for (; u >= 100; u /= 100)
        n += 2;
    return n + (u >= 10);
}

/* Decimal of v at out (up to 20 characters, no NUL); returns the length. */
static size_t put_i64(char *out, int64_t v)
{
    size_t len = 0;
    uint64_t u = v < 0 ? 0u - (uint64_t)v : (uint64_t)v;
    if (v < 0)
        out[len++] = '-';
    len += dec_len(u);
    char *w = out + len;
    for (; u >= 100; u /= 100)
        put2(w -= 2, u % 100);
    if (u >= 10)
        put2(w - 2, u);
    else
        w[-1] = (char)('0' + u);
    return len;
}

/* Shared builder for Set-Cookie and deletion lines. */
static crumb_err build(char *out, size_t cap, size_t *out_len, const crumb_cookie_attrs *a,
                       const char *suffix, const char *value, size_t value_len, int64_t max_age,
                       int64_t expires, int with_time)
{
    char num[32], date[CRUMB_IMF_FIXDATE_LEN + 1];
    size_t num_len;
    crumb_err rc = crumb_cookie_check(a);
    if (rc)
        return rc;
    if (!is_cookie_value(value, value_len) ||
        (suffix && (strlen(suffix) > 3 || !crumb__is_token(suffix, strlen(suffix)))))
        return CRUMB_E_INVALID;
    if (with_time && crumb__imf_fixdate(date, expires) != CRUMB_OK)
        return CRUMB_E_INVALID;

    char *w = out, *end = out + cap;
    size_t need = 0;
    emits(&w, end, &need, a->name);
    if (suffix)
        emits(&w, end, &need, suffix);
    emit(&w, end, &need, "=", 1);
    emit(&w, end, &need, value, value_len);
    emits(&w, end, &need, "; Path=");
    emits(&w, end, &need, a->path ? a->path : "/");
    if (a->domain) {
        emits(&w, end, &need, "; Domain=");
        emits(&w, end, &need, a->domain);
    }
    if (with_time) {
        num_len = put_i64(num, max_age);
        emits(&w, end, &need, "; Max-Age=");
        emit(&w, end, &need, num, num_len);
        emits(&w, end, &need, "; Expires=");
        emits(&w, end, &need, date);
    }
    if (a->secure)
        emits(&w, end, &need, "; Secure");
    if (a->http_only)
        emits(&w, end, &need, "; HttpOnly");
    static const char *const ss[] = {"; SameSite=Lax", "; SameSite=Strict", "; SameSite=None",
                                     ""};
    emits(&w, end, &need, ss[a->same_site]);
    if (!w || w == end) {
        *out_len = need + 1;
        return CRUMB_E_BUFSIZE;
    }
    *w = '\0';
    *out_len = need;
    return CRUMB_OK;
}

/* see crumb.h */
crumb_err crumb_set_cookie(char *out, size_t cap, size_t *out_len, const crumb_cookie_attrs *a,
                           const char *suffix, const char *value, size_t value_len,
                           int64_t max_age, int64_t now)
{
    /* saturating: a negative now (32-bit time_t past 2038) must not
     * overflow; a saturated Expires is refused by crumb__imf_fixdate */
    return build(out, cap, out_len, a, suffix, value, value_len, max_age,
                 crumb__sat_add(now, max_age), max_age >= 0);
}

/* see crumb.h */
crumb_err crumb_delete_cookie(char *out, size_t cap, size_t *out_len, const crumb_cookie_attrs *a,
                              const char *suffix)
{
    return build(out, cap, out_len, a, suffix, "", 0, 0, 0, 1);
}

/* see internal.h */
int crumb__imf_in_range(int64_t t)
{
    return t >= -62167219200LL && t <= 253402300799LL; /* 0000-01-01 .. 9999-12-31 */
}

/* see internal.h */
crumb_err crumb__imf_fixdate(char out[30], int64_t t)
{
    static const char wd[] = "ThuFriSatSunMonTueWed";
    static const char mon[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    /* the thread's last date: saves of one second share their Expires */
    static _Thread_local struct {
        int64_t t;
        char s[30];
    } last;
    if (last.s[0] && last.t == t) {
        memcpy(out, last.s, 30);
        return CRUMB_OK;
    }
    if (!crumb__imf_in_range(t))
        return CRUMB_E_INVALID;
    int64_t days = t / 86400, secs = t % 86400;
    if (secs < 0) {
        secs += 86400;
        days--;
    }
    /* civil-from-days (Howard Hinnant's algorithm, public domain idea) */
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t d = doy - (153 * mp + 2) / 5 + 1;
    int64_t m = mp < 10 ? mp + 3 : mp - 9;
    if (m <= 2)
        y++;
    int64_t w = days % 7;
    if (w < 0)
        w += 7;
    memcpy(out, "Www, DD Mmm YYYY hh:mm:ss GMT", 30);
    memcpy(out, wd + 3 * w, 3);
    put2(out + 5, (uint64_t)d);
    memcpy(out + 8, mon + 3 * (m - 1), 3);
    put2(out + 12, (uint64_t)(y / 100));
    put2(out + 14, (uint64_t)(y % 100));
    put2(out + 17, (uint64_t)(secs / 3600));
    put2(out + 20, (uint64_t)(secs / 60 % 60));
    put2(out + 23, (uint64_t)(secs % 60));
    memcpy(last.s, out, 30);
    last.t = t;
    return CRUMB_OK;
}

/* ==== The session layer's lines: attributes formatted once ============== */

/* Append n bytes of s at *w. */
static void put(char **w, const char *s, size_t n)
{
    memcpy(*w, s, n);
    *w += n;
}

/* see internal.h */
crumb_err crumb__cookie_fmt_init(crumb__cookie_fmt *f, const crumb_cookie_attrs *a)
{
    static const char *const ss[] = {"; SameSite=Lax", "; SameSite=Strict", "; SameSite=None",
                                     ""};
    crumb_err rc = crumb_cookie_check(a);
    if (rc != CRUMB_OK)
        return rc;
    const char *path = a->path ? a->path : "/";
    size_t pl = strlen(path), dl = a->domain ? strlen(a->domain) : 0;
    f->name = a->name;
    f->name_len = strlen(a->name);
    f->pre_len = 7 + pl + (a->domain ? 9 + dl : 0);
    if (!(f->pre = crumb__malloc(f->pre_len)))
        return CRUMB_E_NOMEM;
    char *w = f->pre;
    put(&w, "; Path=", 7);
    put(&w, path, pl);
    if (a->domain) {
        put(&w, "; Domain=", 9);
        put(&w, a->domain, dl);
    }
    w = f->post;
    if (a->secure)
        put(&w, "; Secure", 8);
    if (a->http_only)
        put(&w, "; HttpOnly", 10);
    put(&w, ss[a->same_site], strlen(ss[a->same_site]));
    f->post_len = (size_t)(w - f->post);
    return CRUMB_OK;
}

/* see internal.h */
void crumb__cookie_fmt_free(crumb__cookie_fmt *f)
{
    crumb__free(f->pre);
    f->pre = NULL;
}

/* see internal.h */
size_t crumb__cookie_line_len(const crumb__cookie_fmt *f, size_t sfx_len, size_t vlen,
                              int64_t max_age)
{
    size_t n = f->name_len + sfx_len + 1 + vlen + f->pre_len + f->post_len;
    if (max_age >= 0) /* "; Max-Age=N; Expires=<IMF-fixdate>" */
        n += 10 + dec_len((uint64_t)max_age) + 10 + CRUMB_IMF_FIXDATE_LEN;
    return n;
}

/* see internal.h */
crumb_err crumb__cookie_line(char *out, size_t cap, size_t *out_len, const crumb__cookie_fmt *f,
                             const char *sfx, size_t sfx_len, const char *value, size_t vlen,
                             int64_t max_age, int64_t expires)
{
    size_t n = crumb__cookie_line_len(f, sfx_len, vlen, max_age);
    if (n >= cap)
        return CRUMB_E_BUFSIZE;
    char *w = out;
    put(&w, f->name, f->name_len);
    put(&w, sfx, sfx_len);
    *w++ = '=';
    put(&w, value, vlen);
    put(&w, f->pre, f->pre_len);
    if (max_age >= 0) {
        put(&w, "; Max-Age=", 10);
        w += put_i64(w, max_age);
        put(&w, "; Expires=", 10);
        if (crumb__imf_fixdate(w, expires) != CRUMB_OK)
            return CRUMB_E_INVALID;
        w += CRUMB_IMF_FIXDATE_LEN;
    }
    put(&w, f->post, f->post_len);
    *w = '\0';
    *out_len = n;
    return CRUMB_OK;
}
