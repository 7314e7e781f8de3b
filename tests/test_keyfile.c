/*
 * test_keyfile.c - the two secret files (key ring, store secret) are read by
 * one helper (lib/keyfile.c): both refuse an absent file, a symlink, a
 * directory and a group/other-readable file with the same error codes, and
 * the store secret's own content rules (64 hex digits, trailing newlines).
 */
#include "check.h"
#include "crumb.h"

#include <sys/stat.h>
#include <unistd.h>

static char dir[] = "/tmp/crumb-keyfile-XXXXXX";
static char ring_path[128], sec_path[128];

static void put(const char *path, const char *text, mode_t mode)
{
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (f) {
        fputs(text, f);
        fclose(f);
    }
    CHECK_INT(chmod(path, mode), 0);
}

/* The key ring loader's answer for path. */
static crumb_err load_ring(const char *path)
{
    crumb_keyring *kr = NULL;
    crumb_err rc = crumb_keyring_load_file(&kr, path);
    crumb_keyring_free(kr);
    return rc;
}

/* The store secret loader's answer for path. */
static crumb_err load_secret(const char *path)
{
    uint8_t out[32];
    return crumb_store_secret_load_file(out, path);
}

/* Both loaders, on the same kind of bad path, fail the same way. */
static void same_refusals(void)
{
    char p[160];
    snprintf(p, sizeof p, "%s/absent", dir);
    CHECK_INT(load_ring(p), CRUMB_E_NOTFOUND);
    CHECK_INT(load_secret(p), CRUMB_E_NOTFOUND);
    snprintf(p, sizeof p, "%s/link-ring", dir);
    CHECK_INT(symlink(ring_path, p), 0);
    CHECK_INT(load_ring(p), CRUMB_E_IO); /* O_NOFOLLOW */
    snprintf(p, sizeof p, "%s/link-secret", dir);
    CHECK_INT(symlink(sec_path, p), 0);
    CHECK_INT(load_secret(p), CRUMB_E_IO);
    snprintf(p, sizeof p, "%s/subdir", dir);
    CHECK_INT(mkdir(p, 0700), 0);
    CHECK_INT(load_ring(p), CRUMB_E_IO); /* not a regular file */
    CHECK_INT(load_secret(p), CRUMB_E_IO);
    CHECK_INT(chmod(ring_path, 0640), 0);
    CHECK_INT(chmod(sec_path, 0640), 0);
    CHECK_INT(load_ring(ring_path), CRUMB_E_INVALID); /* group-readable */
    CHECK_INT(load_secret(sec_path), CRUMB_E_INVALID);
    CHECK_INT(chmod(ring_path, 0604), 0);
    CHECK_INT(chmod(sec_path, 0604), 0);
    CHECK_INT(load_ring(ring_path), CRUMB_E_INVALID); /* other-readable */
    CHECK_INT(load_secret(sec_path), CRUMB_E_INVALID);
    CHECK_INT(chmod(ring_path, 0600), 0);
    CHECK_INT(chmod(sec_path, 0600), 0);
    CHECK_INT(load_ring(ring_path), CRUMB_OK);
    CHECK_INT(load_secret(sec_path), CRUMB_OK);
}

/* The store secret's content: 64 hex digits, then only CR/LF. */
static void secret_content(const char *hex)
{
    char text[200];
    uint8_t out[32], want[32];
    for (int i = 0; i < 32; i++) {
        unsigned v;
        sscanf(hex + 2 * i, "%2x", &v);
        want[i] = (uint8_t)v;
    }
    snprintf(text, sizeof text, "%s\r\n\n", hex);
    put(sec_path, text, 0600);
    CHECK_OK(crumb_store_secret_load_file(out, sec_path));
    CHECK_MEM(out, want, 32);
    snprintf(text, sizeof text, "%.63s\n", hex); /* one digit short */
    put(sec_path, text, 0600);
    CHECK_INT(load_secret(sec_path), CRUMB_E_KEYFILE);
    snprintf(text, sizeof text, "%sa\n", hex); /* one digit too many */
    put(sec_path, text, 0600);
    CHECK_INT(load_secret(sec_path), CRUMB_E_KEYFILE);
    snprintf(text, sizeof text, "%.63sg", hex); /* not hex */
    put(sec_path, text, 0600);
    CHECK_INT(load_secret(sec_path), CRUMB_E_KEYFILE);
    put(sec_path, "", 0600);
    CHECK_INT(load_secret(sec_path), CRUMB_E_KEYFILE);
    CHECK_INT(crumb_store_secret_load_file(NULL, sec_path), CRUMB_E_INVALID);
    CHECK_INT(crumb_store_secret_load_file(out, NULL), CRUMB_E_INVALID);
}

int main(void)
{
    /* base64url of "0123456789abcdef0123456789abcdef" */
    static const char key[] = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY";
    char hex[65], text[256];
    uint8_t raw[32];
    check_seed();
    CHECK(mkdtemp(dir) != NULL);
    check_fill(raw, sizeof raw);
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", raw[i]);
    snprintf(ring_path, sizeof ring_path, "%s/keys", dir);
    snprintf(sec_path, sizeof sec_path, "%s/secret", dir);
    snprintf(text, sizeof text, "crumb-keys v1\n1 primary %s\n", key);
    put(ring_path, text, 0600);
    snprintf(text, sizeof text, "%s\n", hex);
    put(sec_path, text, 0600);
    same_refusals();
    secret_content(hex);
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK_INT(system(cmd), 0);
    return check_done("test_keyfile");
}
