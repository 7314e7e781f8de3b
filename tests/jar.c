/*
 * jar.c - the tests' cookie jar (jar.h): Set-Cookie lines in, one Cookie
 * header out, as a browser keeps them for one site.
 */
#include "jar.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int jar_find(const jar *j, const char *name, size_t nl)
{
    for (int k = 0; k < j->n; k++)
        if (strlen(j->names[k]) == nl && !memcmp(j->names[k], name, nl))
            return k;
    return -1;
}

void jar_apply(jar *j, const char *const *lines, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *eq = strchr(lines[i], '='), *semi = strchr(lines[i], ';');
        size_t nl = (size_t)(eq - lines[i]), vl = semi ? (size_t)(semi - eq - 1) : strlen(eq + 1);
        int k = jar_find(j, lines[i], nl);
        if (strstr(lines[i], "Max-Age=0")) {
            if (k >= 0) {
                j->n--;
                memmove(j->names[k], j->names[k + 1], sizeof j->names[0] * (size_t)(j->n - k));
                memmove(j->values[k], j->values[k + 1], sizeof j->values[0] * (size_t)(j->n - k));
            }
            continue;
        }
        if (k < 0 && j->n < JAR_MAX)
            k = j->n++;
        if (k < 0)
            abort();
        snprintf(j->names[k], sizeof j->names[k], "%.*s", (int)nl, lines[i]);
        snprintf(j->values[k], sizeof j->values[k], "%.*s", (int)vl, eq + 1);
    }
}

const char *jar_header(const jar *j)
{
    static char h[JAR_MAX * 4200];
    size_t o = 0;
    h[0] = 0;
    for (int k = 0; k < j->n; k++)
        o += (size_t)snprintf(h + o, sizeof h - o, "%s%s=%s", k ? "; " : "", j->names[k],
                              j->values[k]);
    return h;
}

void jar_put(jar *j, const char *name, const char *value)
{
    char line[4200];
    if (value)
        snprintf(line, sizeof line, "%s=%s; Path=/", name, value);
    else
        snprintf(line, sizeof line, "%s=; Max-Age=0", name);
    const char *l = line;
    jar_apply(j, &l, 1);
}

const char *jar_value(const jar *j, const char *name)
{
    int k = jar_find(j, name, strlen(name));
    return k < 0 ? NULL : j->values[k];
}

int jar_has(const jar *j, const char *name)
{
    return jar_value(j, name) != NULL;
}
