/*
 * fuzz_redisblob.c - the Redis store's device and index-entry blobs
 * (stores/redis_blob.c), i.e. what the store decodes from HGETALL/HGET
 * replies written by any process with access to the Redis server. The first
 * byte picks the decoder; what decodes must re-encode to the same bytes
 * (the decoders accept only canonical blobs). Built with or without
 * hiredis.
 */
#include "fuzz_common.h"

#include "../stores/redis_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const uint8_t *in = data + 1;
    size_t n = size - 1;
    if (data[0] & 1) {
        stm_dev d;
        if (crumb__rd_dev_decode(&d, in, n) == 0) {
            uint8_t back[CRUMB__RD_DEV_MAX];
            FUZZ_CHECK(n <= sizeof back);
            size_t m = crumb__rd_dev_encode(back, &d);
            FUZZ_CHECK(m == n && memcmp(back, in, n) == 0);
            FUZZ_CHECK(d.d.trust <= CRUMB_TRUST_REVOKED);
        }
    } else {
        crumb_store_session_info x;
        if (crumb__rd_idx_decode(&x, in, n) == 0) {
            uint8_t back[CRUMB__RD_IDX_BYTES];
            FUZZ_CHECK(n == sizeof back);
            crumb__rd_idx_encode(back, &x);
            FUZZ_CHECK(memcmp(back, in, n) == 0);
            FUZZ_CHECK(x.label[CRUMB_STORE_LABEL_MAX] == 0);
        }
    }
    return 0;
}
