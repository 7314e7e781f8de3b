/*
 * json_in.c - the strict JSON reader behind `crumb seal` with JSON on
 * stdin (see json_in.h): recursive descent with a depth limit, UTF-8
 * checked strings, \u escapes with surrogate pairs, no duplicate keys.
 */
#include "json_in.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct jp {
    const char *s;
    size_t n, i;
    char *err;
    size_t errcap;
    int failed;
} jp;

/* Record the first error at the current offset; returns -1. */
static int fail(jp *p, const char *msg)
{
    if (!p->failed && p->errcap)
        snprintf(p->err, p->errcap, "JSON: %s at byte %zu", msg, p->i);
    p->failed = 1;
    return -1;
}

/* Skip JSON whitespace. */
static void skip_ws(jp *p)
{
    while (p->i < p->n && (p->s[p->i] == ' ' || p->s[p->i] == '\t' || p->s[p->i] == '\n' ||
                           p->s[p->i] == '\r'))
        p->i++;
}

/* Append a code point as UTF-8 to buf (room guaranteed by the caller). */
static size_t put_utf8(char *buf, uint32_t cp)
{
    if (cp < 0x80) {
        buf[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        buf[0] = (char)(0xc0 | (cp >> 6));
        buf[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        buf[0] = (char)(0xe0 | (cp >> 12));
        buf[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        buf[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    buf[0] = (char)(0xf0 | (cp >> 18));
    buf[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    buf[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    buf[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

/* Read 4 hex digits at p->i; the value or -1. */
static long hex4(jp *p)
{
    long v = 0;
    if (p->n - p->i < 4)
        return -1;
    for (int k = 0; k < 4; k++) {
        char c = p->s[p->i + (size_t)k];
        int d = c >= '0' && c <= '9' ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    p->i += 4;
    return v;
}

/* Length of a valid UTF-8 sequence starting at s (n bytes left), or 0. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    uint32_t cp, min;
    size_t k;
    if ((s[0] & 0xe0) == 0xc0)
        k = 1, cp = s[0] & 0x1fu, min = 0x80;
    else if ((s[0] & 0xf0) == 0xe0)
        k = 2, cp = s[0] & 0x0fu, min = 0x800;
    else if ((s[0] & 0xf8) == 0xf0)
        k = 3, cp = s[0] & 0x07u, min = 0x10000;
    else
        return 0;
    if (n <= k)
        return 0;
    for (size_t j = 1; j <= k; j++) {
        if ((s[j] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (s[j] & 0x3fu);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return k + 1;
}

/* Decode a \u escape (p->i after the 'u'), joining a surrogate pair, into
 * *cp; 0 or -1 (reported). */
static int parse_u_escape(jp *p, uint32_t *cp)
{
    long hi = hex4(p);
    if (hi < 0)
        return fail(p, "bad \\u escape");
    if (hi >= 0xd800 && hi <= 0xdbff) {
        if (p->n - p->i < 6 || p->s[p->i] != '\\' || p->s[p->i + 1] != 'u')
            return fail(p, "lone surrogate");
        p->i += 2;
        long lo = hex4(p);
        if (lo < 0xdc00 || lo > 0xdfff)
            return fail(p, "lone surrogate");
        *cp = 0x10000u + (((uint32_t)hi - 0xd800u) << 10) + ((uint32_t)lo - 0xdc00u);
    } else if (hi >= 0xdc00 && hi <= 0xdfff) {
        return fail(p, "lone surrogate");
    } else {
        *cp = (uint32_t)hi;
    }
    return 0;
}

/* Decode the escape after a backslash (p->i past it) into buf at *o,
 * advancing both; 0 or -1 (reported). */
static int parse_escape(jp *p, char *buf, size_t *o)
{
    uint32_t cp = 0; /* set by parse_u_escape on success */
    char e = p->s[p->i++];
    switch (e) {
    case '"': buf[(*o)++] = '"'; break;
    case '\\': buf[(*o)++] = '\\'; break;
    case '/': buf[(*o)++] = '/'; break;
    case 'b': buf[(*o)++] = '\b'; break;
    case 'f': buf[(*o)++] = '\f'; break;
    case 'n': buf[(*o)++] = '\n'; break;
    case 'r': buf[(*o)++] = '\r'; break;
    case 't': buf[(*o)++] = '\t'; break;
    case 'u':
        if (parse_u_escape(p, &cp) != 0)
            return -1;
        *o += put_utf8(buf + *o, cp);
        break;
    default:
        return fail(p, "bad escape");
    }
    return 0;
}

/* Parse a string literal (p->i at the quote) into a malloc'd buffer. */
static int parse_string(jp *p, char **out, size_t *len)
{
    p->i++; /* opening quote */
    size_t start = p->i;
    /* decoded output is never longer than the source text */
    size_t end = start;
    while (end < p->n && p->s[end] != '"')
        end += p->s[end] == '\\' ? 2 : 1;
    if (end >= p->n)
        return fail(p, "unterminated string");
    char *buf = malloc(end - start + 1);
    size_t o = 0;
    if (!buf)
        return fail(p, "out of memory");
    *out = buf;
    while (p->s[p->i] != '"') {
        unsigned char c = (unsigned char)p->s[p->i];
        if (c < 0x20)
            return fail(p, "control character in string");
        if (c >= 0x80) {
            size_t k = utf8_seq((const unsigned char *)p->s + p->i, p->n - p->i);
            if (k == 0)
                return fail(p, "invalid UTF-8 in string");
            memcpy(buf + o, p->s + p->i, k);
            o += k;
            p->i += k;
            continue;
        }
        if (c != '\\') {
            buf[o++] = (char)c;
            p->i++;
            continue;
        }
        p->i++;
        if (parse_escape(p, buf, &o) != 0)
            return -1;
        if (p->i > end)
            return fail(p, "bad escape");
    }
    p->i++; /* closing quote */
    buf[o] = '\0';
    *len = o;
    return 0;
}

/* Parse a number (strict grammar); keeps its text. */
static int parse_number(jp *p, jin *j)
{
    size_t start = p->i;
    const char *s = p->s;
    if (p->i < p->n && s[p->i] == '-')
        p->i++;
    if (p->i < p->n && s[p->i] == '0')
        p->i++;
    else if (p->i < p->n && s[p->i] >= '1' && s[p->i] <= '9')
        while (p->i < p->n && s[p->i] >= '0' && s[p->i] <= '9')
            p->i++;
    else
        return fail(p, "bad number");
    if (p->i < p->n && s[p->i] == '.') {
        p->i++;
        if (p->i >= p->n || s[p->i] < '0' || s[p->i] > '9')
            return fail(p, "bad number");
        while (p->i < p->n && s[p->i] >= '0' && s[p->i] <= '9')
            p->i++;
    }
    if (p->i < p->n && (s[p->i] == 'e' || s[p->i] == 'E')) {
        p->i++;
        if (p->i < p->n && (s[p->i] == '+' || s[p->i] == '-'))
            p->i++;
        if (p->i >= p->n || s[p->i] < '0' || s[p->i] > '9')
            return fail(p, "bad number");
        while (p->i < p->n && s[p->i] >= '0' && s[p->i] <= '9')
            p->i++;
    }
    j->type = JIN_NUM;
    j->len = p->i - start;
    j->str = malloc(j->len + 1);
    if (!j->str)
        return fail(p, "out of memory");
    memcpy(j->str, s + start, j->len);
    j->str[j->len] = '\0';
    return 0;
}

/* Match a literal word at p->i. */
static int word(jp *p, const char *w)
{
    size_t n = strlen(w);
    if (p->n - p->i < n || memcmp(p->s + p->i, w, n) != 0)
        return 0;
    p->i += n;
    return 1;
}

/* Append a zeroed child to j; the child or NULL. */
static jin *add_kid(jp *p, jin *j, size_t *cap)
{
    if (j->count == *cap) {
        size_t nc = *cap ? *cap * 2 : 8;
        jin *k = realloc(j->kids, nc * sizeof *k);
        if (!k) {
            fail(p, "out of memory");
            return NULL;
        }
        j->kids = k;
        *cap = nc;
    }
    jin *k = &j->kids[j->count++];
    memset(k, 0, sizeof *k);
    return k;
}

static int parse_value(jp *p, jin *j, int depth);

/* Parse an object member's name and the ':' after it into kid k of j (the
 * latest), refusing a name j already has; 0 or -1 (reported). */
static int parse_member_name(jp *p, const jin *j, jin *k)
{
    if (p->i >= p->n || p->s[p->i] != '"')
        return fail(p, "expected a member name");
    if (parse_string(p, &k->key, &k->key_len) != 0)
        return -1;
    for (size_t m = 0; m + 1 < j->count; m++)
        if (j->kids[m].key_len == k->key_len && memcmp(j->kids[m].key, k->key, k->key_len) == 0)
            return fail(p, "duplicate member name");
    skip_ws(p);
    if (p->i >= p->n || p->s[p->i] != ':')
        return fail(p, "expected ':'");
    p->i++;
    return 0;
}

/* Parse an object (obj = 1) or array at p->i (the opening bracket) into j;
 * its members are at depth + 1. */
static int parse_container(jp *p, jin *j, int depth, int obj)
{
    char close = obj ? '}' : ']';
    size_t cap = 0;
    j->type = obj ? JIN_OBJ : JIN_ARR;
    p->i++;
    skip_ws(p);
    if (p->i < p->n && p->s[p->i] == close) {
        p->i++;
        return 0;
    }
    for (;;) {
        jin *k = add_kid(p, j, &cap);
        if (!k)
            return -1;
        skip_ws(p);
        if (obj && parse_member_name(p, j, k) != 0)
            return -1;
        if (parse_value(p, k, depth + 1) != 0)
            return -1;
        skip_ws(p);
        if (p->i < p->n && p->s[p->i] == ',') {
            p->i++;
            continue;
        }
        if (p->i < p->n && p->s[p->i] == close) {
            p->i++;
            return 0;
        }
        return fail(p, obj ? "expected ',' or '}'" : "expected ',' or ']'");
    }
}

/* Parse any value at p->i into j. */
static int parse_value(jp *p, jin *j, int depth)
{
    skip_ws(p);
    if (p->i >= p->n)
        return fail(p, "unexpected end");
    char c = p->s[p->i];
    if (c == '"') {
        j->type = JIN_STR;
        return parse_string(p, &j->str, &j->len);
    }
    if (c == '-' || (c >= '0' && c <= '9'))
        return parse_number(p, j);
    if (word(p, "true") || word(p, "false")) {
        j->type = JIN_BOOL;
        j->boolean = p->s[p->i - 1] == 'e' && p->s[p->i - 2] == 'u';
        return 0;
    }
    if (word(p, "null")) {
        j->type = JIN_NULL;
        return 0;
    }
    if (c != '[' && c != '{')
        return fail(p, "unexpected character");
    if (depth >= JIN_DEPTH_MAX)
        return fail(p, "nested too deeply");
    return parse_container(p, j, depth, c == '{');
}

/* see json_in.h */
int jin_parse(jin *out, const char *text, size_t n, char *err, size_t errcap)
{
    jp p = {text, n, 0, err, errcap, 0};
    memset(out, 0, sizeof *out);
    if (errcap)
        err[0] = '\0';
    if (parse_value(&p, out, 0) != 0)
        return -1;
    skip_ws(&p);
    if (p.i != n)
        return fail(&p, "trailing characters");
    return 0;
}

/* see json_in.h */
void jin_free(jin *j)
{
    for (size_t i = 0; i < j->count; i++)
        jin_free(&j->kids[i]);
    free(j->kids);
    free(j->key);
    free(j->str);
    memset(j, 0, sizeof *j);
}

/* see json_in.h */
const jin *jin_get(const jin *obj, const char *key)
{
    if (!obj || obj->type != JIN_OBJ)
        return NULL;
    size_t n = strlen(key);
    for (size_t i = 0; i < obj->count; i++)
        if (obj->kids[i].key_len == n && memcmp(obj->kids[i].key, key, n) == 0)
            return &obj->kids[i];
    return NULL;
}

/* see json_in.h */
int jin_int(const jin *j, int64_t *out)
{
    if (!j || j->type != JIN_NUM || strpbrk(j->str, ".eE"))
        return -1;
    char *end;
    errno = 0;
    long long v = strtoll(j->str, &end, 10);
    if (*end != '\0' || errno != 0)
        return -1;
    *out = (int64_t)v;
    return 0;
}
