/*
 * test_store_record.c - the device record codec shared by the file and
 * Redis stores (stores/record.c) after issue 16 bound devices to session
 * families: records written before (no family) still decode, the family
 * trailer round-trips, and malformed trailers are refused (never guessed).
 */
#include "check.h"
#include "../stores/record.h"

int main(void)
{
    stm_dev d, back;
    uint8_t buf[CRUMB__REC_DEV_MAX + 8];
    check_seed();
    memset(&d, 0, sizeof d);
    check_fill(d.d.device.b, sizeof d.d.device.b);
    check_fill(d.d.fingerprint, sizeof d.d.fingerprint);
    d.d.trust = CRUMB_TRUST_REVOKED;
    d.d.first_seen = 1, d.d.last_seen = 2, d.d.trust_changed_at = 3, d.written_at = 4;
    memcpy(d.d.label, "Firefox on Linux", 17);
    memcpy(d.d.ip_prefix, "192.0.2.0/24", 13);

    /* no family: the version-1 bytes exactly (trust byte <= 3, no trailer) */
    uint8_t *end = crumb__rec_dev_put(buf, &d);
    size_t n1 = (size_t)(end - buf);
    CHECK_INT(n1, CRUMB__REC_DEV_FIXED + 1 + 16 + 1 + 12);
    CHECK_INT(buf[48], CRUMB_TRUST_REVOKED);
    CHECK(crumb__rec_dev_get(&back, buf, buf + n1) == buf + n1);
    CHECK(memcmp(&back, &d, sizeof d) == 0);

    /* with a family: flagged, 16 bytes more, round trip */
    check_fill(d.d.family.b, sizeof d.d.family.b);
    d.d.family.b[0] |= 1; /* never all zero */
    end = crumb__rec_dev_put(buf, &d);
    size_t n2 = (size_t)(end - buf);
    CHECK_INT(n2, n1 + CRUMB_STORE_IDBYTES);
    CHECK(n2 <= CRUMB__REC_DEV_MAX);
    CHECK_INT(buf[48], 0x80 | CRUMB_TRUST_REVOKED);
    CHECK(crumb__rec_dev_get(&back, buf, buf + n2) == buf + n2);
    CHECK(memcmp(&back, &d, sizeof d) == 0);

    /* malformed: truncated trailer, all-zero flagged family, unknown trust */
    CHECK(crumb__rec_dev_get(&back, buf, buf + n2 - 1) == NULL);
    uint8_t z[sizeof buf];
    memcpy(z, buf, n2);
    memset(z + n1, 0, CRUMB_STORE_IDBYTES);
    CHECK(crumb__rec_dev_get(&back, z, z + n2) == NULL);
    for (unsigned t = 4; t < 256; t++) {
        if (t >= 0x80 && t <= 0x83)
            continue;
        memcpy(z, buf, n2);
        z[48] = (uint8_t)t;
        CHECK(crumb__rec_dev_get(&back, z, z + n2) == NULL);
    }
    /* a version-1 reader's view: the flag makes the trust byte invalid, so an
     * older build refuses a newer record (fails closed) instead of misreading */
    CHECK(buf[48] > CRUMB_TRUST_REVOKED);
    return check_done("test_store_record");
}
