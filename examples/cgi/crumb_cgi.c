/*
 * crumb_cgi.c - the libcrumb demo application (../app.c) as a CGI program
 * (RFC 3875): one process per request, so it uses the file store. Serve it
 * for every path (lighttpd.conf rewrites /x to /app.cgi/x: PATH_INFO).
 * Environment: the CGI variables, plus CRUMB_VAR (default ./var next to
 * the working directory), CRUMB_MODE, CRUMB_STORE, CRUMB_SECURE (default:
 * 1 when HTTPS=on).
 */
#include "app.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Write a response in CGI form to stdout; no body for HEAD. */
static void write_response(const app_response *rs, int head)
{
    printf("Status: %d %s\r\n", rs->status, rs->reason ? rs->reason : "");
    for (size_t i = 0; app_fixed_headers[i]; i += 2)
        printf("%s: %s\r\n", app_fixed_headers[i], app_fixed_headers[i + 1]);
    if (rs->location)
        printf("Location: %s\r\n", rs->location);
    for (size_t i = 0; i < rs->n_set_cookie; i++)
        printf("Set-Cookie: %s\r\n", rs->set_cookie[i]);
    printf("Content-Length: %zu\r\n\r\n", head ? (size_t)0 : rs->body_len);
    if (!head && rs->body_len)
        fwrite(rs->body, 1, rs->body_len, stdout);
    fflush(stdout);
}

/* A bare error response when the application cannot start or the request
 * is unreadable. */
static int fail(int status, const char *reason, const char *msg)
{
    printf("Status: %d %s\r\nContent-Type: text/plain; charset=utf-8\r\n"
           "Cache-Control: no-store\r\n\r\n%s\n", status, reason, msg);
    fflush(stdout);
    return 0;
}

int main(void)
{
    static char body[APP_BODY_MAX];
    char err[512];
    app_config cfg;
    if (app_config_from_env(&cfg, err, sizeof err) != 0) {
        fprintf(stderr, "crumb.cgi: %s\n", err);
        return fail(500, "Internal Server Error", "server misconfigured");
    }
    const char *v = getenv("CRUMB_SECURE");
    if (!v || !*v)
        cfg.secure = (v = getenv("HTTPS")) != NULL && !strcmp(v, "on");

    app_request rq = {
        .method = getenv("REQUEST_METHOD"),
        .path = getenv("PATH_INFO"),
        .cookie = getenv("HTTP_COOKIE"),
        .content_type = getenv("CONTENT_TYPE"),
        .body = body,
        .user_agent = getenv("HTTP_USER_AGENT"),
        .remote_ip = getenv("REMOTE_ADDR"),
    };
    /* CONTENT_LENGTH: digits only; over the cap the body is not read. */
    const char *cl = getenv("CONTENT_LENGTH");
    if (cl && *cl) {
        size_t n = 0;
        for (const char *p = cl; *p; p++) {
            if (*p < '0' || *p > '9')
                return fail(400, "Bad Request", "bad Content-Length");
            if (n > APP_BODY_MAX) {
                rq.body_too_large = 1;
                break;
            }
            n = n * 10 + (size_t)(*p - '0');
        }
        if (n > APP_BODY_MAX)
            rq.body_too_large = 1;
        else if (n > 0 && fread(body, 1, n, stdin) != n)
            return fail(400, "Bad Request", "short request body");
        else
            rq.body_len = n;
    }

    app *a = NULL;
    if (app_new(&a, &cfg, err, sizeof err) != 0) {
        fprintf(stderr, "crumb.cgi: %s\n", err);
        return fail(500, "Internal Server Error", "server misconfigured (see the error log)");
    }
    app_response rs;
    app_handle(a, &rq, &rs);
    write_response(&rs, rq.method && !strcmp(rq.method, "HEAD"));
    app_response_free(&rs);
    app_free(a);
    return 0;
}
