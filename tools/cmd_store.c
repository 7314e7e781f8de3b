/*
 * cmd_store.c - `crumb store`: administer a session store through the
 * public store interface (crumb_store.h): list a user's sessions and
 * devices, revoke a session / family / user / device, set the global
 * not-before, change device trust, sweep, stats, health and fsck.
 */
#include "cli.h"

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

/* State shared by the store subcommands. */
typedef struct sctx {
    crumb_store *s;
    const char *tenant;
    int json;
    int64_t now;
    const char *cmd;
} sctx;

/* Report a store error; returns EX_STORE (EX_USAGE for bad arguments). */
static int store_fail(const sctx *x, crumb_err e)
{
    if (e == CRUMB_E_UNSUPPORTED)
        return cli_fail(EX_STORE, x->cmd, "the %s store does not support this",
                        crumb_store_name(x->s));
    if (e == CRUMB_E_INVALID)
        return cli_fail(EX_USAGE, x->cmd, "store refused the arguments: %s",
                        cli_strerror(e));
    return cli_fail(EX_STORE, x->cmd, "%s", cli_strerror(e));
}

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

/* Name of a trust level. */
static const char *trust_name(int t)
{
    switch (t) {
    case CRUMB_TRUST_UNKNOWN: return "unknown";
    case CRUMB_TRUST_SEEN: return "seen";
    case CRUMB_TRUST_TRUSTED: return "trusted";
    case CRUMB_TRUST_REVOKED: return "revoked";
    default: return "?";
    }
}

/* Name of a check rule. */
static const char *rule_name(int r)
{
    switch (r) {
    case CRUMB_STORE_RULE_NONE: return "none";
    case CRUMB_STORE_RULE_SESSION: return "session";
    case CRUMB_STORE_RULE_FAMILY: return "family";
    case CRUMB_STORE_RULE_USER: return "user";
    case CRUMB_STORE_RULE_DEVICE: return "device";
    case CRUMB_STORE_RULE_GLOBAL: return "global";
    default: return "?";
    }
}

/* 1 if all n bytes are zero. */
static int all_zero(const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (b[i])
            return 0;
    return 1;
}

/* `sessions USER`. */
static int do_sessions(const sctx *x, const char *user, size_t limit)
{
    crumb_store_session_info *v = calloc(limit ? limit : 1, sizeof *v);
    size_t n = 0;
    if (!v)
        return cli_fail(EX_INTERNAL, x->cmd, "out of memory");
    crumb_err e = crumb_store_index_list(x->s, x->tenant, user, v, limit, &n, x->now);
    if (e != CRUMB_OK) {
        free(v);
        return store_fail(x, e);
    }
    size_t shown = n < limit ? n : limit;
    if (x->json)
        printf("{\"user\":");
    if (x->json) {
        cli_json_str(stdout, user, strlen(user));
        printf(",\"total\":%zu,\"sessions\":[", n);
    } else {
        printf("%zu session%s\n", n, n == 1 ? "" : "s");
    }
    for (size_t i = 0; i < shown; i++) {
        char h[2 * CRUMB_STORE_KEYBYTES + 1], f[2 * CRUMB_STORE_IDBYTES + 1],
            d[2 * CRUMB_STORE_IDBYTES + 1], t1[64], t2[64], t3[64];
        crumb__hex(h, v[i].session.b, CRUMB_STORE_KEYBYTES);
        crumb__hex(f, v[i].family.b, CRUMB_STORE_IDBYTES);
        if (all_zero(v[i].device.b, CRUMB_STORE_IDBYTES))
            d[0] = '\0';
        else
            crumb__hex(d, v[i].device.b, CRUMB_STORE_IDBYTES);
        if (x->json) {
            printf("%s{\"handle\":\"%s\",\"family\":\"%s\",\"device\":\"%s\",\"created\":%lld,"
                   "\"last_seen\":%lld,\"expires_at\":%lld,\"label\":",
                   i ? "," : "", h, f, d, (long long)v[i].created, (long long)v[i].last_seen,
                   (long long)v[i].expires_at);
            cli_json_str(stdout, v[i].label, strnlen(v[i].label, sizeof v[i].label));
            putchar('}');
            continue;
        }
        cli_time(t1, v[i].created);
        cli_time(t2, v[i].last_seen);
        cli_time(t3, v[i].expires_at);
        printf("session %s\n  family    %s\n  device    %s\n  label     ", h, f,
               d[0] ? d : "(none)");
        cli_print_bytes(stdout, (const uint8_t *)v[i].label,
                        strnlen(v[i].label, sizeof v[i].label));
        printf("\n  created   %s\n  last seen %s\n  expires   %s\n", t1, t2, t3);
    }
    if (x->json)
        printf("]}\n");
    else if (shown < n)
        printf("(%zu more; raise --limit)\n", n - shown);
    free(v);
    return EX_OK;
}

/* `devices USER`. */
static int do_devices(const sctx *x, const char *user, size_t limit)
{
    crumb_store_device *v = calloc(limit ? limit : 1, sizeof *v);
    size_t n = 0;
    if (!v)
        return cli_fail(EX_INTERNAL, x->cmd, "out of memory");
    crumb_err e = crumb_store_device_list(x->s, x->tenant, user, v, limit, &n);
    if (e != CRUMB_OK) {
        free(v);
        return store_fail(x, e);
    }
    size_t shown = n < limit ? n : limit;
    if (x->json) {
        printf("{\"user\":");
        cli_json_str(stdout, user, strlen(user));
        printf(",\"total\":%zu,\"devices\":[", n);
    } else {
        printf("%zu device%s\n", n, n == 1 ? "" : "s");
    }
    for (size_t i = 0; i < shown; i++) {
        char d[2 * CRUMB_STORE_IDBYTES + 1], t1[64], t2[64], t3[64];
        size_t ll = strnlen(v[i].label, sizeof v[i].label);
        size_t il = strnlen(v[i].ip_prefix, sizeof v[i].ip_prefix);
        crumb__hex(d, v[i].device.b, CRUMB_STORE_IDBYTES);
        if (x->json) {
            printf("%s{\"device\":\"%s\",\"trust\":\"%s\",\"first_seen\":%lld,"
                   "\"last_seen\":%lld,\"trust_changed_at\":%lld,\"label\":",
                   i ? "," : "", d, trust_name(v[i].trust), (long long)v[i].first_seen,
                   (long long)v[i].last_seen, (long long)v[i].trust_changed_at);
            cli_json_str(stdout, v[i].label, ll);
            printf(",\"ip_prefix\":");
            cli_json_str(stdout, v[i].ip_prefix, il);
            putchar('}');
            continue;
        }
        cli_time(t1, v[i].first_seen);
        cli_time(t2, v[i].last_seen);
        cli_time(t3, v[i].trust_changed_at);
        printf("device %s\n  trust      %s\n  label      ", d, trust_name(v[i].trust));
        cli_print_bytes(stdout, (const uint8_t *)v[i].label, ll);
        printf("\n  ip prefix  ");
        cli_print_bytes(stdout, (const uint8_t *)v[i].ip_prefix, il);
        printf("\n  first seen %s\n  last seen  %s\n", t1, t2);
        if (v[i].trust_changed_at)
            printf("  trust set  %s\n", t3);
    }
    if (x->json)
        printf("]}\n");
    else if (shown < n)
        printf("(%zu more; raise --limit)\n", n - shown);
    free(v);
    return EX_OK;
}

/* Print sweep counts (human or JSON). */
static void print_counts(const sctx *x, const crumb_store_sweep_counts *c)
{
    const struct {
        const char *name;
        uint64_t v;
    } rows[] = {
        {"sessions", c->sessions},
        {"index_entries", c->index_entries},
        {"revocations", c->revocations},
        {"families", c->families},
        {"devices_demoted", c->devices_demoted},
        {"devices_revoked", c->devices_revoked},
        {"devices_purged", c->devices_purged},
        {"corrupt", c->corrupt},
        {"temp_files", c->temp_files},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        if (x->json)
            printf("%s\"%s\":%llu", i ? "," : "{", rows[i].name, (unsigned long long)rows[i].v);
        else
            printf("%-16s %llu\n", rows[i].name, (unsigned long long)rows[i].v);
    }
    if (x->json)
        printf("}\n");
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
            return store_fail(x, e);
        print_counts(x, &counts);
        vr.left = counts.corrupt;
    } else if (e != CRUMB_OK && e != CRUMB_E_CORRUPT) {
        return store_fail(x, e);
    } else {
        const struct {
            const char *name;
            uint64_t v;
        } rows[] = {{"records", vr.records}, {"corrupt", vr.corrupt}, {"repaired", vr.repaired},
                    {"removed", vr.removed}, {"left", vr.left}};
        for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
            if (x->json)
                printf("%s\"%s\":%llu", i ? "," : "{", rows[i].name,
                       (unsigned long long)rows[i].v);
            else
                printf("%-16s %llu\n", rows[i].name, (unsigned long long)rows[i].v);
        }
        if (x->json)
            printf("}\n");
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

/* see cli.h */
int cmd_store(int argc, char **argv)
{
    cli_common c = {0};
    sctx x = {0};
    const char *file = NULL, *redis = NULL, *v;
    const char *pos[4] = {0};
    size_t npos = 0, limit = 100;
    const char *before = NULL, *except = NULL, *keep = NULL, *expires = NULL, *handle = NULL;
    const char *family = NULL, *device = NULL, *label = NULL, *ip = NULL, *user = NULL;
    const char *issued = NULL, *days[3] = {0}, *prefix = NULL;
    int r, repair = 0;
    x.cmd = "store";
    for (int i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            fputs(store_help, stdout);
            return EX_OK;
        }
        if (strcmp(argv[i], "--repair") == 0) {
            repair = 1;
            continue;
        }
        if ((r = cli_common_opt(&c, "store", argc, argv, &i)) != 0) {
            if (r < 0)
                return EX_USAGE;
            continue;
        }
        struct {
            const char *name;
            const char **dst;
        } opts[] = {
            {"--file", &file},       {"--redis", &redis},
            {"--tenant", &x.tenant}, {"--before", &before},
            {"--except", &except},   {"--keep", &keep},
            {"--expires", &expires}, {"--handle", &handle},
            {"--session", &handle},  {"--family", &family},
            {"--device", &device},   {"--label", &label},
            {"--ip", &ip},           {"--user", &user},
            {"--issued-at", &issued}, {"--trusted-days", &days[0]},
            {"--seen-days", &days[1]}, {"--revoked-days", &days[2]},
            {"--limit", &v},         {"--prefix", &prefix},
        };
        size_t k;
        r = 0;
        for (k = 0; k < sizeof opts / sizeof opts[0]; k++)
            if ((r = cli_opt(argc, argv, &i, opts[k].name, opts[k].dst)) != 0)
                break;
        if (r < 0)
            return cli_fail(EX_USAGE, "store", "option %s needs a value", opts[k].name);
        if (r > 0) {
            uint64_t lim;
            if (opts[k].dst == &v) {
                if (cli_parse_u64(v, &lim) != 0 || lim == 0 || lim > LIST_MAX)
                    return cli_fail(EX_USAGE, "store", "--limit wants 1..%u", LIST_MAX);
                limit = (size_t)lim;
            }
            continue;
        }
        if (argv[i][0] == '-' && argv[i][1] != '\0')
            return cli_fail(EX_USAGE, "store", "unknown option %s (see crumb store --help)",
                            argv[i]);
        else if (npos < sizeof pos / sizeof pos[0])
            pos[npos++] = argv[i];
        else
            return cli_fail(EX_USAGE, "store", "unexpected argument '%s'", argv[i]);
    }
    if (npos == 0) {
        fputs(store_help, stderr);
        return EX_USAGE;
    }
    const char *sub = pos[0];
    static const char *const subs[] = {"sessions", "devices", "revoke", "not-before", "trust",
                                       "forget-device", "check", "record-session",
                                       "record-device", "sweep", "stats", "health", "fsck"};
    size_t si;
    for (si = 0; si < sizeof subs / sizeof subs[0]; si++)
        if (strcmp(sub, subs[si]) == 0)
            break;
    if (si == sizeof subs / sizeof subs[0])
        return cli_fail(EX_USAGE, "store", "unknown command '%s' (see crumb store --help)", sub);
    if (repair && strcmp(sub, "fsck") != 0)
        return cli_fail(EX_USAGE, "store", "--repair goes with fsck only");
    char cmdname[48];
    snprintf(cmdname, sizeof cmdname, "store %s", sub);
    x.cmd = cmdname;
#if !(defined(CRUMB_HAVE_REDIS) && CRUMB_HAVE_REDIS)
    if (redis)
        return cli_fail(EX_USAGE, x.cmd, "--redis: this build has no Redis store "
                                         "(build with make REDIS=on)");
#endif
    if (!file == !redis)
        return cli_fail(EX_USAGE, x.cmd, "which store? pass --file DIR or --redis URL");
    if (x.tenant && strlen(x.tenant) > CRUMB_STORE_NAME_MAX)
        return cli_fail(EX_USAGE, x.cmd, "--tenant is longer than %u bytes",
                        CRUMB_STORE_NAME_MAX);
    x.json = c.json;
    x.now = cli_now(&c);
    int64_t keep_s = DEFAULT_KEEP;
    if (keep && (cli_parse_i64(keep, &keep_s) != 0 || keep_s <= 0))
        return cli_fail(EX_USAGE, x.cmd, "--keep wants seconds > 0");

    /* validate the arguments before touching the store */
    crumb_store_key key = {{0}};
    crumb_store_id fam = {{0}}, dev = {{0}};
    int64_t t = x.now;
    int trust = -1;
    const char *a1 = npos > 1 ? pos[1] : NULL, *a2 = npos > 2 ? pos[2] : NULL;
    const char *a3 = npos > 3 ? pos[3] : NULL;
    size_t want_pos = 1;
    if (!strcmp(sub, "sessions") || !strcmp(sub, "devices")) {
        if (check_user(&x, a1))
            return EX_USAGE;
        want_pos = 2;
    } else if (!strcmp(sub, "revoke")) {
        if (!a1)
            return cli_fail(EX_USAGE, x.cmd, "revoke what? session, family, user or device");
        if (!strcmp(a1, "session")) {
            if (parse_hex(&x, "HANDLE", a2, key.b, sizeof key.b))
                return EX_USAGE;
            want_pos = 3;
        } else if (!strcmp(a1, "family")) {
            if (parse_hex(&x, "FAMILY", a2, fam.b, sizeof fam.b))
                return EX_USAGE;
            want_pos = 3;
        } else if (!strcmp(a1, "user")) {
            if (check_user(&x, a2) ||
                (except && parse_hex(&x, "--except HANDLE", except, key.b, sizeof key.b)))
                return EX_USAGE;
            if (before && cli_parse_i64(before, &t))
                return cli_fail(EX_USAGE, x.cmd, "--before wants seconds since the epoch");
            want_pos = 3;
        } else if (!strcmp(a1, "device")) {
            if (check_user(&x, a2) || parse_hex(&x, "DEVICE", a3, dev.b, sizeof dev.b))
                return EX_USAGE;
            want_pos = 4;
        } else {
            return cli_fail(EX_USAGE, x.cmd, "revoke session, family, user or device, not '%s'",
                            a1);
        }
    } else if (!strcmp(sub, "not-before")) {
        if (a1 && cli_parse_i64(a1, &t))
            return cli_fail(EX_USAGE, x.cmd, "not-before wants seconds since the epoch");
        want_pos = a1 ? 2 : 1;
    } else if (!strcmp(sub, "trust") || !strcmp(sub, "forget-device") ||
               !strcmp(sub, "record-device")) {
        if (check_user(&x, a1) || parse_hex(&x, "DEVICE", a2, dev.b, sizeof dev.b))
            return EX_USAGE;
        want_pos = 3;
        if (!strcmp(sub, "trust")) {
            for (int l = 0; l <= 3; l++)
                if (a3 && !strcmp(a3, trust_name(l)))
                    trust = l;
            if (trust < 0)
                return cli_fail(EX_USAGE, x.cmd, "LEVEL: unknown, seen, trusted or revoked");
            want_pos = 4;
        }
    } else if (!strcmp(sub, "record-session")) {
        if (check_user(&x, a1))
            return EX_USAGE;
        if (!expires || cli_parse_i64(expires, &t))
            return cli_fail(EX_USAGE, x.cmd, "--expires T (seconds since the epoch) required");
        if ((handle && parse_hex(&x, "--handle", handle, key.b, sizeof key.b)) ||
            (family && parse_hex(&x, "--family", family, fam.b, sizeof fam.b)) ||
            (device && parse_hex(&x, "--device", device, dev.b, sizeof dev.b)))
            return EX_USAGE;
        want_pos = 2;
    } else if (!strcmp(sub, "check")) {
        if ((handle && parse_hex(&x, "--session", handle, key.b, sizeof key.b)) ||
            (family && parse_hex(&x, "--family", family, fam.b, sizeof fam.b)) ||
            (device && parse_hex(&x, "--device", device, dev.b, sizeof dev.b)))
            return EX_USAGE;
        if (issued && cli_parse_i64(issued, &t))
            return cli_fail(EX_USAGE, x.cmd, "--issued-at wants seconds");
        if (device && !user)
            return cli_fail(EX_USAGE, x.cmd, "--device needs --user");
        if (user && check_user(&x, user))
            return EX_USAGE;
    }
    if (npos > want_pos)
        return cli_fail(EX_USAGE, x.cmd, "unexpected argument '%s'", pos[want_pos]);
    crumb_store_retention ret = {0};
    int64_t *rd[3] = {&ret.trusted_idle, &ret.seen_idle, &ret.revoked_grace};
    for (int d = 0; d < 3; d++) {
        if (days[d] && (cli_parse_i64(days[d], rd[d]) || *rd[d] <= 0 ||
                        *rd[d] > INT64_MAX / 86400))
            return cli_fail(EX_USAGE, x.cmd, "--*-days want whole days > 0");
        *rd[d] *= 86400; /* the store takes seconds */
    }

    crumb_err e = open_store(&x, file, redis, prefix);
    if (e != CRUMB_OK) {
        if (redis)
            return cli_fail(EX_STORE, x.cmd, "cannot open %s: %s", redis, cli_strerror(e));
        if (e == CRUMB_E_INVALID)
            return cli_fail(EX_STORE, x.cmd, "%s: bad path or permissions too open (the "
                                             "directory must be 0700)", file);
        return cli_fail(EX_STORE, x.cmd, "cannot open %s: %s", file, cli_strerror(e));
    }
    int rc = EX_OK;
    int64_t until = x.now + keep_s;
    if (!strcmp(sub, "sessions")) {
        rc = do_sessions(&x, a1, limit);
    } else if (!strcmp(sub, "devices")) {
        rc = do_devices(&x, a1, limit);
    } else if (!strcmp(sub, "revoke")) {
        if (!strcmp(a1, "session"))
            e = crumb_store_revoke_session(x.s, &key, until, x.now);
        else if (!strcmp(a1, "family"))
            e = crumb_store_revoke_family(x.s, &fam, until, x.now);
        else if (!strcmp(a1, "user"))
            e = crumb_store_revoke_user(x.s, x.tenant, a2, t, except ? &key : NULL, until,
                                        x.now);
        else
            e = crumb_store_revoke_device(x.s, x.tenant, a2, &dev, until, x.now);
        if (e != CRUMB_OK)
            rc = store_fail(&x, e);
        else if (!strcmp(a1, "device"))
            printf("revoked device %s of %s\n", a3, a2);
        else
            printf("revoked %s %s\n", a1, a2);
    } else if (!strcmp(sub, "not-before")) {
        e = crumb_store_revoke_all(x.s, t, x.now);
        char tb[64];
        cli_time(tb, t);
        if (e != CRUMB_OK)
            rc = store_fail(&x, e);
        else
            printf("not-before %s\n", tb);
    } else if (!strcmp(sub, "trust")) {
        e = crumb_store_device_set_trust(x.s, x.tenant, a1, &dev, trust, x.now);
        if (e == CRUMB_E_NOTFOUND)
            rc = cli_fail(EX_STORE, x.cmd, "no such device for %s", a1);
        else if (e != CRUMB_OK)
            rc = store_fail(&x, e);
        else
            printf("device %s %s\n", a2, trust_name(trust));
    } else if (!strcmp(sub, "forget-device")) {
        crumb_store_device cur;
        /* deletes are idempotent; tell the operator about a typo all the same */
        e = crumb_store_device_get(x.s, x.tenant, a1, &dev, &cur);
        if (e == CRUMB_OK || e == CRUMB_E_UNSUPPORTED)
            e = crumb_store_device_delete(x.s, x.tenant, a1, &dev);
        if (e == CRUMB_E_NOTFOUND)
            rc = cli_fail(EX_STORE, x.cmd, "no such device for %s", a1);
        else if (e != CRUMB_OK)
            rc = store_fail(&x, e);
        else
            printf("device %s forgotten\n", a2);
    } else if (!strcmp(sub, "record-device")) {
        crumb_store_sighting sg;
        memset(&sg, 0, sizeof sg);
        sg.device = dev;
        sg.label = label;
        sg.ip_prefix = ip;
        e = crumb_store_device_seen(x.s, x.tenant, a1, &sg, x.now, NULL);
        if (e != CRUMB_OK)
            rc = store_fail(&x, e);
        else
            printf("device %s recorded\n", a2);
    } else if (!strcmp(sub, "record-session")) {
        crumb_store_session_info info;
        memset(&info, 0, sizeof info);
        uint8_t rnd[CRUMB_KEYBYTES];
        if (!handle)
            e = crumb_key_generate(key.b); /* a store key is 32 bytes, as a key */
        if (e == CRUMB_OK && !family) {
            e = crumb_key_generate(rnd);
            memcpy(fam.b, rnd, sizeof fam.b);
        }
        info.family = fam;
        info.session = key;
        info.device = dev;
        info.created = info.last_seen = x.now;
        info.expires_at = t;
        if (label)
            snprintf(info.label, sizeof info.label, "%s", label);
        if (e == CRUMB_OK)
            e = crumb_store_index_put(x.s, x.tenant, a1, &info, x.now);
        if (e != CRUMB_OK) {
            rc = store_fail(&x, e);
        } else {
            char h[2 * CRUMB_STORE_KEYBYTES + 1];
            crumb__hex(h, key.b, sizeof key.b);
            printf("%s\n", h);
        }
    } else if (!strcmp(sub, "check")) {
        crumb_store_check_req q;
        crumb_store_check_res res;
        memset(&q, 0, sizeof q);
        q.session = handle ? &key : NULL;
        q.family = family ? &fam : NULL;
        q.tenant = x.tenant;
        q.user = user;
        q.device = device ? &dev : NULL;
        q.issued_at = t;
        q.now = x.now;
        e = crumb_store_check(x.s, &q, &res);
        if (e == CRUMB_OK || e == CRUMB_E_REVOKED) {
            if (x.json) {
                printf("{\"allowed\":%s,\"rule\":\"%s\",\"family_gen\":%llu,"
                       "\"family_advanced_at\":%lld,\"revoked_at\":%lld,\"owner\":",
                       e == CRUMB_OK ? "true" : "false", rule_name(res.rule),
                       (unsigned long long)res.family_gen, (long long)res.family_advanced_at,
                       (long long)res.revoked_at);
                cli_json_str(stdout, res.owner, strlen(res.owner));
                printf("}\n");
            } else if (e == CRUMB_OK) {
                printf("allowed\n");
            } else {
                printf("revoked (rule: %s)\n", rule_name(res.rule));
                if (res.owner[0] || res.revoked_at) /* seed 003's lookup answer */
                    printf("owner %s, revoked at %lld\n", res.owner[0] ? res.owner : "-",
                           (long long)res.revoked_at);
            }
            if (!x.json && family)
                printf("family generation %llu\n", (unsigned long long)res.family_gen);
            rc = e == CRUMB_OK ? EX_OK : EX_REJECT;
        } else {
            rc = store_fail(&x, e);
        }
    } else if (!strcmp(sub, "sweep")) {
        crumb_store_sweep_counts counts;
        e = crumb_store_sweep(x.s, x.now, &ret, &counts);
        if (e != CRUMB_OK)
            rc = store_fail(&x, e);
        else
            print_counts(&x, &counts);
    } else if (!strcmp(sub, "fsck")) {
        rc = do_fsck(&x, repair, &ret);
    } else if (!strcmp(sub, "stats")) {
        crumb_store_stats st;
        e = crumb_store_stats_get(x.s, &st);
        if (e != CRUMB_OK) {
            rc = store_fail(&x, e);
        } else {
            const struct {
                const char *name;
                uint64_t v;
            } rows[] = {
                {"sessions", st.sessions},       {"session_bytes", st.session_bytes},
                {"revocations", st.revocations}, {"families", st.families},
                {"devices", st.devices},         {"evictions", st.evictions},
                {"checks", st.checks},           {"corrupt", st.corrupt},
            };
            for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
                if (x.json)
                    printf("%s\"%s\":%llu", i ? "," : "{", rows[i].name,
                           (unsigned long long)rows[i].v);
                else
                    printf("%-14s %llu\n", rows[i].name, (unsigned long long)rows[i].v);
            }
            if (x.json)
                printf("}\n");
        }
    } else if (!strcmp(sub, "health")) {
        e = crumb_store_health(x.s, x.now);
        if (e != CRUMB_OK)
            rc = store_fail(&x, e);
        else
            printf("ok\n");
    }
    crumb_store_close(x.s);
    if (fflush(stdout) != 0 && rc == EX_OK)
        rc = cli_fail(EX_IO, x.cmd, "cannot write stdout");
    return rc;
}
