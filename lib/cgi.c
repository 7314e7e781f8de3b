/*
 * cgi.c - CGI helpers: load the session from HTTP_COOKIE (and describe
 * the client from HTTP_USER_AGENT and REMOTE_ADDR) and write the
 * Set-Cookie lines of a save to a stream (RFC 3875 response headers).
 */
#include "crumb.h"

#include <stdio.h>
#include <stdlib.h>

/* see crumb.h */
crumb_err crumb_cgi_load(crumb_session **out, crumb_ctx *ctx)
{
    crumb_err rc = crumb_session_load(out, ctx, getenv("HTTP_COOKIE"));
    if (out && *out) { /* issue 16: the client, and the fingerprint check */
        crumb_err crc = crumb_session_check_client(*out, getenv("HTTP_USER_AGENT"),
                                                   getenv("REMOTE_ADDR"), NULL, 0);
        if (crc == CRUMB_E_AUTH && rc == CRUMB_OK)
            rc = crc;
    }
    return rc;
}

/* see crumb.h */
crumb_err crumb_cgi_save(crumb_session *s, FILE *out)
{
    const char *const *lines;
    size_t n = 0;
    if (!out)
        return CRUMB_E_INVALID;
    crumb_err rc = crumb_session_save(s, &lines, &n);
    if (rc != CRUMB_OK)
        return rc;
    for (size_t i = 0; i < n; i++)
        if (fprintf(out, "Set-Cookie: %s\r\n", lines[i]) < 0)
            return CRUMB_E_IO;
    return ferror(out) ? CRUMB_E_IO : CRUMB_OK;
}
