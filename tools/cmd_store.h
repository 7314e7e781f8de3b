/*
 * cmd_store.h - what the two halves of `crumb store` share: the state of a
 * run, and the printers of store_show.c that cmd_store.c calls.
 */
#ifndef CRUMB_CLI_CMD_STORE_H
#define CRUMB_CLI_CMD_STORE_H

#include "cli.h"

/* State shared by the store subcommands. */
typedef struct sctx {
    crumb_store *s;     /* the open store */
    const char *tenant; /* --tenant (NULL: none) */
    int json;           /* --json */
    int64_t now;        /* --now, or the time the command started */
    const char *cmd;    /* "store <subcommand>", for messages */
} sctx;

/* Report a store error on stderr; returns EX_STORE (EX_USAGE for
 * CRUMB_E_INVALID: the store refused the arguments). */
int cli_store_fail(const sctx *x, crumb_err e);

/* Name of a trust level ("?" if unknown). */
const char *cli_trust_name(int t);

/* `sessions USER` / `devices USER`: fetch and print at most limit entries
 * (limit >= 1), newest first. Returns an exit code (errors reported). */
int cli_store_sessions(const sctx *x, const char *user, size_t limit);
int cli_store_devices(const sctx *x, const char *user, size_t limit);

/* Print the counts of a sweep, of a verify (fsck), or the store's stats. */
void cli_store_print_counts(const sctx *x, const crumb_store_sweep_counts *c);
void cli_store_print_verify(const sctx *x, const crumb_store_verify_report *vr);
void cli_store_print_stats(const sctx *x, const crumb_store_stats *st);

/* Print the answer e (CRUMB_OK or CRUMB_E_REVOKED) and res of `check`;
 * family = 1 adds the family generation to the human form. */
void cli_store_print_check(const sctx *x, crumb_err e, const crumb_store_check_res *res,
                           int family);

#endif /* CRUMB_CLI_CMD_STORE_H */
