/*
 * crumb_mhd.c - the libcrumb demo application (../app.c) as an embedded
 * libmicrohttpd server: one thread per connection, SIGINT/SIGTERM stop it
 * cleanly. Environment: HOST (127.0.0.1), PORT (8080), plus the CRUMB_*
 * variables of app_config_from_env (CRUMB_VAR, CRUMB_MODE, CRUMB_STORE,
 * CRUMB_SECURE).
 */
#include "app.h"

#include <microhttpd.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* Per-request upload state (MHD calls the handler once per body piece). */
typedef struct upload {
    char body[APP_BODY_MAX];
    size_t len;
} upload;

/* Parse a decimal port 1..65535; 0 on error. */
static unsigned short parse_port(const char *s)
{
    unsigned long v = 0;
    if (!s || !*s || strlen(s) > 5)
        return 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return 0;
        v = v * 10 + (unsigned long)(*s - '0');
    }
    return v >= 1 && v <= 65535 ? (unsigned short)v : 0;
}

/* Queue the app's response on the connection. */
static enum MHD_Result send_response(struct MHD_Connection *c, app_response *rs)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(rs->body_len, rs->body, MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    int ok = 1;
    for (size_t i = 0; app_fixed_headers[i]; i += 2)
        ok &= MHD_add_response_header(r, app_fixed_headers[i], app_fixed_headers[i + 1]) ==
              MHD_YES;
    if (rs->location)
        ok &= MHD_add_response_header(r, MHD_HTTP_HEADER_LOCATION, rs->location) == MHD_YES;
    for (size_t i = 0; i < rs->n_set_cookie; i++)
        ok &= MHD_add_response_header(r, MHD_HTTP_HEADER_SET_COOKIE, rs->set_cookie[i]) ==
              MHD_YES;
    enum MHD_Result ret = ok ? MHD_queue_response(c, (unsigned)rs->status, r) : MHD_NO;
    MHD_destroy_response(r);
    return ret;
}

/* The peer's address as text (empty if unknown). */
static void peer_ip(struct MHD_Connection *c, char *out, size_t cap)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    out[0] = '\0';
    if (!ci || !ci->client_addr)
        return;
    const struct sockaddr *sa = ci->client_addr;
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out,
                  (socklen_t)cap);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, out,
                  (socklen_t)cap);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    app *a = cls;
    (void)version;
    upload *u = *con_cls;
    if (!u) { /* first call: headers only */
        if (!(u = calloc(1, sizeof *u)))
            return MHD_NO;
        *con_cls = u;
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        if (*upload_data_size > APP_BODY_MAX - u->len)
            return MHD_NO; /* over the cap: drop the connection */
        memcpy(u->body + u->len, upload_data, *upload_data_size);
        u->len += *upload_data_size;
        *upload_data_size = 0;
        return MHD_YES;
    }
    char ip[INET6_ADDRSTRLEN];
    peer_ip(c, ip, sizeof ip);
    app_request rq = {
        .method = method,
        .path = url,
        .cookie = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_COOKIE),
        .content_type =
            MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE),
        .body = u->body,
        .body_len = u->len,
        .user_agent =
            MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_USER_AGENT),
        .remote_ip = ip,
    };
    app_response rs;
    app_handle(a, &rq, &rs);
    enum MHD_Result ret = send_response(c, &rs);
    app_response_free(&rs);
    return ret;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    free(*con_cls);
    *con_cls = NULL;
}

int main(void)
{
    char err[512];
    app_config cfg;
    if (app_config_from_env(&cfg, err, sizeof err) != 0) {
        fprintf(stderr, "crumb-mhd: %s\n", err);
        return 2;
    }
    const char *host = getenv("HOST") && *getenv("HOST") ? getenv("HOST") : "127.0.0.1";
    if (cfg.secure && strncmp(host, "127.", 4) != 0 && strcmp(host, "::1") != 0)
        fprintf(stderr, "crumb-mhd: warning: CRUMB_SECURE=1 but this server speaks plain HTTP "
                        "on %s: browsers keep Secure (__Host-) cookies only from https:// "
                        "origins (or localhost), so nobody stays signed in unless TLS "
                        "terminates in front of it\n", host);
    const char *port_s = getenv("PORT") && *getenv("PORT") ? getenv("PORT") : "8080";
    unsigned short port = parse_port(port_s);
    if (!port) {
        fprintf(stderr, "crumb-mhd: PORT=%s is not a port number\n", port_s);
        return 2;
    }
    struct addrinfo hints = {.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE,
                             .ai_socktype = SOCK_STREAM};
    struct addrinfo *ai = NULL;
    if (getaddrinfo(host, port_s, &hints, &ai) != 0 || !ai) {
        fprintf(stderr, "crumb-mhd: HOST=%s is not a numeric IPv4/IPv6 address\n", host);
        return 2;
    }

    /* Block the stop signals in every thread; main waits for them below. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);

    app *a = NULL;
    if (app_new(&a, &cfg, err, sizeof err) != 0) {
        fprintf(stderr, "crumb-mhd: %s\n", err);
        freeaddrinfo(ai);
        return 1;
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
                     MHD_USE_ERROR_LOG | (ai->ai_family == AF_INET6 ? MHD_USE_IPv6 : 0);
    struct MHD_Daemon *d = MHD_start_daemon(
        flags, port, NULL, NULL, on_request, a,
        MHD_OPTION_SOCK_ADDR, ai->ai_addr,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)256,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
        MHD_OPTION_END);
    int v6 = ai->ai_family == AF_INET6;
    freeaddrinfo(ai);
    if (!d) {
        fprintf(stderr, "crumb-mhd: cannot listen on %s port %u (in use?)\n", host, port);
        app_free(a);
        return 1;
    }
    static const char *const modes[] = {"stateless", "stateless-store", "server"};
    static const char *const stores[] = {"file", "memory", "redis"}; /* APP_STORE_* */
    printf("libcrumb demo (%s mode, %s store) listening on http://%s%s%s:%u/\n",
           modes[cfg.mode], cfg.mode == 0 ? "no" : stores[cfg.store],
           v6 ? "[" : "", host, v6 ? "]" : "", port);
    if (!cfg.secure)
        printf("plain-HTTP development cookie (no Secure flag); behind TLS set CRUMB_SECURE=1\n");

    printf("demo users: alice / alice-demo-password, bob / bob-demo-password; Ctrl-C stops\n");
    fflush(stdout);

    int sig = 0;
    while (sigwait(&stop, &sig) != 0)
        ;
    printf("crumb-mhd: signal %d, stopping\n", sig);
    fflush(stdout);
    MHD_stop_daemon(d); /* joins every connection thread */
    app_free(a);        /* closes the store, frees the context */
    return 0;
}
