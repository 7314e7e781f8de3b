/*
 * test_expiry.c - the expiry model with an injected clock: absolute
 * lifetime, idle timeout with sliding renewal and the write throttle,
 * clock skew, timestamps too far in the future, reasons reaching the log
 * callback, and time checks running only after authentication.
 */
#include "check.h"
#include "session.h"

static int64_t now_s;
static int64_t fake_clock(void *ctx)
{
    (void)ctx;
    return now_s;
}

static int last_reason, last_err, events;
static void on_log(void *ctx, const crumb_event *ev)
{
    (void)ctx;
    last_reason = ev->reason;
    last_err = ev->err;
    events++;
}

static crumb_keyring *kr;
static char cookie[4096];

static crumb_ctx *make(int64_t absolute, int64_t idle, int64_t throttle, int64_t skew,
                       int64_t max_future)
{
    crumb_ctx_config c = {.cookie_name = "__Host-s", .clock = fake_clock, .log = on_log,
                          .absolute_lifetime = absolute, .idle_timeout = idle,
                          .renew_throttle = throttle, .clock_skew = skew,
                          .max_future = max_future};
    crumb_ctx *ctx = NULL;
    if (crumb_ctx_new(&ctx, kr, &c) != CRUMB_OK)
        abort();
    return ctx;
}

/* Load the current cookie, save, and keep any new cookie. Returns the load
 * code; *resealed = 1 if save produced a line. */
static crumb_err visit(crumb_ctx *ctx, int touch, int *resealed)
{
    crumb_session *s = NULL;
    const char *const *lines;
    size_t n = 0;
    last_reason = 0;
    crumb_err rc = crumb_session_load(&s, ctx, cookie);
    if (!s)
        return rc;
    if (touch)
        CHECK_OK(crumb_session_set(s, "t", "1", 1));
    CHECK_OK(crumb_session_save(s, &lines, &n));
    if (resealed)
        *resealed = n > 0;
    if (n == 1 && !strstr(lines[0], "Max-Age=0;")) {
        const char *semi = strchr(lines[0], ';');
        snprintf(cookie, sizeof cookie, "%.*s", (int)(semi - lines[0]), lines[0]);
    }
    crumb_session_free(s);
    return rc;
}

/* Start a session at time t. */
static void start(crumb_ctx *ctx, int64_t t)
{
    cookie[0] = '\0';
    now_s = t;
    CHECK_OK(visit(ctx, 1, NULL));
    CHECK(cookie[0] != '\0');
}

static void test_absolute(void)
{
    crumb_ctx *ctx = make(3600, -1, 0, 30, 0);
    const int64_t T = 1700000000;
    start(ctx, T);
    const crumb_payload *p;
    crumb_session *s = NULL;
    now_s = T + 10;
    CHECK_OK(crumb_session_load(&s, ctx, cookie));
    p = crumb_session_payload(s);
    CHECK_INT(p->issued_at, T);
    CHECK_INT(p->expires_at, T + 3600);
    CHECK_INT(p->idle_at, T + 3600); /* idle disabled */
    crumb_session_free(s);
    now_s = T + 3600 + 30 - 1; /* within the skew */
    CHECK_OK(visit(ctx, 0, NULL));
    now_s = T + 3600 + 30;
    CHECK_INT(visit(ctx, 0, NULL), CRUMB_E_EXPIRED);
    CHECK_INT(last_reason, CRUMB_R_EXPIRED_ABSOLUTE);
    CHECK_INT(last_err, CRUMB_E_EXPIRED);
    /* activity does not extend the absolute lifetime */
    start(ctx, T);
    for (now_s = T; now_s < T + 3600 + 30; now_s += 600)
        CHECK_OK(visit(ctx, 1, NULL));
    CHECK_INT(visit(ctx, 0, NULL), CRUMB_E_EXPIRED);
    CHECK_INT(last_reason, CRUMB_R_EXPIRED_ABSOLUTE);
    crumb_ctx_free(ctx);

    /* a shortened lifetime in the config applies to existing tokens */
    crumb_ctx *longer = make(7200, -1, 0, 30, 0), *shorter = make(600, -1, 0, 30, 0);
    start(longer, T);
    now_s = T + 700;
    CHECK_INT(visit(shorter, 0, NULL), CRUMB_E_EXPIRED);
    crumb_ctx_free(longer);
    crumb_ctx_free(shorter);
}

static void test_idle_and_throttle(void)
{
    const int64_t T = 1700000000;
    crumb_ctx *ctx = make(86400, 600, 60, -1, 0);
    start(ctx, T);
    int resealed = 0;
    now_s = T + 599;
    CHECK_OK(visit(ctx, 0, &resealed)); /* renewal: idle deadline -> T+1199 */
    CHECK(resealed);
    now_s = T + 1198;
    CHECK_OK(visit(ctx, 0, &resealed));
    CHECK(resealed);
    now_s = T + 1198 + 600;
    CHECK_INT(visit(ctx, 0, NULL), CRUMB_E_EXPIRED);
    CHECK_INT(last_reason, CRUMB_R_EXPIRED_IDLE);

    /* throttle: a session used every second for 10 minutes re-seals about
     * once a minute, never every second */
    start(ctx, T);
    int reseals = 0;
    for (int i = 1; i <= 600; i++) {
        now_s = T + i;
        CHECK_OK(visit(ctx, 0, &resealed));
        reseals += resealed;
    }
    printf("used every second for 600 s: %d re-seals (throttle 60 s)\n", reseals);
    CHECK_INT(reseals, 10);
    /* a change always re-seals, regardless of the throttle */
    now_s += 1;
    CHECK_OK(visit(ctx, 1, &resealed));
    CHECK(resealed);
    /* the idle deadline never passes the absolute expiry */
    crumb_session *s = NULL;
    CHECK_OK(crumb_session_load(&s, ctx, cookie));
    CHECK(crumb_session_payload(s)->idle_at <= crumb_session_payload(s)->expires_at);
    CHECK_INT(crumb_session_payload(s)->idle_at, now_s + 600);
    crumb_session_free(s);
    crumb_ctx_free(ctx);

    /* idle deadline capped at expiry: no pointless renewals near the end */
    ctx = make(1000, 600, 60, -1, 0);
    start(ctx, T);
    now_s = T + 500;
    CHECK_OK(visit(ctx, 0, &resealed));
    CHECK(resealed); /* idle_at -> min(T+1100, T+1000) = T+1000 */
    now_s = T + 900;
    CHECK_OK(visit(ctx, 0, &resealed));
    CHECK(!resealed);
    now_s = T + 1000;
    CHECK_INT(visit(ctx, 0, NULL), CRUMB_E_EXPIRED);
    CHECK_INT(last_reason, CRUMB_R_EXPIRED_ABSOLUTE);
    crumb_ctx_free(ctx);
}

static void test_future_and_skew(void)
{
    const int64_t T = 1700000000;
    crumb_ctx *ctx = make(3600, 600, 60, 30, 0); /* max_future = skew = 30 */
    start(ctx, T);
    char keep[4096];
    strcpy(keep, cookie);
    now_s = T - 30; /* server clock 30 s behind the issuer: tolerated */
    CHECK_OK(visit(ctx, 0, NULL));
    strcpy(cookie, keep);
    now_s = T - 31;
    CHECK_INT(visit(ctx, 0, NULL), CRUMB_E_FUTURE);
    CHECK_INT(last_reason, CRUMB_R_FUTURE);
    CHECK_INT(last_err, CRUMB_E_FUTURE);
    crumb_ctx_free(ctx);

    /* explicit max_future wider than the skew */
    ctx = make(3600, 600, 60, 5, 300);
    strcpy(cookie, keep);
    now_s = T - 299;
    CHECK_OK(visit(ctx, 0, NULL));
    strcpy(cookie, keep);
    now_s = T - 301;
    CHECK_INT(visit(ctx, 0, NULL), CRUMB_E_FUTURE);
    /* skew 5 on idle: deadline T+600 */
    strcpy(cookie, keep);
    now_s = T + 604;
    CHECK_OK(visit(ctx, 0, NULL));
    strcpy(cookie, keep);
    now_s = T + 605;
    CHECK_INT(visit(ctx, 0, NULL), CRUMB_E_EXPIRED);
    CHECK_INT(last_reason, CRUMB_R_EXPIRED_IDLE);
    crumb_ctx_free(ctx);

    /* negative skew means none */
    ctx = make(3600, -1, 0, -1, 0);
    start(ctx, T);
    now_s = T + 3599;
    CHECK_OK(visit(ctx, 0, NULL));
    now_s = T + 3600;
    CHECK_INT(visit(ctx, 0, NULL), CRUMB_E_EXPIRED);
    crumb_ctx_free(ctx);
}

/* An expired and tampered token is an authentication failure: time is only
 * looked at once the tag verified. */
static void test_auth_first(void)
{
    const int64_t T = 1700000000;
    crumb_ctx *ctx = make(3600, 600, 60, -1, 0);
    start(ctx, T);
    size_t n = strlen(cookie);
    cookie[n - 3] = cookie[n - 3] == 'A' ? 'B' : 'A';
    now_s = T + 100000;
    events = 0;
    CHECK_INT(visit(ctx, 0, NULL), CRUMB_E_AUTH);
    CHECK_INT(last_reason, CRUMB_R_BAD_TAG);
    CHECK_INT(events, 1); /* and no expiry event */
    now_s = T - 100000;
    CHECK_INT(visit(ctx, 0, NULL), CRUMB_E_AUTH);
    crumb_ctx_free(ctx);
}

int main(void)
{
    uint8_t key[32] = {7};
    check_seed();
    if (crumb_keyring_new(&kr) || crumb_keyring_add(kr, 1, CRUMB_KEY_PRIMARY, key))
        return 1;
    test_absolute();
    test_idle_and_throttle();
    test_future_and_skew();
    test_auth_first();
    crumb_keyring_free(kr);
    return check_done("test_expiry");
}
