/*
 * fuzz_keyring.c - key-file text through crumb_keyring_parse. A ring that
 * parses must format, and the formatted text must parse back to the same
 * ids and states; on failure the error line is within the input.
 */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    crumb_keyring *kr = NULL;
    size_t line = 0;
    crumb_err rc = crumb_keyring_parse(&kr, (const char *)data, size, &line);
    if (rc != CRUMB_OK) {
        FUZZ_CHECK(rc == CRUMB_E_KEYFILE && kr == NULL);
        FUZZ_CHECK(line >= 1 && line <= size + 1);
        return 0;
    }
    crumb_key_info a[CRUMB_KEYRING_MAX], b[CRUMB_KEYRING_MAX];
    size_t na = crumb_keyring_list(kr, a, CRUMB_KEYRING_MAX);
    FUZZ_CHECK(na <= CRUMB_KEYRING_MAX);
    size_t need = 0;
    FUZZ_CHECK(crumb_keyring_format(kr, NULL, 0, &need) == CRUMB_E_BUFSIZE || need == 0);
    char *txt = malloc(need ? need : 1);
    size_t len = 0;
    FUZZ_CHECK(txt != NULL);
    FUZZ_CHECK(crumb_keyring_format(kr, txt, need, &len) == CRUMB_OK && len <= need);
    crumb_keyring *kr2 = NULL;
    FUZZ_CHECK(crumb_keyring_parse(&kr2, txt, len, NULL) == CRUMB_OK);
    size_t nb = crumb_keyring_list(kr2, b, CRUMB_KEYRING_MAX);
    FUZZ_CHECK(na == nb);
    for (size_t i = 0; i < na; i++)
        FUZZ_CHECK(a[i].id == b[i].id && a[i].state == b[i].state);
    crumb_wipe(txt, need ? need : 1);
    free(txt);
    crumb_keyring_free(kr2);
    crumb_keyring_free(kr);
    return 0;
}
