/*
 * keyring.c - the key ring: numbered 32-byte master keys with states
 * (primary / decrypt-only / revoked), held in locked non-dumpable memory,
 * parsed from key files and environment variables (grammar in
 * docs/FORMAT.md, "Key files"), wiped on free.
 */
#include "keyfile.h"
#include "keyring.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define KEYFILE_MAX (64u * 1024u) /* a key file larger than this is refused */
#define KEYFILE_MAGIC "crumb-keys v1"

/* see crumb.h */
crumb_err crumb_keyring_new(crumb_keyring **out)
{
    crumb_keyring *kr = crumb__secure_alloc(sizeof *kr);
    *out = kr;
    return kr ? CRUMB_OK : CRUMB_E_NOMEM;
}

/* see crumb.h */
void crumb_keyring_free(crumb_keyring *kr)
{
    crumb__secure_free(kr, sizeof *kr);
}

/* Index of key id in the ring, or -1. */
static int find_key(const crumb_keyring *kr, uint32_t id)
{
    for (size_t i = 0; i < kr->count; i++)
        if (kr->keys[i].id == id)
            return (int)i;
    return -1;
}

/* Demote any primary other than index keep to decrypt-only. */
static void demote_primaries(crumb_keyring *kr, int keep)
{
    for (size_t i = 0; i < kr->count; i++)
        if ((int)i != keep && kr->keys[i].state == CRUMB_KEY_PRIMARY)
            kr->keys[i].state = CRUMB_KEY_DECRYPT_ONLY;
}

/* 1 if state is one of the three key states. */
static int valid_state(int state)
{
    return state == CRUMB_KEY_PRIMARY || state == CRUMB_KEY_DECRYPT_ONLY ||
           state == CRUMB_KEY_REVOKED;
}

/* see crumb.h */
crumb_err crumb_keyring_add(crumb_keyring *kr, uint32_t id, crumb_key_state state,
                            const uint8_t key[32])
{
    if (id == 0 || !valid_state(state))
        return CRUMB_E_INVALID;
    if (find_key(kr, id) >= 0)
        return CRUMB_E_EXISTS;
    if (kr->count >= CRUMB_KEYRING_MAX)
        return CRUMB_E_LIMIT;
    /* keep ascending id order so listing and formatting are stable */
    size_t pos = kr->count;
    while (pos > 0 && kr->keys[pos - 1].id > id) {
        kr->keys[pos] = kr->keys[pos - 1];
        pos--;
    }
    kr->keys[pos].id = id;
    kr->keys[pos].state = state;
    memcpy(kr->keys[pos].key, key, CRUMB_KEYBYTES);
    kr->count++;
    if (state == CRUMB_KEY_PRIMARY)
        demote_primaries(kr, (int)pos);
    return CRUMB_OK;
}

/* see crumb.h */
crumb_err crumb_keyring_set_state(crumb_keyring *kr, uint32_t id, crumb_key_state state)
{
    int i = find_key(kr, id);
    if (!valid_state(state))
        return CRUMB_E_INVALID;
    if (i < 0)
        return CRUMB_E_NOTFOUND;
    kr->keys[i].state = state;
    if (state == CRUMB_KEY_PRIMARY)
        demote_primaries(kr, i);
    return CRUMB_OK;
}

/* see crumb.h */
crumb_err crumb_keyring_remove(crumb_keyring *kr, uint32_t id)
{
    int i = find_key(kr, id);
    if (i < 0)
        return CRUMB_E_NOTFOUND;
    for (size_t j = (size_t)i; j + 1 < kr->count; j++)
        kr->keys[j] = kr->keys[j + 1];
    kr->count--;
    crumb_wipe(&kr->keys[kr->count], sizeof kr->keys[0]);
    return CRUMB_OK;
}

/* see crumb.h */
size_t crumb_keyring_list(const crumb_keyring *kr, crumb_key_info *out, size_t cap)
{
    for (size_t i = 0; i < kr->count && i < cap; i++) {
        out[i].id = kr->keys[i].id;
        out[i].state = kr->keys[i].state;
    }
    return kr->count;
}

/* Name of a key state in the file grammar. */
static const char *state_name(int state)
{
    switch (state) {
    case CRUMB_KEY_PRIMARY: return "primary";
    case CRUMB_KEY_DECRYPT_ONLY: return "decrypt-only";
    default: return "revoked";
    }
}

/* see crumb.h */
crumb_err crumb_keyring_format(const crumb_keyring *kr, char *out, size_t cap, size_t *out_len)
{
    /* "<id> <state> <43 chars>\n": at most 10 + 1 + 12 + 1 + 43 + 1 */
    char line[80];
    size_t need = sizeof KEYFILE_MAGIC; /* magic + '\n' */
    for (size_t i = 0; i < kr->count; i++)
        need += (size_t)snprintf(NULL, 0, "%lu %s ", (unsigned long)kr->keys[i].id,
                                 state_name(kr->keys[i].state)) + 44;
    *out_len = need;
    if (cap < need)
        return CRUMB_E_BUFSIZE;
    size_t o = 0;
    memcpy(out, KEYFILE_MAGIC "\n", sizeof KEYFILE_MAGIC);
    o += sizeof KEYFILE_MAGIC;
    for (size_t i = 0; i < kr->count; i++) {
        int n = snprintf(line, sizeof line, "%lu %s ", (unsigned long)kr->keys[i].id,
                         state_name(kr->keys[i].state));
        crumb__b64_encode(line + n, kr->keys[i].key, CRUMB_KEYBYTES);
        line[n + 43] = '\n';
        memcpy(out + o, line, (size_t)n + 44);
        o += (size_t)n + 44;
    }
    crumb_wipe(line, sizeof line);
    return CRUMB_OK;
}

/* ---- parsing ---------------------------------------------------------- */

/* Parse a decimal key id 1..2^32-1 with no sign or leading zero. */
static int parse_id(const char *s, size_t n, uint32_t *id)
{
    uint64_t v = 0;
    if (n == 0 || n > 10 || (s[0] == '0'))
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (v == 0 || v > 0xffffffffu)
        return -1;
    *id = (uint32_t)v;
    return 0;
}

/* Parse a state name. */
static int parse_state(const char *s, size_t n)
{
    if (n == 7 && memcmp(s, "primary", 7) == 0)
        return CRUMB_KEY_PRIMARY;
    if (n == 12 && memcmp(s, "decrypt-only", 12) == 0)
        return CRUMB_KEY_DECRYPT_ONLY;
    if (n == 7 && memcmp(s, "revoked", 7) == 0)
        return CRUMB_KEY_REVOKED;
    return -1;
}

/* Add one entry given as three fields; 0 or -1. Enforces one primary. */
static int add_entry(crumb_keyring *kr, const char *f[3], const size_t fl[3])
{
    uint8_t key[CRUMB_KEYBYTES + 3];
    uint32_t id;
    int state = parse_state(f[1], fl[1]);
    int rc = -1;
    if (parse_id(f[0], fl[0], &id) != 0 || state < 0 || fl[2] != 43)
        return -1;
    if (crumb__b64_decode(key, f[2], 43) != CRUMB_KEYBYTES)
        goto out;
    if (state == CRUMB_KEY_PRIMARY) {
        for (size_t i = 0; i < kr->count; i++)
            if (kr->keys[i].state == CRUMB_KEY_PRIMARY)
                goto out; /* two primaries is a configuration mistake */
    }
    rc = crumb_keyring_add(kr, id, state, key) == CRUMB_OK ? 0 : -1;
out:
    crumb_wipe(key, sizeof key);
    return rc;
}

/* Split s[0..n) on any byte in seps into at most max fields; returns the
 * field count, or max + 1 if there are more. */
static size_t split(const char *s, size_t n, const char *seps, const char **f, size_t *fl,
                    size_t max)
{
    size_t k = 0, i = 0;
    while (i < n) {
        while (i < n && strchr(seps, s[i]) && s[i])
            i++;
        if (i == n)
            break;
        size_t start = i;
        while (i < n && !(strchr(seps, s[i]) && s[i]))
            i++;
        if (k == max)
            return max + 1;
        f[k] = s + start;
        fl[k] = i - start;
        k++;
    }
    return k;
}

/* Parse key-file text: magic line, then "<id> <state> <key>" lines, '#'
 * comments and blank lines. */
static crumb_err parse_file_text(crumb_keyring *kr, const char *text, size_t len, size_t *line)
{
    size_t pos = 0, lineno = 0;
    int seen_magic = 0;
    while (pos < len) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - text) : len;
        const char *s = text + pos;
        size_t n = end - pos;
        const char *f[3];
        size_t fl[3];
        lineno++;
        pos = end + 1;
        if (n && s[n - 1] == '\r')
            n--;
        if (memchr(s, '\0', n))
            goto bad;
        size_t k = split(s, n, " \t", f, fl, 3);
        if (k == 0 || f[0][0] == '#')
            continue;
        if (!seen_magic) {
            if (n != sizeof KEYFILE_MAGIC - 1 || memcmp(s, KEYFILE_MAGIC, n) != 0)
                goto bad;
            seen_magic = 1;
            continue;
        }
        if (k != 3 || add_entry(kr, f, fl) != 0)
            goto bad;
    }
    if (!seen_magic) {
        lineno = 1;
        goto bad;
    }
    return CRUMB_OK;
bad:
    if (line)
        *line = lineno;
    return CRUMB_E_KEYFILE;
}

/* see crumb.h */
crumb_err crumb_keyring_parse(crumb_keyring **out, const char *text, size_t len, size_t *line)
{
    crumb_keyring *kr;
    crumb_err rc;
    *out = NULL;
    if (line)
        *line = 0;
    if (len > KEYFILE_MAX)
        return CRUMB_E_KEYFILE;
    if ((rc = crumb_keyring_new(&kr)) != CRUMB_OK)
        return rc;
    rc = parse_file_text(kr, text, len, line);
    if (rc != CRUMB_OK) {
        crumb_keyring_free(kr);
        return rc;
    }
    *out = kr;
    return CRUMB_OK;
}

/* see crumb.h */
crumb_err crumb_keyring_load_file(crumb_keyring **out, const char *path)
{
    uint64_t size;
    size_t got;
    int fd;
    *out = NULL;
    crumb_err rc = crumb__keyfile_open(path, &fd, &size);
    if (rc != CRUMB_OK)
        return rc;
    if (size > KEYFILE_MAX) {
        close(fd);
        return CRUMB_E_KEYFILE;
    }
    size_t cap = (size_t)size + 1;
    char *buf = crumb__secure_alloc(cap);
    if (!buf) {
        close(fd);
        return CRUMB_E_NOMEM;
    }
    rc = crumb__keyfile_read(fd, buf, cap, &got);
    if (rc == CRUMB_OK && got == cap) /* grew while reading */
        rc = CRUMB_E_KEYFILE;
    if (rc != CRUMB_OK)
        goto done;
    rc = crumb_keyring_parse(out, buf, got, NULL);
done:
    close(fd);
    crumb__secure_free(buf, cap);
    return rc;
}

/* see crumb.h: the variable holds entries "<id>:<state>:<key>" separated
 * by ',' (whitespace around entries is ignored). */
crumb_err crumb_keyring_load_env(crumb_keyring **out, const char *var)
{
    const char *v = getenv(var);
    crumb_keyring *kr;
    crumb_err rc;
    *out = NULL;
    if (!v)
        return CRUMB_E_NOTFOUND;
    size_t len = strlen(v);
    if (len > KEYFILE_MAX)
        return CRUMB_E_KEYFILE;
    if ((rc = crumb_keyring_new(&kr)) != CRUMB_OK)
        return rc;
    size_t pos = 0, n_entries = 0;
    while (pos <= len) {
        const char *comma = memchr(v + pos, ',', len - pos);
        size_t end = comma ? (size_t)(comma - v) : len;
        const char *f[3];
        size_t fl[3];
        const char *e = v + pos;
        size_t n = end - pos;
        while (n && (*e == ' ' || *e == '\t'))
            e++, n--;
        while (n && (e[n - 1] == ' ' || e[n - 1] == '\t'))
            n--;
        if (n == 0 || split(e, n, ":", f, fl, 3) != 3 || memchr(e, ' ', n) ||
            add_entry(kr, f, fl) != 0) {
            crumb_keyring_free(kr);
            return CRUMB_E_KEYFILE;
        }
        n_entries++;
        pos = end + 1;
    }
    (void)n_entries;
    *out = kr;
    return CRUMB_OK;
}

/* see internal.h */
int crumb__keyring_derive(const crumb_keyring *kr, uint32_t id, const char *label,
                          uint8_t out[32])
{
    int i = find_key(kr, id);
    if (i < 0)
        return -1;
    return crumb__hkdf_sha256(out, 32, kr->keys[i].key, CRUMB_KEYBYTES,
                              (const uint8_t *)"libcrumb v1", 11, (const uint8_t *)label,
                              strlen(label));
}
