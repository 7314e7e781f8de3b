/*
 * test_codec.c - seal/open property tests over every suite: round trips
 * across payload sizes, every bit flip and truncation rejected, binding to
 * key, purpose, cookie name, audience and suite, key rotation and the
 * structured reasons reaching the log callback; suites 2 and 3 give the
 * same tokens through libsodium and through mbedTLS.
 */
#include "check.h"
#include "crumb.h"
#include "internal.h" /* crumb__gcm_mbedtls, crumb__hmac_mbedtls */

#include <sys/stat.h>
#include <sys/wait.h>
#include <pthread.h>
#include <unistd.h>

static uint8_t key1[32], key2[32], key3[32];
static int last_reason;

static void log_cb(void *ctx, const crumb_event *ev)
{
    (void)ctx;
    last_reason = ev->reason;
}

/* A ring with key 1 primary (or as given), key 2 decrypt-only, 3 revoked. */
static crumb_keyring *ring(uint32_t primary)
{
    crumb_keyring *kr;
    CHECK_OK(crumb_keyring_new(&kr));
    CHECK_OK(crumb_keyring_add(kr, 1, primary == 1 ? CRUMB_KEY_PRIMARY : CRUMB_KEY_DECRYPT_ONLY, key1));
    CHECK_OK(crumb_keyring_add(kr, 2, primary == 2 ? CRUMB_KEY_PRIMARY : CRUMB_KEY_DECRYPT_ONLY, key2));
    CHECK_OK(crumb_keyring_add(kr, 3, CRUMB_KEY_REVOKED, key3));
    return kr;
}

static crumb_codec *codec(const crumb_keyring *kr, int suite, const char *name, const char *purpose,
                          const char *aud, unsigned accept)
{
    crumb_codec_config cfg = {0};
    crumb_codec *c = NULL;
    cfg.cookie_name = name;
    cfg.purpose = purpose;
    cfg.audience = aud;
    cfg.seal_suite = suite;
    cfg.accept_suites = accept;
    cfg.log = log_cb;
    CHECK_OK(crumb_codec_new(&c, kr, &cfg));
    return c;
}

static uint8_t pt[CRUMB_PAYLOAD_MAX], out[CRUMB_PAYLOAD_MAX + 64];
static char tok[CRUMB_PAYLOAD_MAX * 2];

/* Seal n random bytes with c into tok; returns the token length. */
static size_t seal_random(const crumb_codec *c, size_t n, unsigned flags)
{
    size_t tl = 0;
    check_fill(pt, n);
    CHECK_OK(crumb_seal(c, tok, sizeof tok, &tl, pt, n, flags));
    CHECK_INT(tl, crumb_token_len(c, n));
    return tl;
}

/* 1 if tok[0..tl) opens under c to pt[0..n). */
static int opens(const crumb_codec *c, const char *t, size_t tl, size_t n, crumb_open_info *info)
{
    size_t ol = 0;
    crumb_err rc = crumb_open(c, out, sizeof out, &ol, t, tl, info);
    return rc == CRUMB_OK && ol == n && memcmp(out, pt, n) == 0;
}

static void test_round_trips(int suite)
{
    crumb_keyring *kr = ring(1);
    crumb_codec *c = codec(kr, suite, "sid", "session", "app", 0);
    /* every size up to 4096 (beyond any single cookie), then a stride to the max */
    for (size_t n = 0; n <= CRUMB_PAYLOAD_MAX; n += (n < 4096 ? 1 : 4093)) {
        size_t tl = seal_random(c, n, 0);
        crumb_open_info info;
        if (!opens(c, tok, tl, n, &info)) {
            CHECK(!"round trip failed");
            fprintf(stderr, "    suite %d size %zu\n", suite, n);
            break;
        }
        CHECK_INT(info.suite, suite);
        CHECK_INT(info.key_id, 1);
        CHECK_INT(info.reseal, 0);
    }
    size_t tl = seal_random(c, CRUMB_PAYLOAD_MAX, 0);
    CHECK(opens(c, tok, tl, CRUMB_PAYLOAD_MAX, NULL));
    size_t need;
    CHECK_INT(crumb_seal(c, tok, sizeof tok, &need, pt, CRUMB_PAYLOAD_MAX + 1, 0), CRUMB_E_TOO_LARGE);
    /* a buffer one byte short is refused and reports the size */
    tl = seal_random(c, 100, 0);
    CHECK_INT(crumb_seal(c, tok, tl - 1, &need, pt, 100, 0), CRUMB_E_BUFSIZE);
    CHECK_INT(need, tl);
    size_t ol;
    CHECK_INT(crumb_open(c, out, crumb_open_bufsize(tl) - 1, &ol, tok, tl, NULL), CRUMB_E_BUFSIZE);
    CHECK_INT(ol, crumb_open_bufsize(tl));
    /* header flags round trip and unknown flags are refused */
    tl = seal_random(c, 10, CRUMB_FLAG_DEFLATE | CRUMB_FLAG_PADDED);
    crumb_open_info info;
    CHECK(opens(c, tok, tl, 10, &info));
    CHECK_INT(info.flags, CRUMB_FLAG_DEFLATE | CRUMB_FLAG_PADDED);
    CHECK_INT(crumb_seal(c, tok, sizeof tok, &need, pt, 10, 0x80), CRUMB_E_INVALID);
    crumb_codec_free(c);
    crumb_keyring_free(kr);
}

/* Re-encode binary b (n bytes) into t; returns the length. */
static size_t enc(char *t, const uint8_t *b, size_t n)
{
    CHECK_OK(crumb__b64_encode_checked(t, CRUMB_PAYLOAD_MAX * 2, b, n));
    return crumb__b64_encoded_len(n);
}

static void test_tamper(int suite)
{
    static uint8_t bin[1024];
    static char t2[2048];
    size_t bl, tl, rejected = 0, total = 0;
    crumb_keyring *kr = ring(1);
    crumb_codec *c = codec(kr, suite, "sid", "session", NULL, 0);
    tl = seal_random(c, 205, 0);
    CHECK_OK(crumb__b64_decode_checked(bin, sizeof bin, &bl, tok, tl));
    for (size_t i = 0; i < bl * 8; i++) {
        bin[i / 8] ^= (uint8_t)(1u << (i % 8));
        size_t l2 = enc(t2, bin, bl);
        total++;
        rejected += !opens(c, t2, l2, 205, NULL);
        bin[i / 8] ^= (uint8_t)(1u << (i % 8));
    }
    CHECK_INT(rejected, total);
    CHECK(total == (CRUMB_HEADER_BYTES + 205 + (suite == 1 ? 40 : suite == 2 ? 44 : 32)) * 8);
    /* every truncation of the string, and every truncation of the binary */
    for (size_t k = 0; k < tl; k++)
        CHECK(!opens(c, tok, k, 205, NULL));
    for (size_t k = 0; k < bl; k++)
        CHECK(!opens(c, t2, enc(t2, bin, k), 205, NULL));
    /* one extra byte appended */
    bin[bl] = 0;
    CHECK(!opens(c, t2, enc(t2, bin, bl + 1), 205, NULL));
    /* non-canonical trailing bits or stray characters */
    memcpy(t2, tok, tl);
    t2[tl] = '=';
    CHECK(!opens(c, t2, tl + 1, 205, NULL));
    t2[tl] = 'A';
    t2[tl + 1] = 'A';
    CHECK(!opens(c, t2, tl + 2, 205, NULL));
    CHECK(opens(c, tok, tl, 205, NULL));
    /* longer than any valid token: rejected before decoding */
    static char huge[CRUMB_PAYLOAD_MAX * 2];
    static uint8_t hbuf[CRUMB_PAYLOAD_MAX * 2];
    size_t hl;
    memset(huge, 'A', sizeof huge);
    last_reason = 0;
    CHECK_INT(crumb_open(c, hbuf, sizeof hbuf, &hl, huge, sizeof huge, NULL), CRUMB_E_AUTH);
    CHECK_INT(last_reason, CRUMB_R_TOO_LARGE);
    crumb_codec_free(c);
    crumb_keyring_free(kr);
}

static void test_binding(int suite)
{
    crumb_keyring *kr = ring(1);
    crumb_codec *c = codec(kr, suite, "sid", "session", "app", 0);
    size_t tl = seal_random(c, 64, 0);
    CHECK(opens(c, tok, tl, 64, NULL));
    struct {
        const char *name, *purpose, *aud;
    } other[] = {{"sid2", "session", "app"}, {"__Host-sid", "session", "app"},
                 {"sid", "csrf", "app"},     {"sid", "session", "app2"},
                 {"sid", "session", NULL},   {"si", "dsession", "app"}};
    for (size_t i = 0; i < sizeof other / sizeof other[0]; i++) {
        crumb_codec *o = codec(kr, suite, other[i].name, other[i].purpose, other[i].aud, 0);
        last_reason = 0;
        CHECK(!opens(o, tok, tl, 64, NULL));
        CHECK_INT(last_reason, CRUMB_R_BAD_TAG);
        crumb_codec_free(o);
    }
    /* a different key under the same id */
    crumb_keyring *kr2;
    uint8_t k[32];
    check_fill(k, 32);
    CHECK_OK(crumb_keyring_new(&kr2));
    CHECK_OK(crumb_keyring_add(kr2, 1, CRUMB_KEY_PRIMARY, k));
    crumb_codec *o = codec(kr2, suite, "sid", "session", "app", 0);
    CHECK(!opens(o, tok, tl, 64, NULL));
    CHECK_INT(last_reason, CRUMB_R_BAD_TAG);
    crumb_codec_free(o);
    crumb_keyring_free(kr2);
    /* a codec that does not accept this suite refuses it by header */
    int other_suite = suite == 3 ? 2 : 3;
    o = codec(kr, other_suite, "sid", "session", "app", 0);
    CHECK(!opens(o, tok, tl, 64, NULL));
    CHECK_INT(last_reason, CRUMB_R_SUITE_DISABLED);
    crumb_codec_free(o);
    /* changing the suite byte to another accepted suite fails the tag */
    o = codec(kr, suite, "sid", "session", "app",
              0xcu | (crumb_suite_available(1) ? CRUMB_SUITE_BIT(1) : 0));
    uint8_t bin[512];
    size_t bl;
    static char t2[1024];
    CHECK_OK(crumb__b64_decode_checked(bin, sizeof bin, &bl, tok, tl));
    bin[1] = (uint8_t)other_suite;
    CHECK(!opens(o, t2, enc(t2, bin, bl), 64, NULL));
    crumb_codec_free(o);
    crumb_codec_free(c);
    crumb_keyring_free(kr);
}

static void test_rotation(int suite)
{
    crumb_keyring *kr = ring(1);
    crumb_codec *c = codec(kr, suite, "sid", "session", NULL, 0);
    size_t tl = seal_random(c, 50, 0);
    crumb_codec_free(c);
    /* promote key 2: key 1 becomes decrypt-only */
    CHECK_OK(crumb_keyring_set_state(kr, 2, CRUMB_KEY_PRIMARY));
    c = codec(kr, suite, "sid", "session", NULL, 0);
    crumb_open_info info;
    last_reason = 0;
    CHECK(opens(c, tok, tl, 50, &info));
    CHECK_INT(info.reseal, 1);
    CHECK_INT(info.key_id, 1);
    CHECK_INT(last_reason, CRUMB_R_RESEAL);
    size_t t2 = seal_random(c, 50, 0);
    CHECK(opens(c, tok, t2, 50, &info));
    CHECK_INT(info.key_id, 2);
    CHECK_INT(info.reseal, 0);
    crumb_codec_free(c);
    /* revoke key 1: the old token is refused with the revoked reason */
    crumb_keyring *old = ring(1);
    tl = seal_random(c = codec(old, suite, "sid", "session", NULL, 0), 50, 0);
    crumb_codec_free(c);
    crumb_keyring_free(old);
    CHECK_OK(crumb_keyring_set_state(kr, 1, CRUMB_KEY_REVOKED));
    c = codec(kr, suite, "sid", "session", NULL, 0);
    CHECK(!opens(c, tok, tl, 50, NULL));
    CHECK_INT(last_reason, CRUMB_R_REVOKED_KEY);
    /* removing the key: unknown key id */
    CHECK_OK(crumb_keyring_remove(kr, 1));
    crumb_codec_free(c);
    c = codec(kr, suite, "sid", "session", NULL, 0);
    CHECK(!opens(c, tok, tl, 50, NULL));
    CHECK_INT(last_reason, CRUMB_R_UNKNOWN_KEY);
    crumb_codec_free(c);
    crumb_keyring_free(kr);
}

static void test_keyfile(void)
{
    char text[1024], k1[44] = {0}, k2[44] = {0};
    crumb_keyring *kr;
    size_t line, n;
    crumb_key_info ki[4];
    CHECK_OK(crumb__b64_encode_checked(k1, sizeof k1, key1, 32));
    CHECK_OK(crumb__b64_encode_checked(k2, sizeof k2, key2, 32));
    snprintf(text, sizeof text, "# test\ncrumb-keys v1\n\n2 primary %s\n1 decrypt-only %s\r\n", k2, k1);
    CHECK_OK(crumb_keyring_parse(&kr, text, strlen(text), &line));
    CHECK_INT(crumb_keyring_list(kr, ki, 4), 2);
    CHECK_INT(ki[0].id, 1);
    CHECK_INT(ki[0].state, CRUMB_KEY_DECRYPT_ONLY);
    CHECK_INT(ki[1].state, CRUMB_KEY_PRIMARY);
    /* format -> parse round trip */
    char fmt[1024];
    CHECK_OK(crumb_keyring_format(kr, fmt, sizeof fmt, &n));
    CHECK_INT(crumb_keyring_format(kr, fmt, n - 1, &n), CRUMB_E_BUFSIZE);
    crumb_keyring *kr2;
    CHECK_OK(crumb_keyring_parse(&kr2, fmt, n, NULL));
    crumb_codec *a = codec(kr, 0, "s", "p", NULL, 0), *b = codec(kr2, 0, "s", "p", NULL, 0);
    size_t tl = seal_random(a, 30, 0);
    CHECK(opens(b, tok, tl, 30, NULL));
    crumb_codec_free(a);
    crumb_codec_free(b);
    crumb_keyring_free(kr2);
    crumb_keyring_free(kr);
    /* malformed key files, with the failing line */
    const char *bad[] = {
        "",                                       /* no magic */
        "crumb-keys v2\n",                       /* wrong version */
        "crumb-keys v1\n0 primary %s\n",        /* id 0 */
        "crumb-keys v1\n01 primary %s\n",       /* leading zero */
        "crumb-keys v1\n4294967296 primary %s\n", /* id overflow */
        "crumb-keys v1\n1 master %s\n",         /* bad state */
        "crumb-keys v1\n1 primary %s extra\n",  /* extra field */
        "crumb-keys v1\n1 primary %s\n1 revoked %s\n", /* duplicate id */
        "crumb-keys v1\n1 primary %s\n2 primary %s\n", /* two primaries */
        "crumb-keys v1\n1 primary %.42s\n",     /* short key */
        "crumb-keys v1\n1 primary %sA\n",       /* long key */
    };
    size_t bad_line[] = {1, 1, 2, 2, 2, 2, 2, 3, 3, 2, 2};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(text, sizeof text, bad[i], k1, k2);
        kr = (crumb_keyring *)1;
        CHECK_INT(crumb_keyring_parse(&kr, text, strlen(text), &line), CRUMB_E_KEYFILE);
        CHECK(kr == NULL);
        if (line != bad_line[i])
            fprintf(stderr, "    case %zu: line %zu\n", i, line);
        CHECK_INT(line, bad_line[i]);
    }
    /* non-canonical key encoding (trailing bits set) */
    char nc[44];
    memcpy(nc, k1, 44);
    nc[42] = nc[42] == 'A' ? 'B' : (char)(nc[42] ^ 1);
    snprintf(text, sizeof text, "crumb-keys v1\n1 primary %s\n", nc);
    CHECK_INT(crumb_keyring_parse(&kr, text, strlen(text), &line), CRUMB_E_KEYFILE);
    /* the environment variable form */
    snprintf(text, sizeof text, "1:primary:%s, 2:decrypt-only:%s", k1, k2);
    setenv("CRUMB_TEST_KEYS", text, 1);
    CHECK_OK(crumb_keyring_load_env(&kr, "CRUMB_TEST_KEYS"));
    CHECK_INT(crumb_keyring_list(kr, ki, 4), 2);
    crumb_keyring_free(kr);
    setenv("CRUMB_TEST_KEYS", "1:primary:short", 1);
    CHECK_INT(crumb_keyring_load_env(&kr, "CRUMB_TEST_KEYS"), CRUMB_E_KEYFILE);
    unsetenv("CRUMB_TEST_KEYS");
    CHECK_INT(crumb_keyring_load_env(&kr, "CRUMB_TEST_KEYS"), CRUMB_E_NOTFOUND);
    /* key files readable by others are refused */
    char path[] = "/tmp/crumb-keyfile-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    snprintf(text, sizeof text, "crumb-keys v1\n1 primary %s\n", k1);
    CHECK_INT(write(fd, text, strlen(text)), (long long)strlen(text));
    close(fd);
    CHECK_OK(crumb_keyring_load_file(&kr, path));
    crumb_keyring_free(kr);
    chmod(path, 0644);
    CHECK_INT(crumb_keyring_load_file(&kr, path), CRUMB_E_INVALID);
    unlink(path);
    CHECK_INT(crumb_keyring_load_file(&kr, path), CRUMB_E_NOTFOUND);
}

static void test_config(void)
{
    crumb_keyring *kr = ring(1);
    crumb_codec_config cfg = {0};
    crumb_codec *c;
    cfg.purpose = "p";
    CHECK_INT(crumb_codec_new(&c, kr, &cfg), CRUMB_E_INVALID); /* no cookie name */
    cfg.cookie_name = "s";
    cfg.seal_suite = 4;
    CHECK_INT(crumb_codec_new(&c, kr, &cfg), CRUMB_E_INVALID);
    cfg.seal_suite = 3;
    cfg.accept_suites = CRUMB_SUITE_BIT(2);
    CHECK_INT(crumb_codec_new(&c, kr, &cfg), CRUMB_E_INVALID); /* seal suite not accepted */
    char longname[300];
    memset(longname, 'a', sizeof longname - 1);
    longname[299] = 0;
    cfg.accept_suites = 0;
    cfg.audience = longname;
    CHECK_INT(crumb_codec_new(&c, kr, &cfg), CRUMB_E_INVALID);
    /* a ring without a primary opens but cannot seal */
    crumb_keyring *kr2;
    CHECK_OK(crumb_keyring_new(&kr2));
    CHECK_OK(crumb_keyring_add(kr2, 7, CRUMB_KEY_DECRYPT_ONLY, key1));
    c = codec(kr2, 0, "s", "p", NULL, 0);
    size_t tl;
    CHECK_INT(crumb_seal(c, tok, sizeof tok, &tl, pt, 1, 0), CRUMB_E_NOKEY);
    crumb_codec_free(c);
    crumb_keyring_free(kr2);
    crumb_keyring_free(kr);
}

/* The attack on buffered randomness: a pre-forking server seals once in the
 * parent (which fills the per-thread random buffer), then forks workers that
 * each seal a token. If a child replayed the parent's buffered bytes, every
 * worker (and the parent's next token) would carry the same nonce: a nonce
 * reuse under one key. All nonces must differ. */
static void test_fork_nonces(int suite)
{
    enum { KIDS = 3 };
    crumb_keyring *kr = ring(1);
    crumb_codec_config cfg = {.cookie_name = "sid", .purpose = "session", .seal_suite = suite};
    crumb_codec *c;
    char tk[512], got[KIDS + 1][64];
    size_t tl, nl = suite == 1 ? 24 : 28;
    uint8_t msg[16] = {1};
    int fds[2];
    CHECK_OK(crumb_codec_new(&c, kr, &cfg));
    CHECK_OK(crumb_seal(c, tk, sizeof tk, &tl, msg, sizeof msg, 0)); /* primes the buffer */
    CHECK_INT(pipe(fds), 0);
    for (int k = 0; k < KIDS; k++) {
        pid_t pid = fork();
        if (pid == 0) { /* worker: seal one token, send its first chars */
            if (crumb_seal(c, tk, sizeof tk, &tl, msg, sizeof msg, 0) != CRUMB_OK)
                _exit(1);
            _exit(write(fds[1], tk, 64) == 64 ? 0 : 1);
        }
        CHECK(pid > 0);
        int st = 0;
        CHECK_INT(waitpid(pid, &st, 0), pid);
        CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
        CHECK_INT(read(fds[0], got[k], 64), 64);
    }
    CHECK_OK(crumb_seal(c, tk, sizeof tk, &tl, msg, sizeof msg, 0));
    memcpy(got[KIDS], tk, 64);
    close(fds[0]);
    close(fds[1]);
    /* chars 10.. encode the nonce (header is 7 bytes = chars 0..9 + 1/3) */
    size_t off = 10, len = (7 + nl) * 4 / 3 - off;
    int same = 0;
    for (int a = 0; a <= KIDS; a++)
        for (int b = a + 1; b <= KIDS; b++)
            same += memcmp(got[a] + off, got[b] + off, len) == 0;
    CHECK_INT(same, 0);
    crumb_codec_free(c);
    crumb_keyring_free(kr);
}

/* Threads drawing from their own random buffers: every nonce of every
 * thread differs (a shared or copied buffer would repeat them). */
enum { TH = 4, PER = 64 };
static char th_nonce[TH][PER][32];
static crumb_codec *th_codec;

static void *th_seal(void *arg)
{
    size_t t = (size_t)arg, tl;
    char tk[512];
    uint8_t msg[8] = {0};
    for (int i = 0; i < PER; i++) {
        if (crumb_seal(th_codec, tk, sizeof tk, &tl, msg, sizeof msg, 0) != CRUMB_OK)
            return NULL;
        memcpy(th_nonce[t][i], tk + 10, 32); /* nonce characters (suite 1) */
    }
    return arg;
}

static void test_thread_nonces(void)
{
    crumb_keyring *kr = ring(1);
    crumb_codec_config cfg = {.cookie_name = "sid", .purpose = "session", .seal_suite = 1};
    pthread_t th[TH];
    CHECK_OK(crumb_codec_new(&th_codec, kr, &cfg));
    for (size_t t = 0; t < TH; t++)
        CHECK_INT(pthread_create(&th[t], NULL, th_seal, (void *)t), 0);
    for (size_t t = 0; t < TH; t++) {
        void *r = NULL;
        CHECK_INT(pthread_join(th[t], &r), 0);
        CHECK(r == (void *)t);
    }
    long same = 0;
    const char *all = &th_nonce[0][0][0];
    for (size_t a = 0; a < TH * PER; a++)
        for (size_t b = a + 1; b < TH * PER; b++)
            same += memcmp(all + 32 * a, all + 32 * b, 32) == 0;
    CHECK_INT(same, 0);
    crumb_codec_free(th_codec);
    crumb_keyring_free(kr);
}

/* Suites 2 and 3 through both libraries: codec a prepares its HMAC keys
 * with the default library (libsodium where built in), codec b with
 * mbedTLS's SHA-256; AES-GCM runs through libsodium (where it runs) or
 * mbedTLS's GCM as crumb__gcm_mbedtls says. A token sealed by either opens
 * under the other, and a token with one flipped character opens under
 * neither. (In a build without libsodium both sides are mbedTLS.) */
static void test_libraries_agree(int suite)
{
    crumb_keyring *kr = ring(1);
    crumb_codec *a = codec(kr, suite, "sid", "session", "app", 0);
    crumb__hmac_mbedtls = 1;
    crumb_codec *b = codec(kr, suite, "sid", "session", "app", 0);
    crumb__hmac_mbedtls = 0;
    long bad = 0;
    for (int k = 0; k < 300; k++) {
        size_t n = (size_t)(check_rand() % 700);
        int from = k & 1, gcm_seal = (k >> 1) & 1;
        crumb__gcm_mbedtls = gcm_seal;
        size_t tl = seal_random(from ? b : a, n, 0);
        crumb__gcm_mbedtls = !gcm_seal;
        bad += !opens(from ? a : b, tok, tl, n, NULL) || !opens(from ? b : a, tok, tl, n, NULL);
        size_t i = (size_t)check_rand() % tl;
        char was = tok[i];
        tok[i] = was == 'A' ? 'B' : 'A';
        bad += opens(a, tok, tl, n, NULL) || opens(b, tok, tl, n, NULL);
        tok[i] = was;
    }
    crumb__gcm_mbedtls = 0;
    printf("suite %d: 300 tokens across libsodium and mbedTLS, %ld mismatches\n", suite, bad);
    CHECK_INT(bad, 0);
    crumb_codec_free(a);
    crumb_codec_free(b);
    crumb_keyring_free(kr);
}

int main(void)
{
    check_seed();
    check_fill(key1, 32);
    check_fill(key2, 32);
    check_fill(key3, 32);
    for (int s = 1; s <= 3; s++) {
        if (!crumb_suite_available(s)) {
            /* CRYPTO=mbedtls build: suite 1 must say "unavailable" clearly */
            crumb_keyring *kr = ring(1);
            crumb_codec_config cfg = {.cookie_name = "s", .purpose = "p", .seal_suite = 1};
            crumb_codec *c;
            CHECK_INT(crumb_codec_new(&c, kr, &cfg), CRUMB_E_UNAVAILABLE);
            crumb_keyring_free(kr);
            continue;
        }
        test_round_trips(s);
        test_tamper(s);
        test_binding(s);
        test_rotation(s);
        if (s != 3)
            test_fork_nonces(s);
        if (s != 1)
            test_libraries_agree(s);
    }
    if (crumb_suite_available(1))
        test_thread_nonces();
    test_keyfile();
    test_config();
    return check_done("test_codec");
}
