/*
 * cmd_key.c - `crumb keygen` and `crumb key ...`: create key files and
 * manage key ids and states (primary / decrypt-only / revoked) for rotation
 * without downtime, and the store secret (FILE.store) that key rotation
 * never changes. Every change is written to a 0600 temp file in the same
 * directory and renamed over the key file, so a key file is never torn.
 */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define KEYTEXT_MAX 4096u /* CRUMB_KEYRING_MAX lines of at most ~70 bytes */

static const char keygen_help[] =
    "usage: crumb keygen [FILE] [--keys FILE] [--id N] [--force]\n"
    "       crumb keygen --store-secret PATH [--force]\n"
    "\n"
    "Write a new key file holding one random primary key (id 1 unless --id).\n"
    "The file is created 0600 via a temp file in the same directory; an\n"
    "existing file is never overwritten unless --force is given (that\n"
    "destroys its keys: tokens sealed under them stop opening).\n"
    "FILE defaults to --keys, then $CRUMB_KEYFILE.\n"
    "Also writes FILE.store, the store secret (64 hex digits, 0600) that the\n"
    "store modes need (crumb_store_secret_load_file), unless it exists: it is\n"
    "never replaced by keygen FILE, and key rotation never touches it (store\n"
    "keys and sealed server records must outlive the token keys).\n"
    "--store-secret PATH writes only a store secret, at PATH (--force replaces\n"
    "it: every revocation and server record in the store is then lost).\n";

static const char key_help[] =
    "usage: crumb key <list|add|promote|retire|revoke|remove|export> [options]\n"
    "\n"
    "  list                 print key ids and states (never key bytes); --json\n"
    "  add [--id N] [--primary]\n"
    "                       add a new random key, decrypt-only by default (stage it\n"
    "                       on every server, then promote it); id = highest + 1\n"
    "  promote ID           make ID the primary; the old primary becomes\n"
    "                       decrypt-only (its tokens open and get re-sealed)\n"
    "  retire ID            make ID decrypt-only\n"
    "  revoke ID            refuse tokens sealed under ID\n"
    "  remove ID            delete ID (must be revoked first, or --force)\n"
    "  export [--env]       print the key file (or the value for --keys-env:\n"
    "                       id:state:key,...) - this prints SECRET key bytes\n"
    "\n"
    "Options: --keys FILE (default $CRUMB_KEYFILE); list and export also accept\n"
    "--keys-env VAR. retire/revoke of the primary need --force (sealing then\n"
    "fails until another key is promoted).\n"
    "Rotation: key add; deploy; key promote NEW; wait one session lifetime;\n"
    "key revoke OLD; key remove OLD.\n";

/* Name of a key state as in the key-file grammar. */
static const char *state_name(int state)
{
    switch (state) {
    case CRUMB_KEY_PRIMARY: return "primary";
    case CRUMB_KEY_DECRYPT_ONLY: return "decrypt-only";
    case CRUMB_KEY_REVOKED: return "revoked";
    default: return "unknown";
    }
}

/* Serialise kr and write it atomically to path; returns an exit code. */
static int save_ring(const crumb_keyring *kr, const char *cmd, const char *path, int overwrite)
{
    char text[KEYTEXT_MAX];
    size_t len = 0;
    crumb_err e = crumb_keyring_format(kr, text, sizeof text, &len);
    if (e != CRUMB_OK)
        return cli_fail(EX_INTERNAL, cmd, "cannot format keys: %s", cli_strerror(e));
    int err = cli_write_atomic(path, text, len, overwrite);
    crumb_wipe(text, sizeof text);
    if (err == EEXIST)
        return cli_fail(EX_IO, cmd, "%s exists; refusing to overwrite it (--force replaces "
                                    "it and destroys its keys)", path);
    if (err)
        return cli_fail(EX_IO, cmd, "cannot write %s: %s", path, strerror(err));
    return EX_OK;
}

/* Write a new random store secret to path (never over an existing file
 * unless overwrite). 0, EEXIST, or another errno. */
static int write_store_secret(const char *path, int overwrite)
{
    uint8_t key[CRUMB_KEYBYTES];
    char text[2 * CRUMB_KEYBYTES + 2];
    if (crumb_key_generate(key) != CRUMB_OK)
        return EIO;
    for (size_t i = 0; i < sizeof key; i++)
        snprintf(text + 2 * i, 3, "%02x", key[i]);
    text[2 * CRUMB_KEYBYTES] = '\n';
    int err = cli_write_atomic(path, text, 2 * CRUMB_KEYBYTES + 1, overwrite);
    crumb_wipe(key, sizeof key);
    crumb_wipe(text, sizeof text);
    return err;
}

/* The store secret next to a new key file: FILE.store, kept if present. */
static int keygen_store_secret(const char *file)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s.store", file) >= (int)sizeof path)
        return cli_fail(EX_USAGE, "keygen", "key file path too long");
    int err = write_store_secret(path, 0);
    if (err == EEXIST) {
        fprintf(stderr, "crumb: keygen: kept the existing store secret %s\n", path);
        return EX_OK;
    }
    if (err)
        return cli_fail(EX_IO, "keygen", "cannot write %s: %s", path, strerror(err));
    fprintf(stderr, "crumb: keygen: wrote %s (store secret)\n", path);
    return EX_OK;
}

/* keygen --store-secret PATH: only a store secret. */
static int keygen_secret_only(const char *path, int force)
{
    int err = write_store_secret(path, force);
    if (err == EEXIST)
        return cli_fail(EX_IO, "keygen", "%s exists; refusing to overwrite it (--force "
                                         "replaces it and loses the store's data)", path);
    if (err)
        return cli_fail(EX_IO, "keygen", "cannot write %s: %s", path, strerror(err));
    fprintf(stderr, "crumb: keygen: wrote %s (store secret)\n", path);
    return EX_OK;
}

/* see cli.h */
int cmd_keygen(int argc, char **argv)
{
    cli_common c = {0};
    const char *file = NULL, *v, *secret = NULL;
    int force = 0, r;
    uint32_t id = 1;
    for (int i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            fputs(keygen_help, stdout);
            return EX_OK;
        }
        if ((r = cli_opt(argc, argv, &i, "--force", NULL)) != 0)
            force = 1;
        else if ((r = cli_opt(argc, argv, &i, "--id", &v)) != 0) {
            if (r > 0 && (cli_parse_u32(v, &id) != 0 || id == 0))
                return cli_fail(EX_USAGE, "keygen", "--id wants 1..4294967295, got '%s'", v);
        } else if ((r = cli_opt(argc, argv, &i, "--keys", &v)) != 0)
            c.keys = v;
        else if ((r = cli_opt(argc, argv, &i, "--store-secret", &v)) != 0)
            secret = v;
        else if (argv[i][0] == '-' && argv[i][1] != '\0')
            return cli_fail(EX_USAGE, "keygen", "unknown option %s (see crumb keygen --help)",
                            argv[i]);
        else if (!file)
            file = argv[i];
        else
            return cli_fail(EX_USAGE, "keygen", "unexpected argument '%s'", argv[i]);
        if (r < 0)
            return cli_fail(EX_USAGE, "keygen", "option %s needs a value", argv[i]);
    }
    if (secret)
        return keygen_secret_only(secret, force);
    if (!file)
        file = c.keys ? c.keys : getenv("CRUMB_KEYFILE");
    if (!file || !*file)
        return cli_fail(EX_USAGE, "keygen", "no file: crumb keygen FILE (or --keys FILE, or "
                                            "set CRUMB_KEYFILE)");
    crumb_keyring *kr = NULL;
    uint8_t key[CRUMB_KEYBYTES];
    crumb_err e = crumb_keyring_new(&kr);
    if (e == CRUMB_OK)
        e = crumb_key_generate(key);
    if (e == CRUMB_OK)
        e = crumb_keyring_add(kr, id, CRUMB_KEY_PRIMARY, key);
    crumb_wipe(key, sizeof key);
    if (e != CRUMB_OK) {
        crumb_keyring_free(kr);
        return cli_fail(EX_INTERNAL, "keygen", "%s", cli_strerror(e));
    }
    r = save_ring(kr, "keygen", file, force);
    crumb_keyring_free(kr);
    if (r == EX_OK)
        fprintf(stderr, "crumb: keygen: wrote %s (key %lu, primary)\n", file,
                (unsigned long)id);
    return r == EX_OK ? keygen_store_secret(file) : r;
}

/* Parse a key id argument; 0 or -1 (reported). */
static int parse_key_id(const char *cmd, const char *s, uint32_t *id)
{
    if (!s) {
        cli_fail(EX_USAGE, cmd, "missing key id");
        return -1;
    }
    if (cli_parse_u32(s, id) != 0 || *id == 0) {
        cli_fail(EX_USAGE, cmd, "key id must be 1..4294967295, got '%s'", s);
        return -1;
    }
    return 0;
}

/* State of key id in kr, or 0 if absent. */
static int key_state(const crumb_keyring *kr, uint32_t id)
{
    crumb_key_info info[CRUMB_KEYRING_MAX];
    size_t n = crumb_keyring_list(kr, info, CRUMB_KEYRING_MAX);
    for (size_t i = 0; i < n && i < CRUMB_KEYRING_MAX; i++)
        if (info[i].id == id)
            return info[i].state;
    return 0;
}

/* `key list`: ids and states only. */
static int key_list(const crumb_keyring *kr, int json)
{
    crumb_key_info info[CRUMB_KEYRING_MAX];
    size_t n = crumb_keyring_list(kr, info, CRUMB_KEYRING_MAX);
    if (n > CRUMB_KEYRING_MAX)
        n = CRUMB_KEYRING_MAX;
    if (json) {
        printf("{\"keys\":[");
        for (size_t i = 0; i < n; i++)
            printf("%s{\"id\":%lu,\"state\":\"%s\"}", i ? "," : "", (unsigned long)info[i].id,
                   state_name(info[i].state));
        printf("]}\n");
        return EX_OK;
    }
    for (size_t i = 0; i < n; i++)
        printf("%lu %s\n", (unsigned long)info[i].id, state_name(info[i].state));
    return EX_OK;
}

/* `key export`: the key-file text or the env-var form (secret). */
static int key_export(const crumb_keyring *kr, int env)
{
    char text[KEYTEXT_MAX];
    size_t len = 0;
    crumb_err e = crumb_keyring_format(kr, text, sizeof text - 1, &len);
    if (e != CRUMB_OK)
        return cli_fail(EX_INTERNAL, "key export", "%s", cli_strerror(e));
    text[len] = '\0';
    if (!env) {
        fwrite(text, 1, len, stdout);
    } else {
        /* lines after the magic are "<id> <state> <key>": join as id:state:key */
        int first = 1;
        char *save = NULL;
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
            if (line[0] == '#' || strncmp(line, "crumb-keys", 10) == 0)
                continue;
            for (char *p = line; *p; p++)
                if (*p == ' ')
                    *p = ':';
            printf("%s%s", first ? "" : ",", line);
            first = 0;
        }
        putchar('\n');
    }
    crumb_wipe(text, sizeof text);
    return fflush(stdout) == 0 ? EX_OK : EX_IO;
}

/* The options and arguments of one `crumb key` run. */
typedef struct key_opts {
    cli_common c;
    const char *sub, *arg; /* subcommand, its ID argument */
    int force, primary, env, have_id;
    uint32_t new_id; /* --id */
} key_opts;

/* Returned by key_arg when the command goes on. */
#define KEY_GO (-1)

/* Take the option or argument at argv[*i] into o. Returns KEY_GO or an
 * exit code (--help: EX_OK; errors reported). */
static int key_arg(key_opts *o, int argc, char **argv, int *i)
{
    const char *v;
    int r;
    if (cli_is_help(argv[*i])) {
        fputs(key_help, stdout);
        return EX_OK;
    }
    if ((r = cli_common_opt(&o->c, "key", argc, argv, i)) != 0)
        return r < 0 ? EX_USAGE : KEY_GO;
    if ((r = cli_opt(argc, argv, i, "--force", NULL)) != 0)
        o->force = 1;
    else if ((r = cli_opt(argc, argv, i, "--primary", NULL)) != 0)
        o->primary = 1;
    else if ((r = cli_opt(argc, argv, i, "--env", NULL)) != 0)
        o->env = 1;
    else if ((r = cli_opt(argc, argv, i, "--id", &v)) != 0) {
        if (r < 0)
            return cli_fail(EX_USAGE, "key", "option --id needs a value");
        if (parse_key_id("key add", v, &o->new_id) != 0)
            return EX_USAGE;
        o->have_id = 1;
    } else if (argv[*i][0] == '-' && argv[*i][1] != '\0')
        return cli_fail(EX_USAGE, "key", "unknown option %s (see crumb key --help)", argv[*i]);
    else if (!o->sub)
        o->sub = argv[*i];
    else if (!o->arg)
        o->arg = argv[*i];
    else
        return cli_fail(EX_USAGE, "key", "unexpected argument '%s'", argv[*i]);
    return KEY_GO;
}

static int run_key_cmd(const key_opts *o, const char *cmd, uint32_t id);

/* see cli.h */
int cmd_key(int argc, char **argv)
{
    key_opts o;
    int r;
    memset(&o, 0, sizeof o);
    for (int i = 1; i < argc; i++)
        if ((r = key_arg(&o, argc, argv, &i)) != KEY_GO)
            return r;
    if (!o.sub) {
        fputs(key_help, stderr);
        return EX_USAGE;
    }
    const char *sub = o.sub;
    int readonly = !strcmp(sub, "list") || !strcmp(sub, "export");
    int known = readonly || !strcmp(sub, "add") || !strcmp(sub, "promote") ||
                !strcmp(sub, "retire") || !strcmp(sub, "revoke") || !strcmp(sub, "remove");
    if (!known)
        return cli_fail(EX_USAGE, "key", "unknown subcommand '%s' (see crumb key --help)", sub);
    char cmd[32];
    snprintf(cmd, sizeof cmd, "key %s", sub);
    uint32_t id = 0;
    if (!readonly && strcmp(sub, "add") != 0 && parse_key_id(cmd, o.arg, &id) != 0)
        return EX_USAGE;
    if ((readonly || !strcmp(sub, "add")) && o.arg)
        return cli_fail(EX_USAGE, cmd, "unexpected argument '%s'", o.arg);
    if (!readonly && o.c.keys_env)
        return cli_fail(EX_USAGE, cmd, "keys from --keys-env cannot be changed; use a key file");

    int lock = -1;
    if (!readonly) {
        const char *p = o.c.keys ? o.c.keys : getenv("CRUMB_KEYFILE");
        if (p && *p && (lock = cli_lock_dir_of(p)) < 0)
            return cli_fail(EX_IO, cmd, "cannot lock the directory of %s: %s", p,
                            strerror(errno));
    }
    r = run_key_cmd(&o, cmd, id);
    cli_unlock(lock);
    return r;
}

/* `key add`: a new random key under --id or the highest id + 1, primary
 * with --primary. Sets *id, *what and *e (the ring's answer); returns EX_OK
 * or an exit code (reported). */
static int key_add(crumb_keyring *kr, const key_opts *o, const char *cmd, uint32_t *id,
                   const char **what, crumb_err *e)
{
    uint32_t new_id = o->new_id;
    if (!o->have_id) {
        crumb_key_info info[CRUMB_KEYRING_MAX];
        size_t n = crumb_keyring_list(kr, info, CRUMB_KEYRING_MAX);
        new_id = 1;
        for (size_t k = 0; k < n && k < CRUMB_KEYRING_MAX; k++)
            if (info[k].id >= new_id)
                new_id = info[k].id + 1;
        if (new_id == 0)
            return cli_fail(EX_USAGE, cmd, "no free key id above the highest; pass --id");
    }
    uint8_t key[CRUMB_KEYBYTES];
    *e = crumb_key_generate(key);
    if (*e == CRUMB_OK)
        *e = crumb_keyring_add(kr, new_id,
                               o->primary ? CRUMB_KEY_PRIMARY : CRUMB_KEY_DECRYPT_ONLY, key);
    crumb_wipe(key, sizeof key);
    *id = new_id;
    *what = o->primary ? "added as primary" : "added as decrypt-only";
    return EX_OK;
}

/* `key promote|retire|revoke|remove ID` (the ring's answer in *e, the
 * verb for the report in *what); refuses, without --force, to reinstate a
 * revoked key, to remove a live one or to retire/revoke the primary.
 * Returns EX_OK or an exit code (reported). */
static int key_set(crumb_keyring *kr, const key_opts *o, const char *cmd, const char *path,
                   uint32_t id, const char **what, crumb_err *e)
{
    int st = key_state(kr, id);
    if (st == 0)
        return cli_fail(EX_USAGE, cmd, "no key %lu in %s", (unsigned long)id, path);
    if (!strcmp(o->sub, "promote")) {
        if (st == CRUMB_KEY_REVOKED && !o->force)
            return cli_fail(EX_USAGE, cmd, "key %lu is revoked; --force to reinstate it",
                            (unsigned long)id);
        *e = crumb_keyring_set_state(kr, id, CRUMB_KEY_PRIMARY);
        *what = "is now primary";
    } else if (!strcmp(o->sub, "remove")) {
        if (st != CRUMB_KEY_REVOKED && !o->force)
            return cli_fail(EX_USAGE, cmd, "key %lu is %s; revoke it first (or --force)",
                            (unsigned long)id, state_name(st));
        *e = crumb_keyring_remove(kr, id);
        *what = "removed";
    } else {
        int to = !strcmp(o->sub, "retire") ? CRUMB_KEY_DECRYPT_ONLY : CRUMB_KEY_REVOKED;
        if (st == CRUMB_KEY_PRIMARY && !o->force)
            return cli_fail(EX_USAGE, cmd, "key %lu is the primary: promote another key "
                                           "first (or --force: sealing then fails)",
                            (unsigned long)id);
        *e = crumb_keyring_set_state(kr, id, to);
        *what = to == CRUMB_KEY_REVOKED ? "is now revoked" : "is now decrypt-only";
    }
    return EX_OK;
}

/* Report the ring's answer e to a change of key id; if it is CRUMB_OK,
 * save kr to path and print "key ID WHAT". Returns an exit code. */
static int key_commit(const crumb_keyring *kr, const char *cmd, const char *path, uint32_t id,
                      const char *what, crumb_err e)
{
    if (e == CRUMB_E_EXISTS)
        return cli_fail(EX_USAGE, cmd, "key id %lu is taken", (unsigned long)id);
    if (e == CRUMB_E_LIMIT)
        return cli_fail(EX_USAGE, cmd, "key ring full (%u keys): remove revoked keys",
                        CRUMB_KEYRING_MAX);
    if (e != CRUMB_OK)
        return cli_fail(cli_exit_for(e), cmd, "%s", cli_strerror(e));
    int r = save_ring(kr, cmd, path, 1);
    if (r == EX_OK)
        printf("key %lu %s\n", (unsigned long)id, what);
    return r;
}

/* Load the keys, apply one `key` subcommand, save; returns an exit code.
 * Modifying subcommands run with the key file's directory locked. */
static int run_key_cmd(const key_opts *o, const char *cmd, uint32_t id)
{
    crumb_keyring *kr = NULL;
    int r;
    if ((r = cli_load_keys(&o->c, cmd, &kr)) != EX_OK)
        return r;
    if (!strcmp(o->sub, "list")) {
        r = key_list(kr, o->c.json);
    } else if (!strcmp(o->sub, "export")) {
        r = key_export(kr, o->env);
    } else {
        const char *path = o->c.keys ? o->c.keys : getenv("CRUMB_KEYFILE");
        crumb_err e = CRUMB_OK;
        const char *what = "";
        r = !strcmp(o->sub, "add") ? key_add(kr, o, cmd, &id, &what, &e)
                                   : key_set(kr, o, cmd, path, id, &what, &e);
        if (r == EX_OK)
            r = key_commit(kr, cmd, path, id, what, e);
    }
    crumb_keyring_free(kr);
    return r;
}
