/*
 * cli.h - shared pieces of the `crumb` command-line tool: exit codes,
 * option matching, key-ring loading, atomic file writes, output helpers,
 * auth-state and factor names, and the entry point of each subcommand.
 * Uses only the public API.
 */
#ifndef CRUMB_CLI_H
#define CRUMB_CLI_H

#include "crumb.h"
#include "crumb_inspect.h"
#include "crumb_store.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Exit codes (documented in docs/CLI.md and `crumb --help`). */
#define EX_OK 0       /* success */
#define EX_REJECT 1   /* token rejected: bad, expired, revoked, wrong key */
#define EX_USAGE 2    /* usage error: unknown option, bad value */
#define EX_IO 3       /* I/O or key-file error */
#define EX_STORE 4    /* store error */
#define EX_INTERNAL 5 /* out of memory, RNG failure, suite not built in, bug */

/* Options every key-using subcommand understands. */
typedef struct cli_common {
    const char *keys;     /* --keys FILE (default: $CRUMB_KEYFILE) */
    const char *keys_env; /* --keys-env VAR */
    const char *cookie;   /* --cookie NAME (default "session") */
    const char *purpose;  /* --purpose P (default "session") */
    const char *audience; /* --audience A (default none) */
    int suite;            /* --suite (0 = library default) */
    int have_now;         /* --now given */
    int64_t now;          /* --now T */
    int json;             /* --json */
} cli_common;

/* Print "crumb: <cmd>: <message>" on stderr; returns code. */
int cli_fail(int code, const char *cmd, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* crumb_strerror for a crumb_err (an explicit cast: clang's
 * -Wsign-conversion treats the enum as unsigned). */
static inline const char *cli_strerror(crumb_err e)
{
    return crumb_strerror((int)e);
}

/* Exit code for a library error met while verifying a token. */
int cli_exit_for(crumb_err e);

/* Match argv[*i] against option name ("--name"). Returns 0 if it is not
 * that option, 1 with *val set (value from "--name=v" or the next argument,
 * advancing *i), -1 if the value is missing. For flags pass val = NULL
 * (then "--name=v" is not a match). */
int cli_opt(int argc, char **argv, int *i, const char *name, const char **val);

/* One valued option of a command's table. */
typedef struct cli_optdef {
    const char *name;
    const char **dst;
} cli_optdef;

/* cli_opt for each option of t[0..n) in turn: 1 with *hit set to the one
 * that matched, 0 if none did, -1 if it lacks its value (reported as
 * "cmd: option NAME needs a value"). */
int cli_opt_table(const cli_optdef *t, size_t n, const char *cmd, int argc, char **argv, int *i,
                  size_t *hit);

/* Try the common options at argv[*i]: 1 consumed, 0 not common, -1 usage
 * error (already reported). */
int cli_common_opt(cli_common *c, const char *cmd, int argc, char **argv, int *i);

/* 1 if argv[i] is -h or --help. */
int cli_is_help(const char *arg);

/* Parse a decimal int64 (optional sign) / uint64 / uint32; 0 or -1. */
int cli_parse_i64(const char *s, int64_t *out);
int cli_parse_u64(const char *s, uint64_t *out);
int cli_parse_u32(const char *s, uint32_t *out);

/* Parse a suite name or number ("xchacha20-poly1305" / "1", "aes-256-gcm" /
 * "2", "hmac-sha256" / "3"); 0 if unknown. */
int cli_parse_suite(const char *s);

/* Name of a suite number ("unknown" otherwise). */
const char *cli_suite_name(int suite);

/* The clock: --now if given, else time(NULL). */
int64_t cli_now(const cli_common *c);

/* Load the key ring named by the common options (--keys-env, else --keys,
 * else $CRUMB_KEYFILE). On failure prints why and returns an exit code. */
int cli_load_keys(const cli_common *c, const char *cmd, crumb_keyring **out);

/* Build a codec from the common options over kr, accepting every suite
 * compiled in; log (may be NULL) receives rejection reasons. On failure
 * prints why and returns an exit code. */
int cli_codec(const cli_common *c, const char *cmd, const crumb_keyring *kr, crumb_log_fn *log,
              void *log_ctx, crumb_codec **out);

/* Write len bytes to path atomically: a 0600 temp file in the same
 * directory, fsync, then rename (overwrite = 1) or link (overwrite = 0:
 * fails with EEXIST if path exists), then fsync the directory. The temp
 * file is removed on every failure. Returns 0 or an errno value. */
int cli_write_atomic(const char *path, const void *data, size_t len, int overwrite);

/* Take an exclusive flock on the directory holding path, so concurrent
 * `crumb key` edits of one key file take turns (the file itself is
 * replaced by rename, so it cannot carry the lock). Returns the fd to pass
 * to cli_unlock, or -1 (errno set). */
int cli_lock_dir_of(const char *path);
void cli_unlock(int fd);

/* Read all of f (at most max bytes) into a malloc'd buffer; 0 or -1. */
int cli_read_all(FILE *f, size_t max, char **out, size_t *len);

/* Parse exactly 2n hex digits (either case) into out; 0 or -1. */
int cli_unhex(uint8_t *out, size_t n, const char *s);

/* Lowercase hex of n bytes into out (2n + 1 bytes, NUL-terminated). */
void cli_hex(char *out, const uint8_t *in, size_t n);

/* Write a JSON string literal for n bytes of s (must be valid UTF-8). */
void cli_json_str(FILE *f, const char *s, size_t n);

/* 1 if s[0..n) is valid UTF-8 without NUL bytes. */
int cli_utf8_ok(const uint8_t *s, size_t n);

/* Print n bytes for humans: printable UTF-8 as is, anything else escaped
 * as \xNN. */
void cli_print_bytes(FILE *f, const uint8_t *s, size_t n);

/* Format t as "YYYY-MM-DDTHH:MM:SSZ (t)" into out (64 bytes). */
void cli_time(char out[64], int64_t t);

/* Auth state and factor names (auth_names.c). The state for a name, or -1
 * if unknown. */
int cli_auth_state_parse(const char *s);

/* st if it is a known auth state, else 0 (anonymous): an enum may hold any
 * int. */
int cli_auth_state_clamp(int st);

/* Name of auth state cli_auth_state_clamp(st). */
const char *cli_auth_state_name(int st);

/* Factor bit from a name or a number (n bytes of s); 0 if unknown. */
uint32_t cli_factor_parse(const char *s, size_t n);

/* Parse "password,totp" (or numbers) into a bit set; 0 or -1. */
int cli_factors_parse(const char *s, uint32_t *out);

/* Print a factor set as "password,totp,0x10000" to f ("none" if empty), or
 * as a JSON array if json. */
void cli_factors_print(FILE *f, uint32_t bits, int json);

/* Subcommands: each returns an exit code. argv[0] is the subcommand name. */
int cmd_keygen(int argc, char **argv);
int cmd_key(int argc, char **argv);
int cmd_seal(int argc, char **argv);
int cmd_open(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_store(int argc, char **argv);

#endif /* CRUMB_CLI_H */
