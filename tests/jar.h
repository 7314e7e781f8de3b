/*
 * jar.h - a browser's cookie jar for the session tests: Set-Cookie lines
 * go in (jar_apply, jar_put), one Cookie header comes out (jar_header).
 */
#ifndef CRUMB_TEST_JAR_H
#define CRUMB_TEST_JAR_H

#include <stddef.h>

#define JAR_MAX 20

typedef struct jar {
    char names[JAR_MAX][64];
    char values[JAR_MAX][4096];
    int n;
} jar;

/* Index of the cookie named name[0..nl), or -1. */
int jar_find(const jar *j, const char *name, size_t nl);
/* Apply Set-Cookie lines: "Max-Age=0" drops the cookie, others set it;
 * aborts when more than JAR_MAX cookies would be held. */
void jar_apply(jar *j, const char *const *lines, size_t n);
/* The Cookie header for the jar (a static buffer, valid until the next call). */
const char *jar_header(const jar *j);
/* Set (value) or drop (NULL) one cookie. */
void jar_put(jar *j, const char *name, const char *value);
/* The value of cookie name, or NULL. */
const char *jar_value(const jar *j, const char *name);
/* 1 if the jar holds cookie name. */
int jar_has(const jar *j, const char *name);

#endif
