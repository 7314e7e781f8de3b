/*
 * util.c - helpers shared by the crumb subcommands: option matching, number
 * and suite parsing, key-ring and codec setup from the common options,
 * atomic file writes, hex, JSON strings and human-readable output.
 */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* see cli.h */
int cli_fail(int code, const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "crumb: %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return code;
}

/* see cli.h */
int cli_exit_for(crumb_err e)
{
    switch (e) {
    case CRUMB_OK:
        return EX_OK;
    case CRUMB_E_AUTH:
    case CRUMB_E_EXPIRED:
    case CRUMB_E_REVOKED:
    case CRUMB_E_REPLAY:
    case CRUMB_E_PAYLOAD:
    case CRUMB_E_VERSION:
    case CRUMB_E_INFLATE:
    case CRUMB_E_COOKIE:
    case CRUMB_E_NOSESSION:
    case CRUMB_E_FUTURE:
    case CRUMB_E_TOO_LARGE:
        return EX_REJECT;
    case CRUMB_E_INVALID:
    case CRUMB_E_LIMIT:
    case CRUMB_E_BUFSIZE:
        return EX_USAGE;
    case CRUMB_E_NOKEY:
    case CRUMB_E_KEYFILE:
    case CRUMB_E_IO:
    case CRUMB_E_NOSPC:
    case CRUMB_E_NOTFOUND:
    case CRUMB_E_EXISTS:
        return EX_IO;
    case CRUMB_E_CONFLICT:
    case CRUMB_E_CORRUPT:
    case CRUMB_E_TIMEOUT:
    case CRUMB_E_BACKEND:
    case CRUMB_E_UNSUPPORTED:
        return EX_STORE;
    case CRUMB_E_NOMEM:
    case CRUMB_E_UNAVAILABLE:
    case CRUMB_E_RANDOM:
    case CRUMB_E_INTERNAL:
        return EX_INTERNAL;
    }
    return EX_INTERNAL;
}

/* see cli.h */
int cli_opt(int argc, char **argv, int *i, const char *name, const char **val)
{
    const char *a = argv[*i];
    size_t n = strlen(name);
    if (strncmp(a, name, n) != 0)
        return 0;
    if (val == NULL)
        return a[n] == '\0';
    if (a[n] == '=') {
        *val = a + n + 1;
        return 1;
    }
    if (a[n] != '\0')
        return 0;
    if (*i + 1 >= argc)
        return -1;
    *val = argv[++*i];
    return 1;
}

/* see cli.h */
int cli_opt_table(const cli_optdef *t, size_t n, const char *cmd, int argc, char **argv, int *i,
                  size_t *hit)
{
    for (size_t k = 0; k < n; k++) {
        int r = cli_opt(argc, argv, i, t[k].name, t[k].dst);
        if (r < 0) {
            cli_fail(EX_USAGE, cmd, "option %s needs a value", t[k].name);
            return -1;
        }
        if (r > 0) {
            *hit = k;
            return 1;
        }
    }
    return 0;
}

/* see cli.h */
int cli_is_help(const char *arg)
{
    return strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0;
}

/* see cli.h */
int cli_common_opt(cli_common *c, const char *cmd, int argc, char **argv, int *i)
{
    const char *v = NULL;
    const char *opt = argv[*i];
    int r;
    if ((r = cli_opt(argc, argv, i, "--keys", &v)) != 0)
        c->keys = v;
    else if ((r = cli_opt(argc, argv, i, "--keys-env", &v)) != 0)
        c->keys_env = v;
    else if ((r = cli_opt(argc, argv, i, "--cookie", &v)) != 0)
        c->cookie = v;
    else if ((r = cli_opt(argc, argv, i, "--purpose", &v)) != 0)
        c->purpose = v;
    else if ((r = cli_opt(argc, argv, i, "--audience", &v)) != 0)
        c->audience = v;
    else if ((r = cli_opt(argc, argv, i, "--suite", &v)) != 0) {
        if (r > 0 && (c->suite = cli_parse_suite(v)) == 0) {
            cli_fail(EX_USAGE, cmd, "unknown suite '%s' (xchacha20-poly1305, aes-256-gcm, "
                                    "hmac-sha256 or 1, 2, 3)", v);
            return -1;
        }
    } else if ((r = cli_opt(argc, argv, i, "--now", &v)) != 0) {
        if (r > 0 && cli_parse_i64(v, &c->now) != 0) {
            cli_fail(EX_USAGE, cmd, "--now wants seconds since the epoch, got '%s'", v);
            return -1;
        }
        c->have_now = 1;
    } else if ((r = cli_opt(argc, argv, i, "--json", NULL)) != 0)
        c->json = 1;
    if (r < 0)
        cli_fail(EX_USAGE, cmd, "option %s needs a value", opt);
    return r;
}

/* see cli.h */
int cli_parse_i64(const char *s, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (*s == '\0' || *end != '\0' || errno != 0 || (*s != '-' && (*s < '0' || *s > '9')))
        return -1;
    *out = (int64_t)v;
    return 0;
}

/* see cli.h */
int cli_parse_u64(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    if (*s < '0' || *s > '9')
        return -1;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end != '\0' || errno != 0)
        return -1;
    *out = (uint64_t)v;
    return 0;
}

/* see cli.h */
int cli_parse_u32(const char *s, uint32_t *out)
{
    uint64_t v;
    if (cli_parse_u64(s, &v) != 0 || v > UINT32_MAX)
        return -1;
    *out = (uint32_t)v;
    return 0;
}

/* see cli.h */
int cli_parse_suite(const char *s)
{
    if (!strcmp(s, "1") || !strcmp(s, "xchacha20-poly1305") || !strcmp(s, "xchacha"))
        return CRUMB_SUITE_XCHACHA20POLY1305;
    if (!strcmp(s, "2") || !strcmp(s, "aes-256-gcm") || !strcmp(s, "aes-gcm"))
        return CRUMB_SUITE_AES256GCM;
    if (!strcmp(s, "3") || !strcmp(s, "hmac-sha256") || !strcmp(s, "hmac"))
        return CRUMB_SUITE_HMACSHA256;
    return 0;
}

/* see cli.h */
const char *cli_suite_name(int suite)
{
    switch (suite) {
    case CRUMB_SUITE_XCHACHA20POLY1305: return "xchacha20-poly1305";
    case CRUMB_SUITE_AES256GCM: return "aes-256-gcm";
    case CRUMB_SUITE_HMACSHA256: return "hmac-sha256";
    default: return "unknown";
    }
}

/* see cli.h */
int64_t cli_now(const cli_common *c)
{
    return c->have_now ? c->now : (int64_t)time(NULL);
}

/* Print the 1-based line of the first key-file error, if the file is
 * readable (crumb_keyring_load_file does not report it). */
static void keyfile_error_line(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *text = NULL;
    size_t len = 0, line = 0;
    crumb_keyring *kr = NULL;
    if (!f)
        return;
    if (cli_read_all(f, 64u * 1024u, &text, &len) == 0 &&
        crumb_keyring_parse(&kr, text, len, &line) != CRUMB_OK && line > 0)
        fprintf(stderr, "crumb: %s: first error on line %zu\n", path, line);
    crumb_keyring_free(kr);
    if (text) {
        crumb_wipe(text, len);
        free(text);
    }
    fclose(f);
}

/* see cli.h */
int cli_load_keys(const cli_common *c, const char *cmd, crumb_keyring **out)
{
    crumb_err e;
    *out = NULL;
    if (c->keys_env) {
        e = crumb_keyring_load_env(out, c->keys_env);
        if (e == CRUMB_E_NOTFOUND)
            return cli_fail(EX_IO, cmd, "environment variable %s is not set", c->keys_env);
        if (e != CRUMB_OK)
            return cli_fail(e == CRUMB_E_NOMEM ? EX_INTERNAL : EX_IO, cmd, "keys in $%s: %s",
                            c->keys_env, cli_strerror(e));
        return EX_OK;
    }
    const char *path = c->keys ? c->keys : getenv("CRUMB_KEYFILE");
    if (!path || !*path)
        return cli_fail(EX_USAGE, cmd, "no key file: pass --keys FILE, --keys-env VAR or set "
                                       "CRUMB_KEYFILE");
    e = crumb_keyring_load_file(out, path);
    switch (e) {
    case CRUMB_OK:
        return EX_OK;
    case CRUMB_E_NOTFOUND:
        return cli_fail(EX_IO, cmd, "%s: no such key file (create one with crumb keygen)", path);
    case CRUMB_E_INVALID:
        return cli_fail(EX_IO, cmd, "%s: refused: readable by group or others (chmod 600)",
                        path);
    case CRUMB_E_KEYFILE:
        cli_fail(EX_IO, cmd, "%s: %s", path, cli_strerror(e));
        keyfile_error_line(path);
        return EX_IO;
    default:
        return cli_fail(e == CRUMB_E_NOMEM ? EX_INTERNAL : EX_IO, cmd, "%s: %s", path,
                        cli_strerror(e));
    }
}

/* see cli.h */
int cli_codec(const cli_common *c, const char *cmd, const crumb_keyring *kr, crumb_log_fn *log,
              void *log_ctx, crumb_codec **out)
{
    crumb_codec_config cfg = {0};
    cfg.log = log;
    cfg.log_ctx = log_ctx;
    cfg.cookie_name = c->cookie ? c->cookie : "session";
    cfg.purpose = c->purpose ? c->purpose : "session";
    cfg.audience = c->audience;
    cfg.seal_suite = c->suite;
    for (int s = 1; s <= 3; s++)
        if (crumb_suite_available(s))
            cfg.accept_suites |= CRUMB_SUITE_BIT(s);
    if (c->suite && !crumb_suite_available(c->suite))
        return cli_fail(EX_INTERNAL, cmd, "suite %s is not built into this libcrumb",
                        cli_suite_name(c->suite));
    crumb_err e = crumb_codec_new(out, kr, &cfg);
    if (e != CRUMB_OK)
        return cli_fail(e == CRUMB_E_INVALID ? EX_USAGE : EX_INTERNAL, cmd,
                        "cannot set up the codec: %s", cli_strerror(e));
    return EX_OK;
}

/* Write all of buf to fd; 0 or an errno value. */
static int write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return errno;
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

/* Open the directory holding path read-only; the fd or -1. */
static int open_parent(const char *path)
{
    char dir[PATH_MAX];
    const char *slash = strrchr(path, '/');
    if (!slash)
        strcpy(dir, ".");
    else if (slash == path)
        strcpy(dir, "/");
    else {
        size_t n = (size_t)(slash - path);
        if (n >= sizeof dir)
            return -1;
        memcpy(dir, path, n);
        dir[n] = '\0';
    }
    return open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

/* see cli.h */
int cli_lock_dir_of(const char *path)
{
    int fd = open_parent(path);
    if (fd < 0)
        return -1;
    while (flock(fd, LOCK_EX) != 0) {
        if (errno != EINTR) {
            close(fd);
            return -1;
        }
    }
    return fd;
}

/* see cli.h */
void cli_unlock(int fd)
{
    if (fd >= 0)
        close(fd); /* releases the flock */
}

/* fsync the directory holding path (best effort on systems without it). */
static void fsync_dir(const char *path)
{
    int fd = open_parent(path);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
}

/* see cli.h */
int cli_write_atomic(const char *path, const void *data, size_t len, int overwrite)
{
    char tmp[PATH_MAX];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp.XXXXXX", path) >= sizeof tmp)
        return ENAMETOOLONG;
    int fd = mkstemp(tmp); /* mode 0600 */
    if (fd < 0)
        return errno;
    int err = fchmod(fd, 0600) != 0 ? errno : 0;
    if (!err)
        err = write_all(fd, data, len);
    if (!err && fsync(fd) != 0)
        err = errno;
    if (close(fd) != 0 && !err)
        err = errno;
    if (!err) {
        if (overwrite)
            err = rename(tmp, path) != 0 ? errno : 0;
        else
            err = link(tmp, path) != 0 ? errno : 0;
    }
    if (err || !overwrite)
        unlink(tmp);
    if (!err)
        fsync_dir(path);
    return err;
}

/* see cli.h */
int cli_read_all(FILE *f, size_t max, char **out, size_t *len)
{
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    *out = NULL;
    *len = 0;
    if (!buf)
        return -1;
    for (;;) {
        if (n == cap) {
            if (cap > max) {
                free(buf);
                return -1;
            }
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                return -1;
            }
            buf = nb;
            cap *= 2;
        }
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (r == 0)
            break;
    }
    if (ferror(f) || n > max) {
        free(buf);
        return -1;
    }
    *out = buf;
    *len = n;
    return 0;
}

/* Value of one hex digit (either case), or -1. */
static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* see cli.h */
void cli_hex(char *out, const uint8_t *in, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
}

/* see cli.h */
int cli_unhex(uint8_t *out, size_t n, const char *s)
{
    if (strlen(s) != 2 * n)
        return -1;
    for (size_t i = 0; i < n; i++) {
        int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

/* see cli.h */
int cli_utf8_ok(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        size_t k;
        uint32_t cp, min;
        if (c == 0)
            return 0;
        if (c < 0x80) {
            i++;
            continue;
        }
        if ((c & 0xe0) == 0xc0)
            k = 1, cp = c & 0x1fu, min = 0x80;
        else if ((c & 0xf0) == 0xe0)
            k = 2, cp = c & 0x0fu, min = 0x800;
        else if ((c & 0xf8) == 0xf0)
            k = 3, cp = c & 0x07u, min = 0x10000;
        else
            return 0;
        if (n - i <= k)
            return 0;
        for (size_t j = 1; j <= k; j++) {
            if ((s[i + j] & 0xc0) != 0x80)
                return 0;
            cp = cp << 6 | (s[i + j] & 0x3fu);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        i += k + 1;
    }
    return 1;
}

/* see cli.h */
void cli_json_str(FILE *f, const char *s, size_t n)
{
    fputc('"', f);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '"': fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\r': fputs("\\r", f); break;
        case '\t': fputs("\\t", f); break;
        default:
            if (c < 0x20 || c == 0x7f)
                fprintf(f, "\\u%04x", c);
            else
                fputc(c, f);
        }
    }
    fputc('"', f);
}

/* see cli.h */
void cli_print_bytes(FILE *f, const uint8_t *s, size_t n)
{
    int utf8 = cli_utf8_ok(s, n);
    for (size_t i = 0; i < n; i++) {
        uint8_t c = s[i];
        if (c == '\\')
            fputs("\\\\", f);
        else if ((c >= 0x20 && c < 0x7f) || (utf8 && c >= 0x80))
            fputc(c, f);
        else
            fprintf(f, "\\x%02x", c);
    }
}

/* see cli.h */
void cli_time(char out[64], int64_t t)
{
    char when[32] = "?";
    time_t tt = (time_t)t;
    struct tm tm;
    if ((int64_t)tt == t && gmtime_r(&tt, &tm) && tm.tm_year + 1900 <= 9999 &&
        tm.tm_year + 1900 >= 0)
        strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    snprintf(out, 64, "%s (%lld)", when, (long long)t);
}
