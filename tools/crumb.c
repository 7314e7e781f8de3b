/*
 * crumb.c - entry point of the `crumb` command-line tool: top-level help,
 * version, and dispatch to the subcommands (tools/cmd_*.c). The tool uses
 * only the public API (crumb.h, crumb_store.h) and doubles as an example.
 */
#include "cli.h"

#include <string.h>

static const char usage_text[] =
    "usage: crumb <command> [options] [arguments]\n"
    "\n"
    "Key files:\n"
    "  keygen [FILE]          write a new key file (0600) with one primary key\n"
    "  key list|add|promote|retire|revoke|remove|export\n"
    "                         manage key ids and states for rotation\n"
    "Tokens:\n"
    "  seal                   make a session token from flags or JSON on stdin\n"
    "  open [TOKEN]           verify a token and print its header and payload\n"
    "  verify [TOKEN]         exit 0 if the token is valid now, 1 if not\n"
    "  inspect [TOKEN]        print the public header (no key needed)\n"
    "Stores:\n"
    "  store --file DIR CMD   administer a store (or --redis URL): sessions,\n"
    "                         devices, revoke, not-before, trust, sweep, stats,\n"
    "                         fsck, check\n"
    "\n"
    "Common options:\n"
    "  --keys FILE            key file (default: $CRUMB_KEYFILE)\n"
    "  --keys-env VAR         read keys from environment variable VAR instead\n"
    "  --cookie NAME          cookie name bound into tokens (default: session)\n"
    "  --purpose P            purpose bound into tokens (default: session)\n"
    "  --audience A           audience bound into tokens (default: none)\n"
    "  --now T                use T (seconds since the epoch) as the clock\n"
    "  --json                 machine-readable output (open, inspect, key list, store)\n"
    "  -h, --help             help for any command: crumb <command> --help\n"
    "\n"
    "Exit codes:\n"
    "  0 ok; 1 token rejected or verification failed; 2 usage error;\n"
    "  3 I/O or key-file error; 4 store error; 5 internal error (out of memory,\n"
    "  random source, feature not built in).\n"
    "\n"
    "Errors go to stderr. Key bytes are printed only by `crumb key export`.\n"
    "See docs/CLI.md for examples.\n";

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage_text, stderr);
        return EX_USAGE;
    }
    const char *cmd = argv[1];
    if (cli_is_help(cmd) || strcmp(cmd, "help") == 0) {
        fputs(usage_text, stdout);
        return EX_OK;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
        printf("crumb %s\n", crumb_version());
        return EX_OK;
    }
    static const struct {
        const char *name;
        int (*fn)(int, char **);
    } cmds[] = {
        {"keygen", cmd_keygen}, {"key", cmd_key},         {"seal", cmd_seal},
        {"open", cmd_open},     {"verify", cmd_verify},   {"inspect", cmd_inspect},
        {"store", cmd_store},
    };
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        if (strcmp(cmd, cmds[i].name) == 0)
            return cmds[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "crumb: unknown command '%s' (try crumb --help)\n", cmd);
    return EX_USAGE;
}
