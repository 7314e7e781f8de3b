/*
 * gen_corpus.c - writes the seed corpora of the fuzz harnesses (one
 * directory per harness under OUTDIR), built on demand as
 * build/fuzz/gen_corpus and run by `tools/fuzz_ci.sh corpus`, which then
 * minimises the seeds into fuzz/corpus/ with libFuzzer's -merge=1.
 * Seeds use the fixed test keys and clock of fuzz_common.h so tokens and
 * cookies authenticate and are fresh when a harness replays them.
 * Usage: gen_corpus OUTDIR
 */
#include "fuzz_common.h"
#include "session.h"

#include "../stores/file_internal.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *outdir;
static unsigned seq;

/* Write one seed file OUTDIR/<name>/<seq>; exits on failure. */
static void emit(const char *name, const void *p, size_t n)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", outdir, name);
    if (mkdir(path, 0755) != 0 && errno != EEXIST) {
        perror(path);
        exit(1);
    }
    snprintf(path, sizeof path, "%s/%s/seed-%04u", outdir, name, seq++);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(p, 1, n, f) != n || fclose(f) != 0) {
        perror(path);
        exit(1);
    }
}

static void emits(const char *name, const char *s)
{
    emit(name, s, strlen(s));
}

/* A payload at FUZZ_NOW: variant v picks the auth state, ids and data. */
static size_t make_payload(uint8_t *out, size_t cap, unsigned v, size_t value_len)
{
    crumb_payload p;
    memset(&p, 0, sizeof p);
    p.version = CRUMB_PAYLOAD_VERSION;
    p.issued_at = FUZZ_NOW - 10;
    p.expires_at = FUZZ_NOW + 3600;
    p.idle_at = FUZZ_NOW + 600;
    memset(p.sid, 0x5a, sizeof p.sid);
    memset(p.family, 0xa5, sizeof p.family);
    p.generation = v;
    p.app_schema = v % 3;
    if (v & 1) {
        memcpy(p.user, "alice", 5);
        p.user_len = 5;
        memcpy(p.tenant, "acme", 4);
        p.tenant_len = 4;
    }
    if (v & 2) {
        memset(p.device, 'd', 200);
        p.device_len = 200;
    }
    p.auth.state = (int)(v % 4);
    p.auth.factors = CRUMB_FACTOR_PASSWORD | CRUMB_FACTOR_TOTP;
    p.auth.remaining = v % 4 == CRUMB_AUTH_IN_PROGRESS ? CRUMB_FACTOR_TOTP : 0;
    p.auth.attempts = v % 4 == CRUMB_AUTH_IN_PROGRESS ? 2 : 0;
    p.auth.workflow = v % 4 == CRUMB_AUTH_PENDING ? CRUMB_WORKFLOW_PASSWORD_RESET : 0;
    p.auth.time = v % 4 ? FUZZ_NOW - 5 : 0;
    if (v % 4 == CRUMB_AUTH_IN_PROGRESS)
        p.auth.factors = CRUMB_FACTOR_PASSWORD;
    if (v % 4 == CRUMB_AUTH_PENDING)
        p.auth.factors = 0;
    /* data entries "a" < "cart" < "theme" (sorted), values of value_len */
    static uint8_t data[3 * (2 + 5 + 2) + 3 * 40000];
    size_t d = 0, count = 0;
    static const char *const keys[] = {"a", "cart", "theme"};
    for (size_t k = 0; k < 3 && v >= 4; k++) {
        size_t kl = strlen(keys[k]), vl = k == 1 ? value_len : 3;
        data[d++] = (uint8_t)kl;
        memcpy(data + d, keys[k], kl), d += kl;
        data[d++] = (uint8_t)(vl >> 8);
        data[d++] = (uint8_t)vl;
        for (size_t i = 0; i < vl; i++)
            data[d++] = (uint8_t)(v & 8 ? 'x' : (i * 131u + k) & 0xff);
        count++;
    }
    p.data = data;
    p.data_len = d;
    p.data_count = count;
    size_t n = 0;
    FUZZ_SETUP(crumb_payload_encode(&p, out, cap, &n));
    if (v % 4 != CRUMB_AUTH_IN_PROGRESS)
        p.auth.remaining = p.auth.attempts = 0;
    return n;
}

/* ---- per-harness seeds ------------------------------------------------- */

static void gen_payload(void)
{
    static uint8_t buf[CRUMB_PAYLOAD_MAX];
    static const size_t vlens[] = {0, 1, 100, 3000};
    for (unsigned v = 0; v < 16; v++) {
        size_t n = make_payload(buf, sizeof buf, v, vlens[v % 4]);
        emit("payload", buf, n);
        if (v == 5) {
            emit("payload", buf, n - 1);       /* truncated */
            buf[0] = CRUMB_PAYLOAD_VERSION_MAX + 1;
            emit("payload", buf, n);           /* newer version */
        }
    }
}

static void gen_token(const crumb_keyring *kr)
{
    static const size_t sizes[] = {0, 1, 16, 100, 1000, 2900};
    static uint8_t pt[3000];
    static char tok[4200];
    for (size_t i = 0; i < sizeof pt; i++)
        pt[i] = (uint8_t)(i * 7u);
    /* a ring where the decrypt-only key 1 is primary: tokens under id 1 */
    crumb_keyring *k1 = fuzz_keyring();
    FUZZ_SETUP(crumb_keyring_set_state(k1, 1, CRUMB_KEY_PRIMARY));
    for (int s = 1; s <= FUZZ_NSUITES; s++) {
        if (!crumb_suite_available(s))
            continue;
        crumb_codec *c = fuzz_codec(kr, s), *c1 = fuzz_codec(k1, s);
        for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
            size_t n = 0;
            unsigned flags = (unsigned)i % 8;
            FUZZ_SETUP(crumb_seal(c, tok, sizeof tok, &n, pt, sizes[i], flags));
            emit("token", tok, n);
            emit("b64", tok, n);
            if (i == 2) {
                emit("token", tok, n - 1);          /* truncated */
                tok[n / 2] = tok[n / 2] == 'A' ? 'B' : 'A';
                emit("token", tok, n);              /* tampered */
                FUZZ_SETUP(crumb_seal(c1, tok, sizeof tok, &n, pt, sizes[i], 0));
                emit("token", tok, n);              /* decrypt-only key */
            }
        }
        crumb_codec_free(c);
        crumb_codec_free(c1);
    }
    crumb_keyring_free(k1);
    emits("token", "");
    emits("token", "AQEAAAAAAg");
    emits("b64", "");
    emits("b64", "AA");
    emits("b64", "AAA");
    emits("b64", "AB");
    emits("b64", "-_-_");
}

static void gen_token_sealed(void)
{
    static uint8_t buf[1 + CRUMB_PAYLOAD_MAX], tmp[CRUMB_PAYLOAD_MAX];
    static const size_t vlens[] = {0, 10, 600, 3000};
    for (unsigned v = 0; v < 16; v++) {
        size_t n = make_payload(tmp, sizeof tmp, v, vlens[v % 4]);
        for (unsigned suite = 0; suite < 3; suite++) {
            unsigned chunks = v % 4 == 3 ? (v & 4 ? 3u : 1u) : 0u;
            buf[0] = (uint8_t)(suite | chunks << 5);
            memcpy(buf + 1, tmp, n);
            emit("token_sealed", buf, 1 + n);
        }
        /* deflated (flag bit 2) and padded (flag bit 3) variants */
        size_t dl = 0;
        if (crumb__deflate(buf + 1, sizeof buf - 1, &dl, tmp, n) == CRUMB_OK) {
            buf[0] = (uint8_t)(v % 3 | 4);
            emit("token_sealed", buf, 1 + dl);
            size_t pl = crumb__padded_len(dl, 64);
            crumb__pad(buf + 1, dl, pl);
            buf[0] = (uint8_t)(v % 3 | 4 | 8);
            emit("token_sealed", buf, 1 + pl);
            if (v == 6) { /* inflate cap: a bomb (all zeros) */
                static uint8_t zeros[CRUMB_PAYLOAD_MAX];
                FUZZ_SETUP(crumb__deflate(buf + 1, sizeof buf - 1, &dl, zeros, sizeof zeros));
                buf[0] = 4;
                emit("token_sealed", buf, 1 + dl);
            }
        }
        size_t pl = crumb__padded_len(n, 128);
        memcpy(buf + 1, tmp, n);
        crumb__pad(buf + 1, n, pl);
        buf[0] = (uint8_t)(v % 3 | 8);
        emit("token_sealed", buf, 1 + pl);
        if (v == 1) {
            buf[0] = 16; /* reference flag: refused by a stateless context */
            emit("token_sealed", buf, 1 + n);
        }
    }
}

static void gen_inflate(void)
{
    static uint8_t buf[2 + CRUMB_PAYLOAD_MAX], src[CRUMB_PAYLOAD_MAX];
    static const size_t sizes[] = {0, 1, 64, 300, 5000, CRUMB_PAYLOAD_MAX};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        for (size_t j = 0; j < sizes[i]; j++)
            src[j] = (uint8_t)(i & 1 ? 0 : (j * j) >> 3);
        size_t dl = 0;
        FUZZ_SETUP(crumb__deflate(buf + 2, sizeof buf - 2, &dl, src, sizes[i]));
        buf[0] = (uint8_t)(7 - i);
        buf[1] = (uint8_t)i;
        emit("inflate", buf, 2 + dl);
        buf[0] = 7;
        buf[1] = 0;
        emit("inflate", buf, 2 + dl);
    }
    /* a stored block "hello" and a fixed-Huffman empty block */
    static const uint8_t stored[] = {7, 0, 0x01, 0x05, 0x00, 0xfa, 0xff, 'h', 'e', 'l', 'l', 'o'};
    static const uint8_t fixed[] = {7, 0, 0x03, 0x00};
    emit("inflate", stored, sizeof stored);
    emit("inflate", fixed, sizeof fixed);
}

static void gen_keyring(const crumb_keyring *kr)
{
    char text[1024];
    size_t n = 0;
    FUZZ_SETUP(crumb_keyring_format(kr, text, sizeof text, &n));
    emit("keyring", text, n);
    emit("keyring", text, 14); /* magic line only */
    /* comments, blank lines, CRLF and tabs around the first key line */
    char alt[1200];
    const char *nl = memchr(text, '\n', n);
    size_t head = (size_t)(nl - text) + 1;
    int k = snprintf(alt, sizeof alt, "# keys\r\n\r\n%.*s\t%.*s", (int)head, text,
                     (int)(n - head), nl + 1);
    emit("keyring", alt, (size_t)k);
    emits("keyring", "crumb-keys v1\n1 primary AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n");
    emits("keyring", "crumb-keys v1\n4294967295 revoked ____________________________________________\n");
}

static void gen_cookie(const crumb_keyring *kr)
{
    crumb_ctx *ctx = fuzz_ctx(kr, crumb_suite_available(1) ? 1 : 2, 0);
    static const size_t vlens[] = {0, 50, 3000, 9000, 30000};
    static char hdr[80000];
    static uint8_t val[30000];
    for (size_t i = 0; i < sizeof vlens / sizeof vlens[0]; i++) {
        fuzz_random_reset();
        crumb_session *s = NULL;
        FUZZ_SETUP(crumb_session_load(&s, ctx, NULL));
        FUZZ_SETUP(crumb_session_set_user(s, "bob", 3));
        for (size_t j = 0; j < vlens[i]; j++)
            val[j] = (uint8_t)(i & 1 ? 'z' : j * 2654435761u >> 13);
        FUZZ_SETUP(crumb_session_set(s, "blob", val, vlens[i]));
        const char *const *lines;
        size_t count = 0;
        FUZZ_SETUP(crumb_session_save(s, &lines, &count));
        size_t off = 0;
        for (size_t l = 0; l < count; l++) {
            const char *semi = strchr(lines[l], ';');
            size_t m = semi ? (size_t)(semi - lines[l]) : strlen(lines[l]);
            if (m > 0 && lines[l][m - 1] == '=')
                continue; /* a deletion line */
            off += (size_t)snprintf(hdr + off, sizeof hdr - off, "%s%.*s", off ? "; " : "",
                                    (int)m, lines[l]);
        }
        emit("cookie", hdr, off);
        if (i == 0) {
            char with[82000];
            int w = snprintf(with, sizeof with, "theme=dark; %s; sid.3=stale; other=\"q\"", hdr);
            emit("cookie", with, (size_t)w);
        }
        if (count > 1) /* a partial set: drop the last chunk */
            emit("cookie", hdr, (size_t)(strrchr(hdr, ';') - hdr));
        crumb_session_free(s);
    }
    emits("cookie", "");
    emits("cookie", "sid=");
    emits("cookie", " sid = x ;;; =y; novalue; sid=2.; sid.1=A");
    emits("cookie", "sid.1=AAAA; sid.2=BBBB");
    emits("cookie", "sid=17.AAAA; sid.1=x");
    emits("cookie", "sid=\"AQEAAAAAAg\"; sid=dup");
    crumb_ctx_free(ctx);
}

/* Emit the file store record at path (type from its directory) as
 * fuzz_filestore seeds: the image re-encoded under fuzz_fs_hash (mode 0,
 * for user records once per operation), as written (mode 1), and its body
 * (mode 2). Exits if the store wrote a record its own decoder refuses. */
static void emit_record(const char *path, int type)
{
    static const int order[] = {CRUMB__FS_SESSION, CRUMB__FS_REVOKE, CRUMB__FS_FAMILY,
                                CRUMB__FS_USER, CRUMB__FS_GLOBAL};
    static uint8_t img[1 + 200000], out[1 + 200000];
    uint8_t h[32], fh[32];
    FILE *f = fopen(path, "rb");
    size_t n = f ? fread(img + 1, 1, sizeof img - 1, f) : 0;
    if (!f || n < CRUMB__FS_HDR + CRUMB__FS_TRAILER || n == sizeof img - 1) {
        fprintf(stderr, "%s: unreadable record\n", path);
        exit(1);
    }
    fclose(f);
    unsigned t = 0;
    while (order[t] != type)
        t++;
    memcpy(h, img + 1 + 12, 32);
    crumb__fs_record r;
    uint8_t *enc;
    size_t en;
    fuzz_fs_hash(fh);
    if (crumb__fs_record_decode(&r, type, h, img + 1, n) != CRUMB_OK ||
        crumb__fs_record_encode(&r, fh, &enc, &en) != CRUMB_OK) {
        fprintf(stderr, "%s: the store's record does not decode\n", path);
        exit(1);
    }
    for (unsigned op = 0; op < (type == CRUMB__FS_USER ? 8u : 1u); op++) {
        out[0] = (uint8_t)(t | op << 5);
        memcpy(out + 1, enc, en);
        emit("filestore", out, 1 + en);
    }
    crumb__free(enc);
    crumb__fs_record_free(&r);
    img[0] = (uint8_t)(t | 1u << 3);
    emit("filestore", img, 1 + n);
    img[CRUMB__FS_HDR] = (uint8_t)(t | 2u << 3);
    emit("filestore", img + CRUMB__FS_HDR, 1 + n - CRUMB__FS_HDR - CRUMB__FS_TRAILER);
}

/* nftw callback: remove one entry of the scratch store. */
static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(p);
}

/* Records written by the real file store (fixed secret, FUZZ_NOW): sessions
 * of several sizes, a revocation, families, the global record, users with
 * devices, device revocations, a user rule and index entries. */
static void gen_filestore(void)
{
    static const char dirs[] = "srfu";
    static uint8_t data[5000];
    char tmpl[] = "/tmp/crumb-gen-filestore.XXXXXX", path[600];
    uint8_t secret[32];
    memset(secret, 0x42, sizeof secret);
    if (mkdtemp(tmpl) == NULL) {
        perror("mkdtemp");
        exit(1);
    }
    snprintf(path, sizeof path, "%s/store", tmpl);
    crumb_store_file_config cfg = {.secret = secret, .no_fsync = 1};
    crumb_store *st = NULL;
    FUZZ_SETUP(crumb_store_file_open(&st, path, &cfg));
    const int64_t now = FUZZ_NOW;
    crumb_store_key k;
    crumb_store_id fam, dev;
    static const size_t sizes[] = {0, 1, 100, 4000};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        memset(k.b, (int)(0x10 + i), sizeof k.b);
        memset(data, (int)('a' + i), sizes[i]);
        FUZZ_SETUP(crumb_store_put(st, &k, data, sizes[i], now + 3600, CRUMB_STORE_VERSION_ANY,
                                   NULL, now));
    }
    FUZZ_SETUP(crumb_store_touch(st, &k, now + 7200, now));
    FUZZ_SETUP(crumb_store_revoke_session(st, &k, now + 600, now));
    memset(fam.b, 0xfa, sizeof fam.b);
    FUZZ_SETUP(crumb_store_family_advance(st, &fam, 0, 3, now + 3600, now, NULL));
    memset(fam.b, 0xfb, sizeof fam.b);
    FUZZ_SETUP(crumb_store_revoke_family(st, &fam, now + 3600, now));
    FUZZ_SETUP(crumb_store_revoke_all(st, now - 100, now));
    static const char *const labels[] = {"", "Firefox on Linux", "a", "phone"};
    for (unsigned u = 0; u < 3; u++) {
        char user[16];
        snprintf(user, sizeof user, "user%u", u);
        const char *tenant = u == 2 ? "acme" : NULL;
        for (unsigned d = 0; d < u + 1; d++) {
            crumb_store_sighting sg = {.label = labels[d % 4],
                                       .ip_prefix = d ? "192.0.2.0/24" : NULL};
            memset(sg.device.b, (int)(0x30 + d), sizeof sg.device.b);
            memset(sg.fingerprint, (int)(0x60 + d), sizeof sg.fingerprint);
            FUZZ_SETUP(crumb_store_device_seen(st, tenant, user, &sg, now - 86400 * (int64_t)d,
                                               NULL));
            crumb_store_session_info info = {.created = now - 100 * (int64_t)d,
                                             .last_seen = now - (int64_t)d,
                                             .expires_at = now + 600 - 700 * (int64_t)(d == 2)};
            memset(info.session.b, (int)(0x70 + d), sizeof info.session.b);
            info.family = fam;
            info.device = sg.device;
            snprintf(info.label, sizeof info.label, "%s", labels[(d + 1) % 4]);
            if (info.expires_at > now)
                FUZZ_SETUP(crumb_store_index_put(st, tenant, user, &info, now));
        }
        memset(dev.b, 0x30, sizeof dev.b);
        if (u >= 1)
            FUZZ_SETUP(crumb_store_device_set_trust(st, tenant, user, &dev, CRUMB_TRUST_TRUSTED,
                                                    now));
        memset(dev.b, 0x31, sizeof dev.b);
        if (u >= 2)
            FUZZ_SETUP(crumb_store_revoke_device(st, tenant, user, &dev, now + 3600, now));
        memset(dev.b, 0xee, sizeof dev.b);
        if (u >= 1)
            FUZZ_SETUP(crumb_store_revoke_device(st, tenant, user, &dev, now + 60, now));
        if (u == 1)
            FUZZ_SETUP(crumb_store_revoke_user(st, tenant, user, now - 1, &k, now + 3600, now));
        if (u == 2)
            FUZZ_SETUP(crumb_store_revoke_user(st, tenant, user, now - 1, NULL, now + 3600, now));
    }
    crumb_store_close(st);

    /* every record file, by directory */
    for (const char *t = dirs; *t; t++) {
        for (unsigned fan = 0; fan < 256; fan++) {
            char dpath[640], rpath[1024];
            snprintf(dpath, sizeof dpath, "%s/%c/%02x", path, *t, fan);
            DIR *d = opendir(dpath);
            struct dirent *e;
            while (d && (e = readdir(d)) != NULL) {
                if (e->d_name[0] == '.')
                    continue;
                snprintf(rpath, sizeof rpath, "%s/%s", dpath, e->d_name);
                emit_record(rpath, *t == 's' ? CRUMB__FS_SESSION : *t == 'r' ? CRUMB__FS_REVOKE
                                   : *t == 'f' ? CRUMB__FS_FAMILY : CRUMB__FS_USER);
            }
            if (d)
                closedir(d);
        }
    }
    char gpath[640];
    snprintf(gpath, sizeof gpath, "%s/global", path);
    emit_record(gpath, CRUMB__FS_GLOBAL);
    nftw(tmpl, rm_entry, 16, FTW_DEPTH | FTW_PHYS);

    /* damaged headers for the raw mode */
    static const uint8_t empty_mode0[] = {0};
    emit("filestore", empty_mode0, sizeof empty_mode0);
    uint8_t newer[1 + CRUMB__FS_HDR + 8 + CRUMB__FS_TRAILER] = {1 | 1u << 3, 'C', 'R', 'M', 'R',
                                                                2, 'R'};
    newer[1 + 8] = 8;
    emit("filestore", newer, sizeof newer);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s OUTDIR\n", argv[0]);
        return 2;
    }
    outdir = argv[1];
    if (mkdir(outdir, 0755) != 0 && errno != EEXIST) {
        perror(outdir);
        return 1;
    }
    fuzz_random_reset();
    crumb_keyring *kr = fuzz_keyring();
    gen_payload();
    gen_token(kr);
    gen_token_sealed();
    gen_inflate();
    gen_keyring(kr);
    gen_cookie(kr);
    gen_filestore();
    crumb_keyring_free(kr);
    printf("wrote %u seeds to %s\n", seq, outdir);
    return 0;
}
