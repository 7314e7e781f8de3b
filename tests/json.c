/*
 * json.c - the strict test-only JSON reader declared in json.h: a recursive
 * descent parser over the whole text (depth-limited) producing a node tree,
 * plus the accessors and a hex helper used by the vector tests.
 */
#include "json.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JSON_MAX_DEPTH 200

struct json {
    json_type type;
    double num;
    char *str;       /* JSON_STRING: NUL-terminated bytes */
    size_t len;      /* string bytes, or element/member count */
    json **items;    /* JSON_ARRAY elements / JSON_OBJECT values */
    char **keys;     /* JSON_OBJECT keys */
};

typedef struct parser {
    const char *p, *end, *start;
    char *err;
    size_t errcap;
    int failed;
} parser;

/* Allocate or die: tests have no use for out-of-memory recovery here. */
static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) {
        fprintf(stderr, "json: out of memory\n");
        abort();
    }
    return q;
}

/* Record the first error with its offset; always returns NULL. */
static json *fail(parser *ps, const char *fmt, ...)
{
    if (!ps->failed && ps->err && ps->errcap) {
        int k = snprintf(ps->err, ps->errcap, "offset %zu: ", (size_t)(ps->p - ps->start));
        if (k >= 0 && (size_t)k < ps->errcap) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(ps->err + k, ps->errcap - (size_t)k, fmt, ap);
            va_end(ap);
        }
    }
    ps->failed = 1;
    return NULL;
}

/* Skip JSON whitespace (space, tab, LF, CR only). */
static void skip_ws(parser *ps)
{
    while (ps->p < ps->end &&
           (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
        ps->p++;
}

/* New zeroed node of type t. */
static json *node_new(json_type t)
{
    json *j = xrealloc(NULL, sizeof *j);
    memset(j, 0, sizeof *j);
    j->type = t;
    return j;
}

/* Value of one hex digit, or -1. */
static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Read 4 hex digits after "\u" into *out; 0 on success, -1 on error. */
static int read_u4(parser *ps, unsigned *out)
{
    unsigned v = 0;
    if (ps->end - ps->p < 4)
        return -1;
    for (int i = 0; i < 4; i++) {
        int h = hexval((unsigned char)ps->p[i]);
        if (h < 0)
            return -1;
        v = v * 16 + (unsigned)h;
    }
    ps->p += 4;
    *out = v;
    return 0;
}

/* Append code point cp as UTF-8 to buf (room for 4 more bytes assumed). */
static size_t put_utf8(char *buf, unsigned cp)
{
    if (cp < 0x80) {
        buf[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        buf[0] = (char)(0xC0 | (cp >> 6));
        buf[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        buf[0] = (char)(0xE0 | (cp >> 12));
        buf[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        buf[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    buf[0] = (char)(0xF0 | (cp >> 18));
    buf[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    buf[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    buf[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Length of a valid UTF-8 sequence at p (max n bytes), or 0 if invalid
 * (overlong forms, surrogates and code points above U+10FFFF are invalid). */
static size_t utf8_seq(const unsigned char *p, size_t n)
{
    unsigned c = p[0], cp;
    size_t k;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        k = 2, cp = c & 0x1F;
    else if (c >= 0xE0 && c <= 0xEF)
        k = 3, cp = c & 0x0F;
    else if (c >= 0xF0 && c <= 0xF4)
        k = 4, cp = c & 0x07;
    else
        return 0;
    if (n < k)
        return 0;
    for (size_t i = 1; i < k; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3Fu);
    }
    if ((k == 3 && cp < 0x800) || (k == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return k;
}

/* Parse a string starting at the opening quote; *len gets its byte length.
 * Returns a malloc'd NUL-terminated buffer or NULL on error. */
static char *parse_string_raw(parser *ps, size_t *len)
{
    size_t cap = 16, n = 0;
    char *buf;
    if (ps->p >= ps->end || *ps->p != '"') {
        fail(ps, "expected string");
        return NULL;
    }
    ps->p++;
    buf = xrealloc(NULL, cap);
    for (;;) {
        unsigned char c;
        if (n + 5 > cap) {
            cap *= 2;
            buf = xrealloc(buf, cap);
        }
        if (ps->p >= ps->end) {
            fail(ps, "unterminated string");
            break;
        }
        c = (unsigned char)*ps->p;
        if (c == '"') {
            ps->p++;
            buf[n] = '\0';
            *len = n;
            return buf;
        }
        if (c < 0x20) {
            fail(ps, "control character 0x%02x in string", c);
            break;
        }
        if (c == '\\') {
            unsigned cp;
            ps->p++;
            if (ps->p >= ps->end) {
                fail(ps, "unterminated escape");
                break;
            }
            c = (unsigned char)*ps->p++;
            switch (c) {
            case '"': buf[n++] = '"'; continue;
            case '\\': buf[n++] = '\\'; continue;
            case '/': buf[n++] = '/'; continue;
            case 'b': buf[n++] = '\b'; continue;
            case 'f': buf[n++] = '\f'; continue;
            case 'n': buf[n++] = '\n'; continue;
            case 'r': buf[n++] = '\r'; continue;
            case 't': buf[n++] = '\t'; continue;
            case 'u': break;
            default:
                ps->p--;
                fail(ps, "bad escape \\%c", c);
                goto error;
            }
            if (read_u4(ps, &cp) != 0) {
                fail(ps, "bad \\u escape");
                break;
            }
            if (cp >= 0xDC00 && cp <= 0xDFFF) {
                fail(ps, "lone low surrogate \\u%04x", cp);
                break;
            }
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                unsigned lo;
                if (ps->end - ps->p < 2 || ps->p[0] != '\\' || ps->p[1] != 'u') {
                    fail(ps, "high surrogate \\u%04x not followed by \\u", cp);
                    break;
                }
                ps->p += 2;
                if (read_u4(ps, &lo) != 0 || lo < 0xDC00 || lo > 0xDFFF) {
                    fail(ps, "high surrogate \\u%04x not followed by a low surrogate", cp);
                    break;
                }
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            }
            n += put_utf8(buf + n, cp);
            continue;
        }
        if (c >= 0x80) {
            size_t k = utf8_seq((const unsigned char *)ps->p, (size_t)(ps->end - ps->p));
            if (k == 0) {
                fail(ps, "invalid UTF-8 in string");
                break;
            }
            memcpy(buf + n, ps->p, k);
            n += k;
            ps->p += k;
            continue;
        }
        buf[n++] = (char)c;
        ps->p++;
    }
error:
    free(buf);
    return NULL;
}

/* Parse a number per the RFC 8259 grammar (no leading zeros, no '+', no
 * bare '.', no hex). */
static json *parse_number(parser *ps)
{
    const char *s = ps->p, *q = ps->p;
    char tmp[64];
    json *j;
    if (q < ps->end && *q == '-')
        q++;
    if (q < ps->end && *q == '0') {
        q++;
    } else if (q < ps->end && *q >= '1' && *q <= '9') {
        while (q < ps->end && *q >= '0' && *q <= '9')
            q++;
    } else {
        return fail(ps, "bad number");
    }
    if (q < ps->end && *q == '.') {
        q++;
        if (q >= ps->end || *q < '0' || *q > '9')
            return fail(ps, "bad number: digit expected after '.'");
        while (q < ps->end && *q >= '0' && *q <= '9')
            q++;
    }
    if (q < ps->end && (*q == 'e' || *q == 'E')) {
        q++;
        if (q < ps->end && (*q == '+' || *q == '-'))
            q++;
        if (q >= ps->end || *q < '0' || *q > '9')
            return fail(ps, "bad number: digit expected in exponent");
        while (q < ps->end && *q >= '0' && *q <= '9')
            q++;
    }
    if ((size_t)(q - s) >= sizeof tmp)
        return fail(ps, "number too long");
    memcpy(tmp, s, (size_t)(q - s));
    tmp[q - s] = '\0';
    j = node_new(JSON_NUMBER);
    j->num = strtod(tmp, NULL);
    ps->p = q;
    return j;
}

static json *parse_value(parser *ps, int depth);

/* Parse an array starting at '['. */
static json *parse_array(parser *ps, int depth)
{
    json *j = node_new(JSON_ARRAY);
    size_t cap = 0;
    ps->p++;
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == ']') {
        ps->p++;
        return j;
    }
    for (;;) {
        json *v = parse_value(ps, depth + 1);
        if (!v)
            break;
        if (j->len == cap) {
            cap = cap ? cap * 2 : 8;
            j->items = xrealloc(j->items, cap * sizeof *j->items);
        }
        j->items[j->len++] = v;
        skip_ws(ps);
        if (ps->p < ps->end && *ps->p == ',') {
            ps->p++;
            continue;
        }
        if (ps->p < ps->end && *ps->p == ']') {
            ps->p++;
            return j;
        }
        fail(ps, "expected ',' or ']' in array");
        break;
    }
    json_free(j);
    return NULL;
}

/* Parse an object starting at '{'. */
static json *parse_object(parser *ps, int depth)
{
    json *j = node_new(JSON_OBJECT);
    size_t cap = 0;
    ps->p++;
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == '}') {
        ps->p++;
        return j;
    }
    for (;;) {
        size_t klen;
        char *key;
        json *v;
        skip_ws(ps);
        key = parse_string_raw(ps, &klen);
        if (!key)
            break;
        skip_ws(ps);
        if (ps->p >= ps->end || *ps->p != ':') {
            free(key);
            fail(ps, "expected ':' in object");
            break;
        }
        ps->p++;
        v = parse_value(ps, depth + 1);
        if (!v) {
            free(key);
            break;
        }
        if (j->len == cap) {
            cap = cap ? cap * 2 : 8;
            j->items = xrealloc(j->items, cap * sizeof *j->items);
            j->keys = xrealloc(j->keys, cap * sizeof *j->keys);
        }
        j->keys[j->len] = key;
        j->items[j->len++] = v;
        skip_ws(ps);
        if (ps->p < ps->end && *ps->p == ',') {
            ps->p++;
            continue;
        }
        if (ps->p < ps->end && *ps->p == '}') {
            ps->p++;
            return j;
        }
        fail(ps, "expected ',' or '}' in object");
        break;
    }
    json_free(j);
    return NULL;
}

/* Match the literal word w at the cursor. */
static int match_word(parser *ps, const char *w)
{
    size_t n = strlen(w);
    if ((size_t)(ps->end - ps->p) >= n && memcmp(ps->p, w, n) == 0) {
        ps->p += n;
        return 1;
    }
    return 0;
}

/* Parse any value (leading whitespace allowed). */
static json *parse_value(parser *ps, int depth)
{
    skip_ws(ps);
    if (depth > JSON_MAX_DEPTH)
        return fail(ps, "nesting deeper than %d", JSON_MAX_DEPTH);
    if (ps->p >= ps->end)
        return fail(ps, "unexpected end of input");
    switch (*ps->p) {
    case '{': return parse_object(ps, depth);
    case '[': return parse_array(ps, depth);
    case '"': {
        size_t len;
        char *s = parse_string_raw(ps, &len);
        json *j;
        if (!s)
            return NULL;
        j = node_new(JSON_STRING);
        j->str = s;
        j->len = len;
        return j;
    }
    case 't':
        if (match_word(ps, "true"))
            return node_new(JSON_TRUE);
        break;
    case 'f':
        if (match_word(ps, "false"))
            return node_new(JSON_FALSE);
        break;
    case 'n':
        if (match_word(ps, "null"))
            return node_new(JSON_NULL);
        break;
    default:
        if (*ps->p == '-' || (*ps->p >= '0' && *ps->p <= '9'))
            return parse_number(ps);
        break;
    }
    return fail(ps, "unexpected character '%c'", *ps->p);
}

/* see json.h */
json *json_parse(const char *text, size_t n, char *err, size_t errcap)
{
    parser ps = {text, text + n, text, err, errcap, 0};
    json *j;
    if (err && errcap)
        err[0] = '\0';
    j = parse_value(&ps, 0);
    if (!j)
        return NULL;
    skip_ws(&ps);
    if (ps.p != ps.end) {
        json_free(j);
        return fail(&ps, "trailing data after the document");
    }
    return j;
}

/* see json.h */
json *json_parse_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL, err[160];
    size_t n = 0, cap = 0;
    json *j;
    if (!f) {
        fprintf(stderr, "%s: %s\n", path, strerror(errno));
        return NULL;
    }
    for (;;) {
        size_t r;
        if (cap - n < 4096) {
            cap = cap ? cap * 2 : 65536;
            buf = xrealloc(buf, cap);
        }
        r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (r == 0)
            break;
    }
    if (ferror(f)) {
        fprintf(stderr, "%s: read error\n", path);
        fclose(f);
        free(buf);
        return NULL;
    }
    fclose(f);
    j = json_parse(buf, n, err, sizeof err);
    if (!j)
        fprintf(stderr, "%s: JSON error at %s\n", path, err);
    free(buf);
    return j;
}

/* see json.h */
void json_free(json *j)
{
    if (!j)
        return;
    if (j->type == JSON_ARRAY || j->type == JSON_OBJECT) {
        for (size_t i = 0; i < j->len; i++) {
            json_free(j->items[i]);
            if (j->keys)
                free(j->keys[i]);
        }
        free(j->items);
        free(j->keys);
    }
    free(j->str);
    free(j);
}

/* see json.h */
json_type json_typeof(const json *j)
{
    return j ? j->type : JSON_NULL;
}

/* see json.h */
const json *json_get(const json *obj, const char *key)
{
    if (!obj || obj->type != JSON_OBJECT || !key)
        return NULL;
    for (size_t i = 0; i < obj->len; i++)
        if (strcmp(obj->keys[i], key) == 0)
            return obj->items[i];
    return NULL;
}

/* see json.h */
size_t json_len(const json *j)
{
    return j && (j->type == JSON_ARRAY || j->type == JSON_OBJECT) ? j->len : 0;
}

/* see json.h */
const json *json_at(const json *j, size_t i)
{
    return j && (j->type == JSON_ARRAY || j->type == JSON_OBJECT) && i < j->len ? j->items[i]
                                                                                 : NULL;
}

/* see json.h */
const char *json_key_at(const json *obj, size_t i)
{
    return obj && obj->type == JSON_OBJECT && i < obj->len ? obj->keys[i] : NULL;
}

/* see json.h */
const char *json_str(const json *j)
{
    return j && j->type == JSON_STRING ? j->str : NULL;
}

/* see json.h */
size_t json_str_len(const json *j)
{
    return j && j->type == JSON_STRING ? j->len : 0;
}

/* see json.h */
double json_num(const json *j)
{
    return j && j->type == JSON_NUMBER ? j->num : 0.0;
}

/* see json.h */
long long json_int(const json *j, long long dflt)
{
    long long v;
    if (!j || j->type != JSON_NUMBER || j->num < -9.0e18 || j->num > 9.0e18)
        return dflt;
    v = (long long)j->num;
    return (double)v == j->num ? v : dflt;
}

/* see json.h */
int json_bool(const json *j)
{
    if (j && j->type == JSON_TRUE)
        return 1;
    if (j && j->type == JSON_FALSE)
        return 0;
    return -1;
}

/* see json.h */
int json_str_eq(const json *obj, const char *key, const char *s)
{
    const char *v = json_str(json_get(obj, key));
    return v && s && strcmp(v, s) == 0;
}

/* see json.h */
uint8_t *json_hex(const json *j, size_t *len)
{
    const char *s = json_str(j);
    size_t n = json_str_len(j);
    uint8_t *out;
    if (!s || n % 2 != 0)
        return NULL;
    out = xrealloc(NULL, n / 2 + 1);
    for (size_t i = 0; i < n / 2; i++) {
        int hi = hexval((unsigned char)s[2 * i]), lo = hexval((unsigned char)s[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            free(out);
            return NULL;
        }
        out[i] = (uint8_t)(hi * 16 + lo);
    }
    *len = n / 2;
    return out;
}
