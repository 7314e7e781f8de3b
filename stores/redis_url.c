/*
 * redis_url.c - the Redis store's connection URLs: redis://[[user]:pass@]
 * host[:port][/db] and unix:///path[?db=N&password=P&user=U], with
 * percent-decoding and strict ranges (docs/REDIS.md, "Configuration").
 */
#include "crumb_store.h"
#include "internal.h"

#if CRUMB_HAVE_REDIS

#include "redis_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ==== URL parsing ======================================================== */

/* Percent-decode src[0..n) into dst (cap bytes incl. NUL); -1 if bad/too long. */
static int rd_pct(char *dst, size_t cap, const char *src, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)src[i];
        if (c == '%') {
            int hi = i + 1 < n ? crumb__hexval(src[i + 1]) : -1;
            int lo = i + 2 < n ? crumb__hexval(src[i + 2]) : -1;
            if (hi < 0 || lo < 0)
                return -1;
            c = hi * 16 + lo;
            i += 2;
        }
        if (o + 1 >= cap || c == 0)
            return -1;
        dst[o++] = (char)c;
    }
    dst[o] = '\0';
    return 0;
}

/* Parse a decimal in [lo, hi] from s[0..n); -1 if not. */
static long rd_num(const char *s, size_t n, long lo, long hi)
{
    long v = 0;
    if (n == 0 || n > 9)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v < lo || v > hi ? -1 : v;
}

/* Parse "user:pass" userinfo; 0 on success. */
static int rd_userinfo(rd_url *u, const char *s, size_t n)
{
    const char *colon = memchr(s, ':', n);
    if (colon == NULL)
        return rd_pct(u->pass, sizeof u->pass, s, n); /* bare password */
    if (rd_pct(u->user, sizeof u->user, s, (size_t)(colon - s)) != 0)
        return -1;
    return rd_pct(u->pass, sizeof u->pass, colon + 1, n - (size_t)(colon - s) - 1);
}

/* Parse "db=N&password=P&user=U" query parameters; 0 on success. */
static int rd_query(rd_url *u, const char *q)
{
    while (*q) {
        const char *amp = strchr(q, '&');
        size_t n = amp ? (size_t)(amp - q) : strlen(q);
        const char *eq = memchr(q, '=', n);
        if (eq == NULL)
            return -1;
        size_t kl = (size_t)(eq - q), vl = n - kl - 1;
        if (kl == 2 && memcmp(q, "db", 2) == 0) {
            long v = rd_num(eq + 1, vl, 0, 1000000);
            if (v < 0)
                return -1;
            u->db = (int)v;
        } else if (kl == 8 && memcmp(q, "password", 8) == 0) {
            if (rd_pct(u->pass, sizeof u->pass, eq + 1, vl) != 0)
                return -1;
        } else if (kl == 4 && memcmp(q, "user", 4) == 0) {
            if (rd_pct(u->user, sizeof u->user, eq + 1, vl) != 0)
                return -1;
        } else {
            return -1;
        }
        q += n + (amp ? 1 : 0);
    }
    return 0;
}

/* unix://[userinfo@]/path[?query] (url past the scheme); 0 or -1. */
static int rd_parse_unix(rd_url *u, const char *p)
{
    const char *slash = strchr(p, '/');
    if (slash == NULL)
        return -1;
    if (slash != p) { /* userinfo@ before the path */
        if (slash[-1] != '@' || rd_userinfo(u, p, (size_t)(slash - p - 1)) != 0)
            return -1;
    }
    const char *q = strchr(slash, '?');
    size_t pl = q ? (size_t)(q - slash) : strlen(slash);
    if (rd_pct(u->path, sizeof u->path, slash, pl) != 0)
        return -1;
    return q ? rd_query(u, q + 1) : 0;
}

/* host or [ipv6] then optional :port, in p..end; 0 or -1. */
static int rd_parse_hostport(rd_url *u, const char *p, const char *end)
{
    const char *hend;
    if (*p == '[') { /* [ipv6]:port */
        const char *rb = memchr(p, ']', (size_t)(end - p));
        if (rb == NULL || (size_t)(rb - p - 1) >= sizeof u->host)
            return -1;
        memcpy(u->host, p + 1, (size_t)(rb - p - 1));
        u->host[rb - p - 1] = '\0';
        hend = rb + 1;
    } else {
        hend = memchr(p, ':', (size_t)(end - p));
        if (hend == NULL)
            hend = end;
        if (hend != p) {
            if ((size_t)(hend - p) >= sizeof u->host)
                return -1;
            memcpy(u->host, p, (size_t)(hend - p));
            u->host[hend - p] = '\0';
        }
    }
    if (hend < end) {
        if (*hend != ':')
            return -1;
        long port = rd_num(hend + 1, (size_t)(end - hend - 1), 1, 65535);
        if (port < 0)
            return -1;
        u->port = (int)port;
    }
    return 0;
}

/* Parse a redis:// or unix:// URL (docs/REDIS.md) into u; 0 on success. */
int rd_parse_url(rd_url *u, const char *url)
{
    memset(u, 0, sizeof *u);
    u->port = 6379;
    snprintf(u->host, sizeof u->host, "127.0.0.1");
    if (strncmp(url, "unix://", 7) == 0)
        return rd_parse_unix(u, url + 7);
    if (strncmp(url, "redis://", 8) != 0)
        return -1; /* rediss:// (TLS) is not supported */
    const char *p = url + 8;
    const char *end = p + strcspn(p, "/?");
    const char *at = NULL;
    for (const char *x = p; x < end; x++)
        if (*x == '@')
            at = x;
    if (at != NULL) {
        if (rd_userinfo(u, p, (size_t)(at - p)) != 0)
            return -1;
        p = at + 1;
    }
    if (rd_parse_hostport(u, p, end) != 0)
        return -1;
    p = end;
    if (*p == '/') {
        p++;
        size_t n = strcspn(p, "?");
        if (n > 0) {
            long db = rd_num(p, n, 0, 1000000);
            if (db < 0)
                return -1;
            u->db = (int)db;
        }
        p += n;
    }
    if (*p == '?')
        return rd_query(u, p + 1);
    return *p == '\0' ? 0 : -1;
}

#else
typedef int crumb__rd_url_empty; /* ISO C: no empty translation unit */
#endif /* CRUMB_HAVE_REDIS */
