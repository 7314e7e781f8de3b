/*
 * fuzz_payload.c - crumb_payload_decode on raw input. A payload that decodes
 * must iterate cleanly and re-encode to exactly the input (the decoder is
 * strict, so there is one encoding per payload).
 */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    crumb_payload p;
    crumb_err rc = crumb_payload_decode(&p, data, size);
    if (rc != CRUMB_OK) {
        FUZZ_CHECK(rc == CRUMB_E_PAYLOAD || rc == CRUMB_E_VERSION);
        return 0;
    }
    FUZZ_CHECK(p.version == CRUMB_PAYLOAD_VERSION || p.version == CRUMB_PAYLOAD_VERSION_MAX);
    FUZZ_CHECK(p.user_len <= CRUMB_ID_MAX && p.tenant_len <= CRUMB_ID_MAX &&
               p.device_len <= CRUMB_ID_MAX);
    FUZZ_CHECK(p.data >= data && p.data + p.data_len == data + size);

    size_t pos = 0, count = 0, prev_len = 0;
    const char *key, *prev = NULL;
    size_t klen, vlen;
    const uint8_t *val;
    while (crumb_payload_data_next(p.data, p.data_len, &pos, &key, &klen, &val, &vlen)) {
        FUZZ_CHECK(klen >= 1 && klen <= CRUMB_DATA_KEY_MAX && vlen <= CRUMB_DATA_VALUE_MAX);
        FUZZ_CHECK((const uint8_t *)key >= p.data && val + vlen <= p.data + p.data_len);
        if (prev) {
            size_t m = prev_len < klen ? prev_len : klen;
            int c = memcmp(prev, key, m);
            FUZZ_CHECK(c < 0 || (c == 0 && prev_len < klen));
        }
        prev = key;
        prev_len = klen;
        count++;
    }
    FUZZ_CHECK(count == p.data_count && pos == p.data_len);

    size_t need = 0;
    if (size > CRUMB_PAYLOAD_MAX) { /* decodable, but nothing seals it */
        FUZZ_CHECK(crumb_payload_encode(&p, NULL, 0, &need) == CRUMB_E_TOO_LARGE);
        return 0;
    }
    FUZZ_CHECK(crumb_payload_encode(&p, NULL, 0, &need) == CRUMB_E_BUFSIZE);
    FUZZ_CHECK(need == size);
    uint8_t *out = malloc(need);
    size_t out_len = 0;
    FUZZ_CHECK(out != NULL);
    FUZZ_CHECK(crumb_payload_encode(&p, out, need, &out_len) == CRUMB_OK);
    FUZZ_CHECK(out_len == size && memcmp(out, data, size) == 0);
    free(out);
    return 0;
}
