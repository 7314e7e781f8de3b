/*
 * store_show.c - what `crumb store` prints (cmd_store.c decides when): the
 * session and device listings, the counts of sweep, stats and fsck, and the
 * answer of check, each for humans or as JSON; and its store-error report.
 */
#include "cli.h"
#include "cmd_store.h"

#include <stdlib.h>
#include <string.h>

/* Close a listing: the JSON array, or how many entries --limit left out. */
static void list_end(const sctx *x, size_t shown, size_t n)
{
    if (x->json)
        printf("]}\n");
    else if (shown < n)
        printf("(%zu more; raise --limit)\n", n - shown);
}

/* see cmd_store.h */
int cli_store_fail(const sctx *x, crumb_err e)
{
    if (e == CRUMB_E_UNSUPPORTED)
        return cli_fail(EX_STORE, x->cmd, "the %s store does not support this",
                        crumb_store_name(x->s));
    if (e == CRUMB_E_INVALID)
        return cli_fail(EX_USAGE, x->cmd, "store refused the arguments: %s",
                        cli_strerror(e));
    return cli_fail(EX_STORE, x->cmd, "%s", cli_strerror(e));
}

/* see cmd_store.h */
const char *cli_trust_name(int t)
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

/* see cmd_store.h */
int cli_store_sessions(const sctx *x, const char *user, size_t limit)
{
    crumb_store_session_info *v = calloc(limit ? limit : 1, sizeof *v);
    size_t n = 0;
    if (!v)
        return cli_fail(EX_INTERNAL, x->cmd, "out of memory");
    crumb_err e = crumb_store_index_list(x->s, x->tenant, user, v, limit, &n, x->now);
    if (e != CRUMB_OK) {
        free(v);
        return cli_store_fail(x, e);
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
        cli_hex(h, v[i].session.b, CRUMB_STORE_KEYBYTES);
        cli_hex(f, v[i].family.b, CRUMB_STORE_IDBYTES);
        if (all_zero(v[i].device.b, CRUMB_STORE_IDBYTES))
            d[0] = '\0';
        else
            cli_hex(d, v[i].device.b, CRUMB_STORE_IDBYTES);
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
    list_end(x, shown, n);
    free(v);
    return EX_OK;
}

/* see cmd_store.h */
int cli_store_devices(const sctx *x, const char *user, size_t limit)
{
    crumb_store_device *v = calloc(limit ? limit : 1, sizeof *v);
    size_t n = 0;
    if (!v)
        return cli_fail(EX_INTERNAL, x->cmd, "out of memory");
    crumb_err e = crumb_store_device_list(x->s, x->tenant, user, v, limit, &n);
    if (e != CRUMB_OK) {
        free(v);
        return cli_store_fail(x, e);
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
        cli_hex(d, v[i].device.b, CRUMB_STORE_IDBYTES);
        if (x->json) {
            printf("%s{\"device\":\"%s\",\"trust\":\"%s\",\"first_seen\":%lld,"
                   "\"last_seen\":%lld,\"trust_changed_at\":%lld,\"label\":",
                   i ? "," : "", d, cli_trust_name(v[i].trust), (long long)v[i].first_seen,
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
        printf("device %s\n  trust      %s\n  label      ", d, cli_trust_name(v[i].trust));
        cli_print_bytes(stdout, (const uint8_t *)v[i].label, ll);
        printf("\n  ip prefix  ");
        cli_print_bytes(stdout, (const uint8_t *)v[i].ip_prefix, il);
        printf("\n  first seen %s\n  last seen  %s\n", t1, t2);
        if (v[i].trust_changed_at)
            printf("  trust set  %s\n", t3);
    }
    list_end(x, shown, n);
    free(v);
    return EX_OK;
}

/* One name/count row of a counts table. */
typedef struct count_row {
    const char *name;
    uint64_t v;
} count_row;

/* Print n rows as "name  count" lines padded to width, or as one JSON
 * object with --json. */
static void print_rows(const sctx *x, const count_row *rows, size_t n, int width)
{
    for (size_t i = 0; i < n; i++) {
        if (x->json)
            printf("%s\"%s\":%llu", i ? "," : "{", rows[i].name, (unsigned long long)rows[i].v);
        else
            printf("%-*s %llu\n", width, rows[i].name, (unsigned long long)rows[i].v);
    }
    if (x->json)
        printf("}\n");
}

/* see cmd_store.h */
void cli_store_print_counts(const sctx *x, const crumb_store_sweep_counts *c)
{
    const count_row rows[] = {
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
    print_rows(x, rows, sizeof rows / sizeof rows[0], 16);
}

/* see cmd_store.h */
void cli_store_print_verify(const sctx *x, const crumb_store_verify_report *vr)
{
    const count_row rows[] = {{"records", vr->records}, {"corrupt", vr->corrupt},
                              {"repaired", vr->repaired}, {"removed", vr->removed},
                              {"left", vr->left}};
    print_rows(x, rows, sizeof rows / sizeof rows[0], 16);
}

/* see cmd_store.h */
void cli_store_print_stats(const sctx *x, const crumb_store_stats *st)
{
    const count_row rows[] = {
        {"sessions", st->sessions},       {"session_bytes", st->session_bytes},
        {"revocations", st->revocations}, {"families", st->families},
        {"devices", st->devices},         {"evictions", st->evictions},
        {"checks", st->checks},           {"corrupt", st->corrupt},
    };
    print_rows(x, rows, sizeof rows / sizeof rows[0], 14);
}

/* see cmd_store.h */
void cli_store_print_check(const sctx *x, crumb_err e, const crumb_store_check_res *res,
                           int family)
{
    if (x->json) {
        printf("{\"allowed\":%s,\"rule\":\"%s\",\"family_gen\":%llu,"
               "\"family_advanced_at\":%lld,\"revoked_at\":%lld,\"owner\":",
               e == CRUMB_OK ? "true" : "false", rule_name(res->rule),
               (unsigned long long)res->family_gen, (long long)res->family_advanced_at,
               (long long)res->revoked_at);
        cli_json_str(stdout, res->owner, strlen(res->owner));
        printf("}\n");
    } else if (e == CRUMB_OK) {
        printf("allowed\n");
    } else {
        printf("revoked (rule: %s)\n", rule_name(res->rule));
        if (res->owner[0] || res->revoked_at) /* seed 003's lookup answer */
            printf("owner %s, revoked at %lld\n", res->owner[0] ? res->owner : "-",
                   (long long)res->revoked_at);
    }
    if (!x->json && family)
        printf("family generation %llu\n", (unsigned long long)res->family_gen);
}
