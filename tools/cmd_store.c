/*
 * cmd_store.c - `crumb store`: administer a session store through the
 * public store interface (crumb_store.h): sessions, devices, revoke,
 * not-before, trust, sweep, stats, health, fsck. A table maps each
 * subcommand to its argument check and its run (output: store_show.c).
 */
#include "cli.h"
#include "cmd_store.h"

#include <stdlib.h>
#include <string.h>

#define LIST_MAX 4096u              /* most entries one listing prints */
#define DEFAULT_KEEP (30 * 86400)   /* how long a revocation is kept by default */

static const char store_help[] =
    "usage: crumb store (--file DIR | --redis URL [--prefix P]) [--tenant T] [--json]\n"
    "                   [--now T] COMMAND ...\n"
    "\n"
    "Commands (USER is a user id; HANDLE a session handle, 64 hex digits;\n"
    "FAMILY and DEVICE are 32 hex digits, as printed by the listings):\n"
    "  sessions USER [--limit N]      the user's live sessions, newest first\n"
    "  devices USER [--limit N]       the user's devices, newest first\n"
    "  revoke session HANDLE          refuse that session from now on\n"
    "  revoke family FAMILY           refuse a whole rotation family\n"
    "  revoke user USER [--before T] [--except HANDLE]\n"
    "                                 log the user out everywhere (sessions\n"
    "                                 issued before T, default now)\n"
    "  revoke device USER DEVICE      refuse every session of that device\n"
    "      revoke options: --keep S   keep the revocation S seconds (default\n"
    "                                 30 days; use at least the longest session\n"
    "                                 lifetime)\n"
    "  not-before [T]                 global: refuse every token issued before T\n"
    "                                 (default now); only moves forwards\n"
    "  trust USER DEVICE LEVEL        set trust: unknown, seen, trusted, revoked\n"
    "  forget-device USER DEVICE      delete a device record (revocations stay)\n"
    "  check [--session HANDLE] [--family FAMILY] [--user USER] [--device DEVICE]\n"
    "        [--issued-at T]          ask the store's per-request check; exit 0\n"
    "                                 if allowed, 1 if revoked (prints the rule)\n"
    "  record-session USER --expires T [--handle HANDLE] [--family FAMILY]\n"
    "        [--device DEVICE] [--label L]\n"
    "                                 add a session index entry (seeding, tests)\n"
    "  record-device USER DEVICE [--label L] [--ip PREFIX]\n"
    "                                 record a device sighting (seeding, tests)\n"
    "  sweep [--trusted-days N] [--seen-days N] [--revoked-days N]\n"
    "                                 remove what expired, walk the device\n"
    "                                 ladder; prints counts per stage\n"
    "  stats                          record counts\n"
    "  health                         liveness probe\n"
    "  fsck [--repair]                verify every record; corrupt records stay\n"
    "                                 in place (checks fail closed on them) unless\n"
    "                                 --repair replaces each by a fail-safe value\n"
    "                                 (revocations stay in force, a damaged global\n"
    "                                 or user record refuses sessions issued\n"
    "                                 before now, damaged session data is removed)\n"
    "\n"
    "Exit codes: 0 ok, 1 check found a revocation, 2 usage, 4 store error\n"
    "(also fsck finding corrupt records).\n";

/* Parse a hex id of n bytes; 0 or -1 (reported). */
static int parse_hex(const sctx *x, const char *what, const char *s, uint8_t *out, size_t n)
{
    if (!s) {
        cli_fail(EX_USAGE, x->cmd, "missing %s", what);
        return -1;
    }
    if (cli_unhex(out, n, s) != 0) {
        cli_fail(EX_USAGE, x->cmd, "%s must be %zu hex digits, got '%s'", what, 2 * n, s);
        return -1;
    }
    return 0;
}

/* Check a user id argument; 0 or -1 (reported). */
static int check_user(const sctx *x, const char *user)
{
    if (!user || !*user) {
        cli_fail(EX_USAGE, x->cmd, "missing USER");
        return -1;
    }
    if (strlen(user) > CRUMB_STORE_NAME_MAX) {
        cli_fail(EX_USAGE, x->cmd, "USER is longer than %u bytes", CRUMB_STORE_NAME_MAX);
        return -1;
    }
    return 0;
}

/* Open the store named by --file or --redis (with --prefix). */
static crumb_err open_store(sctx *x, const char *file, const char *redis, const char *prefix)
{
#if defined(CRUMB_HAVE_REDIS) && CRUMB_HAVE_REDIS
    if (redis) {
        crumb_store_redis_config rc;
        memset(&rc, 0, sizeof rc);
        rc.url = redis;
        rc.prefix = prefix;
        return crumb_store_redis_open(&x->s, &rc);
    }
#else
    (void)redis;
    (void)prefix;
#endif
    return crumb_store_file_open(&x->s, file, NULL);
}

/* fsck: the store's verify slot (repairing with --repair); a store without
 * one falls back to a sweep, which counts corrupt records. */
static int do_fsck(sctx *x, int repair, const crumb_store_retention *ret)
{
    crumb_store_verify_report vr;
    crumb_err e = crumb_store_verify(x->s, repair, &vr, x->now);
    if (e == CRUMB_E_UNSUPPORTED && !repair) {
        crumb_store_sweep_counts counts;
        if ((e = crumb_store_sweep(x->s, x->now, ret, &counts)) != CRUMB_OK)
            return cli_store_fail(x, e);
        cli_store_print_counts(x, &counts);
        vr.left = counts.corrupt;
    } else if (e != CRUMB_OK && e != CRUMB_E_CORRUPT) {
        return cli_store_fail(x, e);
    } else {
        cli_store_print_verify(x, &vr);
    }
    if (vr.left)
        return cli_fail(EX_STORE, x->cmd,
                        "%llu corrupt record%s left in place: checks fail closed on them; "
                        "`crumb store fsck --repair` replaces each by a fail-safe value",
                        (unsigned long long)vr.left, vr.left == 1 ? "" : "s");
    if (!x->json && vr.corrupt)
        printf("fsck: %llu corrupt record%s repaired\n", (unsigned long long)vr.corrupt,
               vr.corrupt == 1 ? "" : "s");
    else if (!x->json)
        printf("fsck: no corrupt records\n");
    return EX_OK;
}

/* ==== Arguments ======================================================== */

/* The options and positional arguments of one `crumb store` run, and the
 * values a subcommand's check parsed from them before the store is opened. */
typedef struct sreq {
    cli_common c;
    const char *file, *redis, *prefix;
    const char *pos[4]; /* pos[0] is the subcommand */
    size_t npos, limit;
    const char *before, *except, *keep, *expires, *handle;
    const char *family, *device, *label, *ip, *user, *issued, *days[3];
    int repair;
    int64_t keep_s;            /* --keep, in seconds */
    crumb_store_key key;       /* HANDLE, --handle / --session, --except */
    crumb_store_id fam, dev;   /* FAMILY / --family, DEVICE / --device */
    int64_t t;                 /* --before, --expires, --issued-at, not-before T */
    int trust;                 /* trust LEVEL */
    crumb_store_retention ret; /* --*-days */
} sreq;

/* Returned by the option parser when the command goes on. */
#define STORE_GO (-1)

/* Take the option or positional argument at argv[*i] into q. Returns
 * STORE_GO, or an exit code (--help: EX_OK; errors reported). */
static int store_arg(sctx *x, sreq *q, int argc, char **argv, int *i)
{
    const char *v;
    int r;
    if (cli_is_help(argv[*i])) {
        fputs(store_help, stdout);
        return EX_OK;
    }
    if (strcmp(argv[*i], "--repair") == 0) {
        q->repair = 1;
        return STORE_GO;
    }
    if ((r = cli_common_opt(&q->c, "store", argc, argv, i)) != 0)
        return r < 0 ? EX_USAGE : STORE_GO;
    const cli_optdef opts[] = {
        {"--file", &q->file},       {"--redis", &q->redis},
        {"--tenant", &x->tenant},   {"--before", &q->before},
        {"--except", &q->except},   {"--keep", &q->keep},
        {"--expires", &q->expires}, {"--handle", &q->handle},
        {"--session", &q->handle},  {"--family", &q->family},
        {"--device", &q->device},   {"--label", &q->label},
        {"--ip", &q->ip},           {"--user", &q->user},
        {"--issued-at", &q->issued}, {"--trusted-days", &q->days[0]},
        {"--seen-days", &q->days[1]}, {"--revoked-days", &q->days[2]},
        {"--limit", &v},            {"--prefix", &q->prefix},
    };
    size_t k;
    r = cli_opt_table(opts, sizeof opts / sizeof opts[0], "store", argc, argv, i, &k);
    if (r < 0)
        return EX_USAGE;
    if (r > 0) {
        uint64_t lim;
        if (opts[k].dst == &v) {
            if (cli_parse_u64(v, &lim) != 0 || lim == 0 || lim > LIST_MAX)
                return cli_fail(EX_USAGE, "store", "--limit wants 1..%u", LIST_MAX);
            q->limit = (size_t)lim;
        }
        return STORE_GO;
    }
    if (argv[*i][0] == '-' && argv[*i][1] != '\0')
        return cli_fail(EX_USAGE, "store", "unknown option %s (see crumb store --help)",
                        argv[*i]);
    if (q->npos >= sizeof q->pos / sizeof q->pos[0])
        return cli_fail(EX_USAGE, "store", "unexpected argument '%s'", argv[*i]);
    q->pos[q->npos++] = argv[*i];
    return STORE_GO;
}

/* Checks every subcommand shares, before its own: which store, --tenant,
 * --keep; also takes --json and the clock into x. EX_OK or EX_USAGE. */
static int check_common(sctx *x, sreq *q)
{
#if !(defined(CRUMB_HAVE_REDIS) && CRUMB_HAVE_REDIS)
    if (q->redis)
        return cli_fail(EX_USAGE, x->cmd, "--redis: this build has no Redis store "
                                          "(build with make REDIS=on)");
#endif
    if (!q->file == !q->redis)
        return cli_fail(EX_USAGE, x->cmd, "which store? pass --file DIR or --redis URL");
    if (x->tenant && strlen(x->tenant) > CRUMB_STORE_NAME_MAX)
        return cli_fail(EX_USAGE, x->cmd, "--tenant is longer than %u bytes",
                        CRUMB_STORE_NAME_MAX);
    x->json = q->c.json;
    x->now = cli_now(&q->c);
    q->keep_s = DEFAULT_KEEP;
    if (q->keep && (cli_parse_i64(q->keep, &q->keep_s) != 0 || q->keep_s <= 0))
        return cli_fail(EX_USAGE, x->cmd, "--keep wants seconds > 0");
    q->t = x->now;
    q->trust = -1;
    return EX_OK;
}

/* --trusted-days, --seen-days, --revoked-days into q->ret (seconds).
 * EX_OK or EX_USAGE. */
static int check_days(const sctx *x, sreq *q)
{
    int64_t *rd[3] = {&q->ret.trusted_idle, &q->ret.seen_idle, &q->ret.revoked_grace};
    for (int d = 0; d < 3; d++) {
        if (q->days[d] && (cli_parse_i64(q->days[d], rd[d]) || *rd[d] <= 0 ||
                           *rd[d] > INT64_MAX / 86400))
            return cli_fail(EX_USAGE, x->cmd, "--*-days want whole days > 0");
        *rd[d] *= 86400; /* the store takes seconds */
    }
    return EX_OK;
}

/* Positional argument n (pos[0] is the subcommand), or NULL. */
static const char *arg_at(const sreq *q, size_t n)
{
    return q->npos > n ? q->pos[n] : NULL;
}

/* ==== Subcommands ====================================================== */
/* Each has a check, run before the store is opened (EX_OK, setting *want
 * to the number of positional arguments it takes with the subcommand; or
 * EX_USAGE, reported), and a run, over the open store (an exit code). */

/* `sessions USER`, `devices USER`: check. */
static int check_user_arg(const sctx *x, sreq *q, size_t *want)
{
    if (check_user(x, arg_at(q, 1)))
        return EX_USAGE;
    *want = 2;
    return EX_OK;
}

/* `sessions USER`. */
static int run_sessions(sctx *x, const sreq *q)
{
    return cli_store_sessions(x, arg_at(q, 1), q->limit);
}

/* `devices USER`. */
static int run_devices(sctx *x, const sreq *q)
{
    return cli_store_devices(x, arg_at(q, 1), q->limit);
}

/* `revoke user USER [--before T] [--except HANDLE]`: check. */
static int check_revoke_user(const sctx *x, sreq *q, size_t *want)
{
    if (check_user(x, arg_at(q, 2)) ||
        (q->except && parse_hex(x, "--except HANDLE", q->except, q->key.b, sizeof q->key.b)))
        return EX_USAGE;
    if (q->before && cli_parse_i64(q->before, &q->t))
        return cli_fail(EX_USAGE, x->cmd, "--before wants seconds since the epoch");
    *want = 3;
    return EX_OK;
}

/* `revoke session|family|user|device ...`: check. */
static int check_revoke(const sctx *x, sreq *q, size_t *want)
{
    const char *what = arg_at(q, 1), *a2 = arg_at(q, 2);
    if (!what)
        return cli_fail(EX_USAGE, x->cmd, "revoke what? session, family, user or device");
    if (!strcmp(what, "session")) {
        if (parse_hex(x, "HANDLE", a2, q->key.b, sizeof q->key.b))
            return EX_USAGE;
        *want = 3;
    } else if (!strcmp(what, "family")) {
        if (parse_hex(x, "FAMILY", a2, q->fam.b, sizeof q->fam.b))
            return EX_USAGE;
        *want = 3;
    } else if (!strcmp(what, "user")) {
        return check_revoke_user(x, q, want);
    } else if (!strcmp(what, "device")) {
        if (check_user(x, a2) || parse_hex(x, "DEVICE", arg_at(q, 3), q->dev.b, sizeof q->dev.b))
            return EX_USAGE;
        *want = 4;
    } else {
        return cli_fail(EX_USAGE, x->cmd, "revoke session, family, user or device, not '%s'",
                        what);
    }
    return EX_OK;
}

/* `revoke ...`: kept --keep seconds from now. */
static int run_revoke(sctx *x, const sreq *q)
{
    const char *what = arg_at(q, 1), *a2 = arg_at(q, 2);
    /* saturate: a huge --keep means "for good", never a wrapped past time */
    int64_t until = x->now > 0 && q->keep_s > INT64_MAX - x->now ? INT64_MAX : x->now + q->keep_s;
    crumb_err e;
    if (!strcmp(what, "session"))
        e = crumb_store_revoke_session(x->s, &q->key, until, x->now);
    else if (!strcmp(what, "family"))
        e = crumb_store_revoke_family(x->s, &q->fam, until, x->now);
    else if (!strcmp(what, "user"))
        e = crumb_store_revoke_user(x->s, x->tenant, a2, q->t, q->except ? &q->key : NULL,
                                    until, x->now);
    else
        e = crumb_store_revoke_device(x->s, x->tenant, a2, &q->dev, until, x->now);
    if (e != CRUMB_OK)
        return cli_store_fail(x, e);
    if (!strcmp(what, "device"))
        printf("revoked device %s of %s\n", arg_at(q, 3), a2);
    else
        printf("revoked %s %s\n", what, a2);
    return EX_OK;
}

/* `not-before [T]`: check. */
static int check_not_before(const sctx *x, sreq *q, size_t *want)
{
    const char *a1 = arg_at(q, 1);
    if (a1 && cli_parse_i64(a1, &q->t))
        return cli_fail(EX_USAGE, x->cmd, "not-before wants seconds since the epoch");
    *want = a1 ? 2 : 1;
    return EX_OK;
}

/* `not-before [T]`. */
static int run_not_before(sctx *x, const sreq *q)
{
    crumb_err e = crumb_store_revoke_all(x->s, q->t, x->now);
    char tb[64];
    cli_time(tb, q->t);
    if (e != CRUMB_OK)
        return cli_store_fail(x, e);
    printf("not-before %s\n", tb);
    return EX_OK;
}

/* `forget-device USER DEVICE`, `record-device USER DEVICE`: check. */
static int check_user_device(const sctx *x, sreq *q, size_t *want)
{
    if (check_user(x, arg_at(q, 1)) ||
        parse_hex(x, "DEVICE", arg_at(q, 2), q->dev.b, sizeof q->dev.b))
        return EX_USAGE;
    *want = 3;
    return EX_OK;
}

/* `trust USER DEVICE LEVEL`: check. */
static int check_trust(const sctx *x, sreq *q, size_t *want)
{
    const char *a3 = arg_at(q, 3);
    if (check_user_device(x, q, want) != EX_OK)
        return EX_USAGE;
    for (int l = 0; l <= 3; l++)
        if (a3 && !strcmp(a3, cli_trust_name(l)))
            q->trust = l;
    if (q->trust < 0)
        return cli_fail(EX_USAGE, x->cmd, "LEVEL: unknown, seen, trusted or revoked");
    *want = 4;
    return EX_OK;
}

/* `trust USER DEVICE LEVEL`. */
static int run_trust(sctx *x, const sreq *q)
{
    const char *a1 = arg_at(q, 1);
    crumb_err e = crumb_store_device_set_trust(x->s, x->tenant, a1, &q->dev, q->trust, x->now);
    if (e == CRUMB_E_NOTFOUND)
        return cli_fail(EX_STORE, x->cmd, "no such device for %s", a1);
    if (e != CRUMB_OK)
        return cli_store_fail(x, e);
    printf("device %s %s\n", arg_at(q, 2), cli_trust_name(q->trust));
    return EX_OK;
}

/* `forget-device USER DEVICE`. */
static int run_forget_device(sctx *x, const sreq *q)
{
    const char *a1 = arg_at(q, 1);
    crumb_store_device cur;
    /* deletes are idempotent; tell the operator about a typo all the same */
    crumb_err e = crumb_store_device_get(x->s, x->tenant, a1, &q->dev, &cur);
    if (e == CRUMB_OK || e == CRUMB_E_UNSUPPORTED)
        e = crumb_store_device_delete(x->s, x->tenant, a1, &q->dev);
    if (e == CRUMB_E_NOTFOUND)
        return cli_fail(EX_STORE, x->cmd, "no such device for %s", a1);
    if (e != CRUMB_OK)
        return cli_store_fail(x, e);
    printf("device %s forgotten\n", arg_at(q, 2));
    return EX_OK;
}

/* `record-device USER DEVICE [--label L] [--ip PREFIX]`. */
static int run_record_device(sctx *x, const sreq *q)
{
    crumb_store_sighting sg;
    memset(&sg, 0, sizeof sg);
    sg.device = q->dev;
    sg.label = q->label;
    sg.ip_prefix = q->ip;
    crumb_err e = crumb_store_device_seen(x->s, x->tenant, arg_at(q, 1), &sg, x->now, NULL);
    if (e != CRUMB_OK)
        return cli_store_fail(x, e);
    printf("device %s recorded\n", arg_at(q, 2));
    return EX_OK;
}

/* The hex ids --handle / --session, --family, --device (named handle_opt
 * for the first in messages); 0 or -1 (reported). */
static int parse_id_opts(const sctx *x, sreq *q, const char *handle_opt)
{
    if ((q->handle && parse_hex(x, handle_opt, q->handle, q->key.b, sizeof q->key.b)) ||
        (q->family && parse_hex(x, "--family", q->family, q->fam.b, sizeof q->fam.b)) ||
        (q->device && parse_hex(x, "--device", q->device, q->dev.b, sizeof q->dev.b)))
        return -1;
    return 0;
}

/* `record-session USER --expires T ...`: check. */
static int check_record_session(const sctx *x, sreq *q, size_t *want)
{
    if (check_user(x, arg_at(q, 1)))
        return EX_USAGE;
    if (!q->expires || cli_parse_i64(q->expires, &q->t))
        return cli_fail(EX_USAGE, x->cmd, "--expires T (seconds since the epoch) required");
    if (parse_id_opts(x, q, "--handle"))
        return EX_USAGE;
    *want = 2;
    return EX_OK;
}

/* `record-session USER --expires T ...`: prints the handle (random unless
 * --handle; the family too unless --family). */
static int run_record_session(sctx *x, const sreq *q)
{
    crumb_store_session_info info;
    crumb_store_key key = q->key;
    crumb_store_id fam = q->fam;
    crumb_err e = CRUMB_OK;
    memset(&info, 0, sizeof info);
    uint8_t rnd[CRUMB_KEYBYTES];
    if (!q->handle)
        e = crumb_key_generate(key.b); /* a store key is 32 bytes, as a key */
    if (e == CRUMB_OK && !q->family) {
        e = crumb_key_generate(rnd);
        memcpy(fam.b, rnd, sizeof fam.b);
    }
    info.family = fam;
    info.session = key;
    info.device = q->dev;
    info.created = info.last_seen = x->now;
    info.expires_at = q->t;
    if (q->label)
        snprintf(info.label, sizeof info.label, "%s", q->label);
    if (e == CRUMB_OK)
        e = crumb_store_index_put(x->s, x->tenant, arg_at(q, 1), &info, x->now);
    if (e != CRUMB_OK)
        return cli_store_fail(x, e);
    char h[2 * CRUMB_STORE_KEYBYTES + 1];
    cli_hex(h, key.b, sizeof key.b);
    printf("%s\n", h);
    return EX_OK;
}

/* `check [--session H] [--family F] [--user U] [--device D] [--issued-at T]`:
 * check. */
static int check_check(const sctx *x, sreq *q, size_t *want)
{
    (void)want; /* no positional arguments */
    if (parse_id_opts(x, q, "--session"))
        return EX_USAGE;
    if (q->issued && cli_parse_i64(q->issued, &q->t))
        return cli_fail(EX_USAGE, x->cmd, "--issued-at wants seconds");
    if (q->device && !q->user)
        return cli_fail(EX_USAGE, x->cmd, "--device needs --user");
    if (q->user && check_user(x, q->user))
        return EX_USAGE;
    return EX_OK;
}

/* `check ...`: exit 0 if allowed, 1 if revoked. */
static int run_check(sctx *x, const sreq *q)
{
    crumb_store_check_req cq;
    crumb_store_check_res res;
    memset(&cq, 0, sizeof cq);
    cq.session = q->handle ? &q->key : NULL;
    cq.family = q->family ? &q->fam : NULL;
    cq.tenant = x->tenant;
    cq.user = q->user;
    cq.device = q->device ? &q->dev : NULL;
    cq.issued_at = q->t;
    cq.now = x->now;
    crumb_err e = crumb_store_check(x->s, &cq, &res);
    if (e != CRUMB_OK && e != CRUMB_E_REVOKED)
        return cli_store_fail(x, e);
    cli_store_print_check(x, e, &res, q->family != NULL);
    return e == CRUMB_OK ? EX_OK : EX_REJECT;
}

/* `sweep [--*-days N]`. */
static int run_sweep(sctx *x, const sreq *q)
{
    crumb_store_sweep_counts counts;
    crumb_err e = crumb_store_sweep(x->s, x->now, &q->ret, &counts);
    if (e != CRUMB_OK)
        return cli_store_fail(x, e);
    cli_store_print_counts(x, &counts);
    return EX_OK;
}

/* `fsck [--repair]`. */
static int run_fsck(sctx *x, const sreq *q)
{
    return do_fsck(x, q->repair, &q->ret);
}

/* `stats`. */
static int run_stats(sctx *x, const sreq *q)
{
    crumb_store_stats st;
    (void)q;
    crumb_err e = crumb_store_stats_get(x->s, &st);
    if (e != CRUMB_OK)
        return cli_store_fail(x, e);
    cli_store_print_stats(x, &st);
    return EX_OK;
}

/* `health`. */
static int run_health(sctx *x, const sreq *q)
{
    (void)q;
    crumb_err e = crumb_store_health(x->s, x->now);
    if (e != CRUMB_OK)
        return cli_store_fail(x, e);
    printf("ok\n");
    return EX_OK;
}

/* The subcommands: check (NULL: no positional arguments) and run. */
static const struct store_sub {
    const char *name;
    int (*check)(const sctx *x, sreq *q, size_t *want);
    int (*run)(sctx *x, const sreq *q);
} store_subs[] = {
    {"sessions", check_user_arg, run_sessions},
    {"devices", check_user_arg, run_devices},
    {"revoke", check_revoke, run_revoke},
    {"not-before", check_not_before, run_not_before},
    {"trust", check_trust, run_trust},
    {"forget-device", check_user_device, run_forget_device},
    {"check", check_check, run_check},
    {"record-session", check_record_session, run_record_session},
    {"record-device", check_user_device, run_record_device},
    {"sweep", NULL, run_sweep},
    {"stats", NULL, run_stats},
    {"health", NULL, run_health},
    {"fsck", NULL, run_fsck},
};

/* ==== Driver =========================================================== */

/* Open the store q names; EX_OK or EX_STORE (reported). */
static int open_or_fail(sctx *x, const sreq *q)
{
    crumb_err e = open_store(x, q->file, q->redis, q->prefix);
    if (e == CRUMB_OK)
        return EX_OK;
    if (q->redis)
        return cli_fail(EX_STORE, x->cmd, "cannot open %s: %s", q->redis, cli_strerror(e));
    if (e == CRUMB_E_INVALID)
        return cli_fail(EX_STORE, x->cmd, "%s: bad path or permissions too open (the "
                                          "directory must be 0700)", q->file);
    return cli_fail(EX_STORE, x->cmd, "cannot open %s: %s", q->file, cli_strerror(e));
}

/* Validate sub's arguments (all of them before touching the store), open
 * the store, run sub, close; returns the exit code. */
static int store_run(sctx *x, sreq *q, const struct store_sub *sub)
{
    size_t want_pos = 1;
    int rc;
    if ((rc = check_common(x, q)) != EX_OK)
        return rc;
    if (sub->check && (rc = sub->check(x, q, &want_pos)) != EX_OK)
        return rc;
    if (q->npos > want_pos)
        return cli_fail(EX_USAGE, x->cmd, "unexpected argument '%s'", q->pos[want_pos]);
    if ((rc = check_days(x, q)) != EX_OK || (rc = open_or_fail(x, q)) != EX_OK)
        return rc;
    rc = sub->run(x, q);
    crumb_store_close(x->s);
    if (fflush(stdout) != 0 && rc == EX_OK)
        rc = cli_fail(EX_IO, x->cmd, "cannot write stdout");
    return rc;
}

/* see cli.h */
int cmd_store(int argc, char **argv)
{
    sctx x = {0};
    sreq q;
    int rc;
    memset(&q, 0, sizeof q);
    q.limit = 100;
    x.cmd = "store";
    for (int i = 1; i < argc; i++)
        if ((rc = store_arg(&x, &q, argc, argv, &i)) != STORE_GO)
            return rc;
    if (q.npos == 0) {
        fputs(store_help, stderr);
        return EX_USAGE;
    }
    const struct store_sub *sub = NULL;
    for (size_t si = 0; si < sizeof store_subs / sizeof store_subs[0]; si++)
        if (strcmp(q.pos[0], store_subs[si].name) == 0)
            sub = &store_subs[si];
    if (!sub)
        return cli_fail(EX_USAGE, "store", "unknown command '%s' (see crumb store --help)",
                        q.pos[0]);
    if (q.repair && strcmp(sub->name, "fsck") != 0)
        return cli_fail(EX_USAGE, "store", "--repair goes with fsck only");
    char cmdname[48];
    snprintf(cmdname, sizeof cmdname, "store %s", sub->name);
    x.cmd = cmdname;
    return store_run(&x, &q, sub);
}
