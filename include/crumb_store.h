/*
 * crumb_store.h - libcrumb store interface, for store authors and for the
 * session layer: a versioned method table plus an opaque instance (in the
 * style of SQLite's sqlite3_io_methods), inline call wrappers, and the
 * constructors of the built-in memory and file stores.
 *
 * The contract (docs/STORE.md repeats it with examples):
 *  - An implementation embeds `crumb_store` as the FIRST member of its own
 *    struct and points `methods` at a static const crumb_store_methods.
 *  - crumb_store_methods starts with `version` and `name`; fields are only
 *    ever appended. Slots marked "required" in version N are non-NULL in every
 *    table with version >= N. Optional slots may be NULL: the wrappers below
 *    then return CRUMB_E_UNSUPPORTED (and the conformance suite skips the
 *    group). Callers use the wrappers, never the slots directly: they read
 *    only the slots the table's version includes and validate arguments
 *    before the store sees them (see "Call wrappers").
 *  - Every method may fail with CRUMB_E_NOMEM, CRUMB_E_IO, CRUMB_E_NOSPC
 *    (writes), CRUMB_E_CORRUPT (stored data failed verification: it is never
 *    silently used), CRUMB_E_TIMEOUT (lock or network timeout) and
 *    CRUMB_E_BACKEND (backend unreachable), besides the codes listed per
 *    method. CRUMB_E_INVALID means a bad argument (NULL where not allowed,
 *    string too long, bad trust level). A failed write leaves the previously
 *    stored value intact.
 *  - Times are int64 seconds since the Unix epoch and are always passed in
 *    (`now`): stores never read a clock themselves, so tests control time.
 *    Anything whose expiry (`expires_at`, `until`) is <= now is absent.
 *  - Ids are fixed size. Session records are keyed by a 32-byte keyed hash of
 *    the session id (the store never sees raw session ids). Family and device
 *    ids are 16 random bytes. Tenant and user ids are NUL-terminated strings
 *    of at most CRUMB_STORE_NAME_MAX bytes; "" is a valid tenant.
 *  - Stores never log or report id contents or session data.
 *  - Thread safety: the built-in stores may be used from many threads at
 *    once (the file store also from many processes). A third-party store
 *    documents its own rules; the session layer assumes this same guarantee.
 *  - close() releases the instance; it is called exactly once, also after
 *    any failed operation. Constructors that fail leave *out NULL and nothing
 *    to close.
 */
#ifndef CRUMB_STORE_H
#define CRUMB_STORE_H

#include "crumb.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ==== Ids and limits ==================================================== */

#define CRUMB_STORE_KEYBYTES 32u     /* keyed hash of a session id */
#define CRUMB_STORE_IDBYTES 16u      /* family and device ids */
#define CRUMB_STORE_FPBYTES 32u      /* keyed device fingerprint hash */
#define CRUMB_STORE_NAME_MAX 255u    /* tenant and user id strings (bytes) */
#define CRUMB_STORE_LABEL_MAX 63u    /* device and session labels (bytes) */
#define CRUMB_STORE_IP_MAX 47u       /* ip prefix text, e.g. "2001:db8::/48" */
#define CRUMB_STORE_DATA_MAX 65536u  /* largest session record */

/* Session key: 32-byte keyed hash of a session id (computed by the caller). */
typedef struct crumb_store_key {
    uint8_t b[CRUMB_STORE_KEYBYTES];
} crumb_store_key;

/* Family id or device id: 16 random bytes. */
typedef struct crumb_store_id {
    uint8_t b[CRUMB_STORE_IDBYTES];
} crumb_store_id;

/* put(): expected_version values besides an exact version. */
#define CRUMB_STORE_VERSION_NEW 0u          /* create only: fail if present */
#define CRUMB_STORE_VERSION_ANY UINT64_MAX  /* unconditional write */

/* Which revocation rule matched in check(). */
typedef enum crumb_store_rule {
    CRUMB_STORE_RULE_NONE = 0,
    CRUMB_STORE_RULE_SESSION = 1,
    CRUMB_STORE_RULE_FAMILY = 2,
    CRUMB_STORE_RULE_USER = 3,
    CRUMB_STORE_RULE_DEVICE = 4,
    CRUMB_STORE_RULE_GLOBAL = 5
} crumb_store_rule;

/* Device trust levels. */
typedef enum crumb_store_trust {
    CRUMB_TRUST_UNKNOWN = 0, /* recorded, never confirmed */
    CRUMB_TRUST_SEEN = 1,    /* seen and confirmed (e.g. after a login) */
    CRUMB_TRUST_TRUSTED = 2, /* explicitly trusted by the user */
    CRUMB_TRUST_REVOKED = 3  /* its sessions are refused by check() */
} crumb_store_trust;

/* ==== Request and record types ========================================= */

/* One per-request revocation check. Every pointer may be NULL (that rule is
 * then skipped); tenant is used only with user or device. */
typedef struct crumb_store_check_req {
    const crumb_store_key *session; /* keyed hash of the session id */
    const crumb_store_id *family;   /* family id */
    uint64_t generation;            /* the token's generation (informational) */
    const char *tenant;             /* NULL = "" */
    const char *user;               /* NULL = anonymous */
    const crumb_store_id *device;   /* device id (needs user) */
    int64_t issued_at;              /* when the token was issued */
    int64_t now;
} crumb_store_check_req;

/* What check() reports besides the verdict. */
typedef struct crumb_store_check_res {
    int rule;                   /* crumb_store_rule that matched, or NONE */
    uint64_t family_gen;        /* family's current generation; 0 = unknown */
    int64_t family_advanced_at; /* when it last advanced; 0 = unknown */
    /* version 2 (seed 003's lookup answer), filled by crumb_store_check on
     * CRUMB_E_REVOKED: */
    int64_t revoked_at;                   /* when the matched revocation took
                                             effect (device: when it was revoked;
                                             user, global: the not-before);
                                             0 = not recorded (session, family) */
    char owner[CRUMB_STORE_NAME_MAX + 1]; /* user whose record matched, as the
                                             store keys it; "" = not recorded */
} crumb_store_check_res;

/* A device sighting (input of device_seen). */
typedef struct crumb_store_sighting {
    crumb_store_id device;
    uint8_t fingerprint[CRUMB_STORE_FPBYTES]; /* keyed hash; all zero = none */
    const char *label;                        /* NULL = keep/none */
    const char *ip_prefix;                    /* NULL = keep/none */
    const crumb_store_id *family;             /* session family that sighted it;
                                                 NULL = keep/none (version 2) */
} crumb_store_sighting;

/* A stored device (output of device_list / device_find). */
typedef struct crumb_store_device {
    crumb_store_id device;
    uint8_t fingerprint[CRUMB_STORE_FPBYTES];
    int trust;               /* crumb_store_trust */
    int64_t first_seen;
    int64_t last_seen;
    int64_t trust_changed_at; /* revoked: the time it was revoked */
    char label[CRUMB_STORE_LABEL_MAX + 1];
    char ip_prefix[CRUMB_STORE_IP_MAX + 1];
    crumb_store_id family;    /* last family that sighted it; all zero = none */
} crumb_store_device;

/* Which of a user's devices device_select() copies (version-2 slot). */
typedef struct crumb_store_device_filter {
    const crumb_store_id *device; /* NULL = any; else only the device with this id */
    int active;                   /* 1 = only devices that are not REVOKED */
    const crumb_store_id *family; /* NULL = any; else only devices bound to it */
} crumb_store_device_filter;

#define CRUMB_STORE_ERRMSG_MAX 127u /* longest last_error() message (bytes) */

/* A per-user session index entry ("list my sessions"). */
typedef struct crumb_store_session_info {
    crumb_store_key session;  /* keyed hash of the session id */
    crumb_store_id family;
    crumb_store_id device;    /* all zero = no device */
    int64_t created;
    int64_t last_seen;
    int64_t expires_at;       /* entry disappears after this */
    char label[CRUMB_STORE_LABEL_MAX + 1];
} crumb_store_session_info;

/* Device retention ladder for sweep() (seed 004's three stages); windows
 * are durations in seconds, 0 (or < 0) = the default. All idle times are
 * measured from the device's last_seen, and a stage applies only strictly
 * AFTER its window (idle == window keeps the level):
 *  - TRUSTED, now - last_seen > trusted_idle        -> SEEN
 *  - SEEN,    now - last_seen > seen_idle           -> REVOKED (stamps
 *    trust_changed_at = now: the device's revoked_at)
 *  - REVOKED, now - trust_changed_at > revoked_grace -> purged, using the
 *    revoked_at the device had BEFORE this sweep (a device revoked by this
 *    sweep is purged by a later one).
 * The stages cascade in one sweep: a TRUSTED device idle past both windows
 * ends REVOKED. UNKNOWN devices are never demoted (only an explicit
 * device_set_trust moves them); keeping stale UNKNOWN rows bounded is the
 * per-user device limit's job (max_devices). */
typedef struct crumb_store_retention {
    int64_t trusted_idle;  /* seconds; default 90 days */
    int64_t seen_idle;     /* seconds; default 30 days */
    int64_t revoked_grace; /* seconds; default 7 days */
} crumb_store_retention;

#define CRUMB_STORE_TRUSTED_IDLE (90 * 86400LL)
#define CRUMB_STORE_SEEN_IDLE (30 * 86400LL)
#define CRUMB_STORE_REVOKED_GRACE (7 * 86400LL)

/* Counts per sweep stage. */
typedef struct crumb_store_sweep_counts {
    uint64_t sessions;        /* expired session records removed */
    uint64_t index_entries;   /* expired session index entries removed */
    uint64_t revocations;     /* revocations past their `until` removed */
    uint64_t families;        /* family records past their `until` removed */
    uint64_t devices_demoted; /* TRUSTED -> SEEN */
    uint64_t devices_revoked; /* SEEN -> REVOKED */
    uint64_t devices_purged;  /* REVOKED -> deleted */
    uint64_t corrupt;         /* records that failed verification (kept, reported) */
    uint64_t temp_files;      /* abandoned temp files removed (file store) */
} crumb_store_sweep_counts;

/* Store statistics (approximate under concurrency). */
typedef struct crumb_store_stats {
    uint64_t sessions;       /* live session records */
    uint64_t session_bytes;  /* bytes of session data held */
    uint64_t revocations;    /* session/family/user/device revocations held */
    uint64_t families;
    uint64_t devices;
    uint64_t evictions;      /* session records evicted for capacity */
    uint64_t checks;         /* check() calls */
    uint64_t corrupt;        /* corrupt records seen */
} crumb_store_stats;

/* ==== The method table ================================================== */

typedef struct crumb_store_methods crumb_store_methods;

/* Base of every store instance: embed first in the implementation's struct. */
typedef struct crumb_store {
    const crumb_store_methods *methods;
} crumb_store;

#define CRUMB_STORE_METHODS_VERSION 3

/* How the session layer names a store's session records (the naming slot):
 * which keyed hash of the session id becomes its crumb_store_key. */
typedef enum crumb_store_naming {
    CRUMB_STORE_NAMING_HMAC = 0,     /* HMAC-SHA-256(store secret, "sid" || id):
                                        names that last as long as the store */
    CRUMB_STORE_NAMING_EPHEMERAL = 1 /* names never outlive this process: each
                                        context may pick its fastest keyed hash */
} crumb_store_naming;

/* What verify() found (and, with repair, did). */
typedef struct crumb_store_verify_report {
    uint64_t records;  /* records examined */
    uint64_t corrupt;  /* records that failed verification */
    uint64_t repaired; /* damaged records replaced by a fail-safe value (repair = 1) */
    uint64_t removed;  /* damaged records removed (repair = 1; e.g. session data) */
    uint64_t left;     /* damaged records left as they are (not repairable) */
} crumb_store_verify_report;

struct crumb_store_methods {
    int version;      /* CRUMB_STORE_METHODS_VERSION the table was written for */
    const char *name; /* "memory", "file", ... */

    /* ---- slots valid for version 1 ---- */

    /* Required. Release the instance and everything it holds (wipes keys). */
    void (*close)(crumb_store *s);

    /* Required. Cheap liveness probe. CRUMB_OK, CRUMB_E_BACKEND,
     * CRUMB_E_TIMEOUT, CRUMB_E_IO. */
    crumb_err (*health)(crumb_store *s, int64_t now);

    /* Optional. Fill *out (zeroed first by the wrapper). */
    crumb_err (*stats)(crumb_store *s, crumb_store_stats *out);

    /* -- session records (server mode); optional as a group -- */

    /* Write data under key if the current version matches expected_version
     * (CRUMB_STORE_VERSION_NEW: only if absent or expired;
     * CRUMB_STORE_VERSION_ANY: always). Stores new_version (> 0; strictly
     * greater than any version the key had while present). len may be 0;
     * len > CRUMB_STORE_DATA_MAX is CRUMB_E_TOO_LARGE. expires_at <= now is
     * CRUMB_E_INVALID. CRUMB_E_CONFLICT on mismatch (nothing written),
     * CRUMB_E_NOTFOUND when expecting a version of an absent key. */
    crumb_err (*put)(crumb_store *s, const crumb_store_key *key, const uint8_t *data,
                     size_t len, int64_t expires_at, uint64_t expected_version,
                     uint64_t *new_version, int64_t now);

    /* Copy the record into buf (cap bytes). *len = its length; on
     * CRUMB_E_BUFSIZE *len is the size needed and version/expires_at are
     * still set. version and expires_at may be NULL. CRUMB_E_NOTFOUND if
     * absent or expired. */
    crumb_err (*get)(crumb_store *s, const crumb_store_key *key, uint8_t *buf, size_t cap,
                     size_t *len, uint64_t *version, int64_t *expires_at, int64_t now);

    /* Set a live record's expiry (data and version unchanged).
     * CRUMB_E_NOTFOUND, CRUMB_E_INVALID (expires_at <= now). */
    crumb_err (*touch)(crumb_store *s, const crumb_store_key *key, int64_t expires_at,
                       int64_t now);

    /* Delete a record. Absent: CRUMB_OK or CRUMB_E_NOTFOUND (the wrapper
     * reports CRUMB_OK either way: deletes are idempotent, as seed 000's). */
    crumb_err (*del)(crumb_store *s, const crumb_store_key *key);

    /* -- revocation; required -- */
    /* Each revocation is kept at least until `until` (<= now: CRUMB_E_INVALID),
     * so pass the longest time an affected token can still be valid.
     * Revocations are never evicted for capacity. Revoking twice keeps the
     * later `until`. */

    /* Revoke one session (by key hash). */
    crumb_err (*revoke_session)(crumb_store *s, const crumb_store_key *key, int64_t until,
                                int64_t now);

    /* Revoke a whole rotation family (the family record stays readable). */
    crumb_err (*revoke_family)(crumb_store *s, const crumb_store_id *family, int64_t until,
                               int64_t now);

    /* Revoke a user's device: check() refuses tokens naming it, and the
     * device record (if any) becomes REVOKED. */
    crumb_err (*revoke_device)(crumb_store *s, const char *tenant, const char *user,
                               const crumb_store_id *device, int64_t until, int64_t now);

    /* Revoke every session of a user issued before `before`, except the
     * session whose key hash is `except` (NULL = none): "log out other
     * devices". A later call replaces the rule if its `before` is not
     * older; `before` never moves backwards. */
    crumb_err (*revoke_user)(crumb_store *s, const char *tenant, const char *user,
                             int64_t before, const crumb_store_key *except, int64_t until,
                             int64_t now);

    /* Global not-before: every token issued before `before` is refused.
     * Only ever moves forwards; kept forever. */
    crumb_err (*revoke_all)(crumb_store *s, int64_t before, int64_t now);

    /* The per-request check. CRUMB_OK or CRUMB_E_REVOKED with res->rule set
     * (the first match in the order global, session, family, user,
     * device). res->family_gen/_advanced_at are filled whenever
     * req->family is set (0/0 for an unknown family), also on
     * CRUMB_E_REVOKED. Any other error means "could not check": callers
     * fail closed. */
    crumb_err (*check)(crumb_store *s, const crumb_store_check_req *req,
                       crumb_store_check_res *res);

    /* -- families; required -- */

    /* Current generation (0 = unknown family) and when it last advanced.
     * Never CRUMB_E_NOTFOUND (crumb_store_family_lookup tells an unknown
     * family apart: every advanced family has generation >= 1). */
    crumb_err (*family_get)(crumb_store *s, const crumb_store_id *family, uint64_t *gen,
                            int64_t *advanced_at, int64_t now);

    /* Atomically advance a family from expected_gen (0 = unknown/new) to
     * new_gen (> expected_gen) and stamp advanced_at = now; the record is
     * kept until `until`. CRUMB_E_CONFLICT if the current generation is not
     * expected_gen (*current receives it; current may be NULL),
     * CRUMB_E_REVOKED if the family is revoked, CRUMB_E_INVALID if
     * new_gen <= expected_gen. */
    crumb_err (*family_advance)(crumb_store *s, const crumb_store_id *family,
                                uint64_t expected_gen, uint64_t new_gen, int64_t until,
                                int64_t now, uint64_t *current);

    /* -- devices, all scoped by (tenant, user); optional as a group -- */

    /* Upsert on sighting. A new device starts UNKNOWN (first_seen = now).
     * An existing one gets last_seen = now and the new fingerprint/label/ip
     * (NULL strings keep the old), but if it was written less than
     * `throttle` seconds ago (store config) and nothing but last_seen would
     * change, nothing is written and *written = 0 (written may be NULL).
     * A REVOKED device stays REVOKED. CRUMB_E_LIMIT if the user has the
     * maximum number of devices (store config) and this one is new. */
    crumb_err (*device_seen)(crumb_store *s, const char *tenant, const char *user,
                             const crumb_store_sighting *sighting, int64_t now, int *written);

    /* Copy up to cap of the user's devices into out, newest last_seen first;
     * *n = how many the user has (may exceed cap). O(k). */
    crumb_err (*device_list)(crumb_store *s, const char *tenant, const char *user,
                             crumb_store_device *out, size_t cap, size_t *n);

    /* Find the user's device with this fingerprint (most recently seen if
     * several). CRUMB_E_NOTFOUND. */
    crumb_err (*device_find)(crumb_store *s, const char *tenant, const char *user,
                             const uint8_t fingerprint[CRUMB_STORE_FPBYTES],
                             crumb_store_device *out);

    /* Set a device's trust level; stamps trust_changed_at = now. Setting
     * REVOKED makes check() refuse the device while the record exists (use
     * revoke_device for a revocation that outlives the record).
     * CRUMB_E_NOTFOUND, CRUMB_E_INVALID (level). */
    crumb_err (*device_set_trust)(crumb_store *s, const char *tenant, const char *user,
                                  const crumb_store_id *device, int trust, int64_t now);

    /* Delete a device record (its revocation, if any, stays). Absent:
     * CRUMB_OK or CRUMB_E_NOTFOUND (the wrapper reports CRUMB_OK). */
    crumb_err (*device_delete)(crumb_store *s, const char *tenant, const char *user,
                               const crumb_store_id *device);

    /* -- per-user session index; optional as a group -- */

    /* Insert or replace (by info->session) an index entry. If the user has
     * the maximum number of entries (store config) the least recently seen
     * one is dropped. CRUMB_E_INVALID if info->expires_at <= now. */
    crumb_err (*index_put)(crumb_store *s, const char *tenant, const char *user,
                           const crumb_store_session_info *info, int64_t now);

    /* Copy up to cap live entries, newest last_seen first; *n = how many
     * live entries there are (may exceed cap). */
    crumb_err (*index_list)(crumb_store *s, const char *tenant, const char *user,
                            crumb_store_session_info *out, size_t cap, size_t *n,
                            int64_t now);

    /* Remove an entry. Absent: CRUMB_OK or CRUMB_E_NOTFOUND (the wrapper
     * reports CRUMB_OK). */
    crumb_err (*index_del)(crumb_store *s, const char *tenant, const char *user,
                           const crumb_store_key *session);

    /* -- maintenance; optional -- */

    /* Remove what has expired and walk the device ladder (ret NULL =
     * defaults); counts (may be NULL) receive what each stage did. Safe to
     * run concurrently with every other method. */
    crumb_err (*sweep)(crumb_store *s, int64_t now, const crumb_store_retention *ret,
                       crumb_store_sweep_counts *counts);

    /* ---- end of version 1 slots; slots below are valid for version 2 ---- */

    /* Optional. Verify every record; with repair = 1 replace each damaged
     * one by a fail-safe value (one that refuses at least what the record
     * could have refused: e.g. a damaged global not-before becomes now, a
     * damaged revocation stays revoked) or remove it when losing it only
     * loses data (session records). Never weakens a revocation. out (zeroed
     * by the wrapper) receives the counts. CRUMB_OK when nothing damaged is
     * left, CRUMB_E_CORRUPT when damage remains (repair = 0: any damage). */
    crumb_err (*verify)(crumb_store *s, int repair, crumb_store_verify_report *out, int64_t now);

    /* Optional (needs the device group). Copy up to cap of the user's devices
     * that pass filter f into out, newest last_seen first; *n = how many pass
     * (may exceed cap). The store does the filtering (no full list crosses
     * the wire for one device). Backs crumb_store_device_get (f->device set:
     * seed 004's load-by-id, scoped by (tenant, user)) and
     * crumb_store_device_list_active (f->active = 1). */
    crumb_err (*device_select)(crumb_store *s, const char *tenant, const char *user,
                               const crumb_store_device_filter *f, crumb_store_device *out,
                               size_t cap, size_t *n);

    /* Optional. Copy a short, safe description of the last error this
     * thread got from this store (NUL-terminated, truncated to cap - 1; ""
     * if none) into buf and return its length. Never contains secrets,
     * passwords, key names, tenant/user/session/device ids or data: only
     * what failed and how (e.g. "redis: connection refused", "file: write
     * failed: No space left on device"). */
    size_t (*last_error)(crumb_store *s, char *buf, size_t cap);

    /* ---- end of version 2 slots; slots below are valid for version 3 ---- */

    /* Optional. The store's crumb_store_naming. Absent or NULL means
     * CRUMB_STORE_NAMING_HMAC, the naming of every store before version 3.
     * Return CRUMB_STORE_NAMING_EPHEMERAL only if no session key you hold
     * can outlive the process (the memory store): a context keys ids with
     * the hash its build runs fastest, so keys written by another build or
     * process would name other records. Any other value makes
     * crumb_ctx_new refuse the store (CRUMB_E_UNSUPPORTED). A wrapper that
     * hands session keys to an inner store answers
     * crumb_store_naming_get(inner), as the cache does: two contexts that
     * reach one memory store through tables answering differently (a
     * wrapper of version 1 or 2, or with this slot NULL, beside the store
     * itself) name a session differently: a session logged out or
     * revoked through one still passes through the other, and a server
     * record put through one is not found through the other. */
    int (*naming)(crumb_store *s);
};

/* ==== Call wrappers (use these, not the slots) ========================= */
/*
 * The wrappers are the only code that reads a method table. They
 *  - refuse a store whose table is missing or has version < 1
 *    (CRUMB_E_INVALID) and never call it;
 *  - read a slot only if it lies inside the table the store's `version`
 *    declares (crumb_store__table_size): a version-1 table is never read
 *    past its end, whatever later versions append; an absent or NULL slot
 *    is CRUMB_E_UNSUPPORTED;
 *  - validate the arguments once, before the store sees them: NULL where
 *    the contract needs a pointer, tenant/user longer than
 *    CRUMB_STORE_NAME_MAX, sighting label/ip longer than
 *    CRUMB_STORE_NAME_MAX, an index label not NUL-terminated inside its
 *    array, a trust level out of range, expiry/until <= now, new_gen <=
 *    expected_gen -> CRUMB_E_INVALID; len > CRUMB_STORE_DATA_MAX ->
 *    CRUMB_E_TOO_LARGE. A store (also a third-party one) therefore only ever
 *    sees arguments that passed these checks. Stores keep their own checks
 *    only where they guard memory safety.
 */

/* Bytes of a version-1 method table (the slots up to and including sweep). */
#define CRUMB_STORE_METHODS_V1_SIZE                                                  \
    (offsetof(crumb_store_methods, sweep) + sizeof(((crumb_store_methods *)0)->sweep))

/* Bytes of a version-2 method table (the slots up to and including last_error). */
#define CRUMB_STORE_METHODS_V2_SIZE                                                  \
    (offsetof(crumb_store_methods, last_error) +                                     \
     sizeof(((crumb_store_methods *)0)->last_error))

/* Bytes of the method table a store of this version provides (0 = not a
 * valid table). Each new version adds its line here. */
static inline size_t crumb_store__table_size(int version)
{
    if (version >= CRUMB_STORE_METHODS_VERSION)
        return sizeof(crumb_store_methods);
    if (version == 2)
        return CRUMB_STORE_METHODS_V2_SIZE;
    if (version == 1)
        return CRUMB_STORE_METHODS_V1_SIZE;
    return 0;
}

/* 1 if s is a store with a usable method table. */
static inline int crumb_store__valid(const crumb_store *s)
{
    return s != NULL && s->methods != NULL && s->methods->version >= 1;
}

/* The slot if the store's table version includes it, else NULL (s valid). */
#define CRUMB_STORE__SLOT(s, slot)                                                   \
    (offsetof(crumb_store_methods, slot) + sizeof((s)->methods->slot) <=             \
             crumb_store__table_size((s)->methods->version)                          \
         ? (s)->methods->slot                                                        \
         : 0)

/* Call slot after the store checks (arguments already validated). */
#define CRUMB_STORE__CALL(s, slot, ...)                                              \
    (!crumb_store__valid(s)                ? CRUMB_E_INVALID                         \
     : CRUMB_STORE__SLOT(s, slot) == 0     ? CRUMB_E_UNSUPPORTED                     \
                                           : (s)->methods->slot((s), __VA_ARGS__))

/* 1 if str is NULL or at most max bytes before its NUL (reads <= max+1). */
static inline int crumb_store__str_ok(const char *str, size_t max)
{
    if (str == NULL)
        return 1;
    for (size_t i = 0; i <= max; i++)
        if (str[i] == '\0')
            return 1;
    return 0;
}

/* 1 if tenant (NULL = "") and user (required) are valid. */
static inline int crumb_store__user_ok(const char *tenant, const char *user)
{
    return user != NULL && crumb_store__str_ok(tenant, CRUMB_STORE_NAME_MAX) &&
           crumb_store__str_ok(user, CRUMB_STORE_NAME_MAX);
}

/* 1 if a fixed label array holds a NUL-terminated string. */
static inline int crumb_store__label_ok(const char label[CRUMB_STORE_LABEL_MAX + 1])
{
    return memchr(label, 0, CRUMB_STORE_LABEL_MAX + 1) != NULL;
}

/* Close a store (NULL allowed; an invalid table is not called). */
static inline void crumb_store_close(crumb_store *s)
{
    if (crumb_store__valid(s) && CRUMB_STORE__SLOT(s, close) != 0)
        s->methods->close(s);
}

/* The store's name ("" for NULL or an invalid table). */
static inline const char *crumb_store_name(const crumb_store *s)
{
    return crumb_store__valid(s) && s->methods->name != NULL ? s->methods->name : "";
}

/* The store's crumb_store_naming: CRUMB_STORE_NAMING_HMAC when the slot is
 * absent or NULL, the slot's answer otherwise (callers refuse values they
 * do not know), -1 for NULL or an invalid table. */
static inline int crumb_store_naming_get(crumb_store *s)
{
    if (!crumb_store__valid(s))
        return -1;
    return CRUMB_STORE__SLOT(s, naming) == 0 ? (int)CRUMB_STORE_NAMING_HMAC
                                             : s->methods->naming(s);
}

static inline crumb_err crumb_store_health(crumb_store *s, int64_t now)
{
    return CRUMB_STORE__CALL(s, health, now);
}

static inline crumb_err crumb_store_stats_get(crumb_store *s, crumb_store_stats *out)
{
    if (out == NULL)
        return CRUMB_E_INVALID;
    memset(out, 0, sizeof *out);
    return CRUMB_STORE__CALL(s, stats, out);
}

static inline crumb_err crumb_store_put(crumb_store *s, const crumb_store_key *key,
                                        const uint8_t *data, size_t len, int64_t expires_at,
                                        uint64_t expected_version, uint64_t *new_version,
                                        int64_t now)
{
    if (key == NULL || (data == NULL && len > 0) || expires_at <= now)
        return CRUMB_E_INVALID;
    if (len > CRUMB_STORE_DATA_MAX)
        return CRUMB_E_TOO_LARGE;
    return CRUMB_STORE__CALL(s, put, key, data, len, expires_at, expected_version,
                             new_version, now);
}

static inline crumb_err crumb_store_get(crumb_store *s, const crumb_store_key *key,
                                        uint8_t *buf, size_t cap, size_t *len,
                                        uint64_t *version, int64_t *expires_at, int64_t now)
{
    if (key == NULL || len == NULL || (buf == NULL && cap > 0))
        return CRUMB_E_INVALID;
    return CRUMB_STORE__CALL(s, get, key, buf, cap, len, version, expires_at, now);
}

static inline crumb_err crumb_store_touch(crumb_store *s, const crumb_store_key *key,
                                          int64_t expires_at, int64_t now)
{
    if (key == NULL || expires_at <= now)
        return CRUMB_E_INVALID;
    return CRUMB_STORE__CALL(s, touch, key, expires_at, now);
}

static inline crumb_err crumb_store_delete(crumb_store *s, const crumb_store_key *key)
{
    if (key == NULL)
        return CRUMB_E_INVALID;
    crumb_err rc = CRUMB_STORE__CALL(s, del, key);
    return rc == CRUMB_E_NOTFOUND ? CRUMB_OK : rc; /* idempotent */
}

static inline crumb_err crumb_store_revoke_session(crumb_store *s, const crumb_store_key *key,
                                                   int64_t until, int64_t now)
{
    if (key == NULL || until <= now)
        return CRUMB_E_INVALID;
    return CRUMB_STORE__CALL(s, revoke_session, key, until, now);
}

static inline crumb_err crumb_store_revoke_family(crumb_store *s, const crumb_store_id *family,
                                                  int64_t until, int64_t now)
{
    if (family == NULL || until <= now)
        return CRUMB_E_INVALID;
    return CRUMB_STORE__CALL(s, revoke_family, family, until, now);
}

static inline crumb_err crumb_store_revoke_device(crumb_store *s, const char *tenant,
                                                  const char *user, const crumb_store_id *device,
                                                  int64_t until, int64_t now)
{
    if (!crumb_store__user_ok(tenant, user) || device == NULL || until <= now)
        return CRUMB_E_INVALID;
    return CRUMB_STORE__CALL(s, revoke_device, tenant, user, device, until, now);
}

static inline crumb_err crumb_store_revoke_user(crumb_store *s, const char *tenant,
                                                const char *user, int64_t before,
                                                const crumb_store_key *except, int64_t until,
                                                int64_t now)
{
    if (!crumb_store__user_ok(tenant, user) || until <= now)
        return CRUMB_E_INVALID;
    return CRUMB_STORE__CALL(s, revoke_user, tenant, user, before, except, until, now);
}

static inline crumb_err crumb_store_revoke_all(crumb_store *s, int64_t before, int64_t now)
{
    return CRUMB_STORE__CALL(s, revoke_all, before, now);
}

static inline crumb_err crumb_store_device_get(crumb_store *s, const char *tenant,
                                               const char *user, const crumb_store_id *device,
                                               crumb_store_device *out);

/* The lookup answer's owner and revoked_at for a CRUMB_E_REVOKED verdict:
 * the user and device rules matched a record the store keys by req->user
 * (its owner); a revoked device's record holds when it was revoked. The
 * session, family and global rules record neither (docs/STORE.md). */
static inline void crumb_store__check_detail(crumb_store *s, const crumb_store_check_req *req,
                                             crumb_store_check_res *res)
{
    crumb_store_device d;
    if ((res->rule != CRUMB_STORE_RULE_USER && res->rule != CRUMB_STORE_RULE_DEVICE) ||
        req->user == NULL)
        return;
    memcpy(res->owner, req->user, strlen(req->user) + 1); /* checked <= NAME_MAX */
    if (res->rule == CRUMB_STORE_RULE_DEVICE && res->revoked_at == 0 && req->device != NULL &&
        crumb_store_device_get(s, req->tenant, req->user, req->device, &d) == CRUMB_OK &&
        d.trust == CRUMB_TRUST_REVOKED)
        res->revoked_at = d.trust_changed_at;
}

static inline crumb_err crumb_store_check(crumb_store *s, const crumb_store_check_req *req,
                                          crumb_store_check_res *res)
{
    if (res == NULL || req == NULL)
        return CRUMB_E_INVALID;
    memset(res, 0, sizeof *res);
    if ((req->user != NULL && !crumb_store__user_ok(req->tenant, req->user)) ||
        (req->device != NULL && req->user == NULL))
        return CRUMB_E_INVALID;
    crumb_err rc = CRUMB_STORE__CALL(s, check, req, res);
    if (rc == CRUMB_E_REVOKED)
        crumb_store__check_detail(s, req, res);
    return rc;
}

static inline crumb_err crumb_store_family_get(crumb_store *s, const crumb_store_id *family,
                                               uint64_t *gen, int64_t *advanced_at, int64_t now)
{
    if (family == NULL || gen == NULL)
        return CRUMB_E_INVALID;
    return CRUMB_STORE__CALL(s, family_get, family, gen, advanced_at, now);
}

/* family_get that tells an unknown family apart from a generation:
 * CRUMB_E_NOTFOUND (*gen = 0) if the store knows no generation for it (never
 * advanced, or its record expired), else CRUMB_OK with *gen >= 1. */
static inline crumb_err crumb_store_family_lookup(crumb_store *s, const crumb_store_id *family,
                                                  uint64_t *gen, int64_t *advanced_at,
                                                  int64_t now)
{
    crumb_err rc = crumb_store_family_get(s, family, gen, advanced_at, now);
    return rc == CRUMB_OK && *gen == 0 ? CRUMB_E_NOTFOUND : rc;
}

static inline crumb_err crumb_store_family_advance(crumb_store *s, const crumb_store_id *family,
                                                   uint64_t expected_gen, uint64_t new_gen,
                                                   int64_t until, int64_t now,
                                                   uint64_t *current)
{
    if (family == NULL || new_gen <= expected_gen || until <= now)
        return CRUMB_E_INVALID;
    return CRUMB_STORE__CALL(s, family_advance, family, expected_gen, new_gen, until, now,
                             current);
}

static inline crumb_err crumb_store_device_seen(crumb_store *s, const char *tenant,
                                                const char *user,
                                                const crumb_store_sighting *sighting,
                                                int64_t now, int *written)
{
    if (written != NULL)
        *written = 0;
    if (!crumb_store__user_ok(tenant, user) || sighting == NULL ||
        !crumb_store__str_ok(sighting->label, CRUMB_STORE_NAME_MAX) ||
        !crumb_store__str_ok(sighting->ip_prefix, CRUMB_STORE_NAME_MAX))
        return CRUMB_E_INVALID;
    return CRUMB_STORE__CALL(s, device_seen, tenant, user, sighting, now, written);
}

static inline crumb_err crumb_store_device_list(crumb_store *s, const char *tenant,
                                                const char *user, crumb_store_device *out,
                                                size_t cap, size_t *n)
{
    if (!crumb_store__user_ok(tenant, user) || n == NULL || (out == NULL && cap > 0))
        return CRUMB_E_INVALID;
    return CRUMB_STORE__CALL(s, device_list, tenant, user, out, cap, n);
}

static inline crumb_err crumb_store_device_find(crumb_store *s, const char *tenant,
                                                const char *user,
                                                const uint8_t fingerprint[CRUMB_STORE_FPBYTES],
                                                crumb_store_device *out)
{
    if (!crumb_store__user_ok(tenant, user) || fingerprint == NULL || out == NULL)
        return CRUMB_E_INVALID;
    return CRUMB_STORE__CALL(s, device_find, tenant, user, fingerprint, out);
}

static inline crumb_err crumb_store_device_set_trust(crumb_store *s, const char *tenant,
                                                     const char *user,
                                                     const crumb_store_id *device, int trust,
                                                     int64_t now)
{
    if (!crumb_store__user_ok(tenant, user) || device == NULL || trust < CRUMB_TRUST_UNKNOWN ||
        trust > CRUMB_TRUST_REVOKED)
        return CRUMB_E_INVALID;
    return CRUMB_STORE__CALL(s, device_set_trust, tenant, user, device, trust, now);
}

static inline crumb_err crumb_store_device_delete(crumb_store *s, const char *tenant,
                                                  const char *user, const crumb_store_id *device)
{
    if (!crumb_store__user_ok(tenant, user) || device == NULL)
        return CRUMB_E_INVALID;
    crumb_err rc = CRUMB_STORE__CALL(s, device_delete, tenant, user, device);
    return rc == CRUMB_E_NOTFOUND ? CRUMB_OK : rc; /* idempotent */
}

static inline crumb_err crumb_store_index_put(crumb_store *s, const char *tenant,
                                              const char *user,
                                              const crumb_store_session_info *info, int64_t now)
{
    if (!crumb_store__user_ok(tenant, user) || info == NULL || info->expires_at <= now ||
        !crumb_store__label_ok(info->label))
        return CRUMB_E_INVALID;
    return CRUMB_STORE__CALL(s, index_put, tenant, user, info, now);
}

static inline crumb_err crumb_store_index_list(crumb_store *s, const char *tenant,
                                               const char *user, crumb_store_session_info *out,
                                               size_t cap, size_t *n, int64_t now)
{
    if (!crumb_store__user_ok(tenant, user) || n == NULL || (out == NULL && cap > 0))
        return CRUMB_E_INVALID;
    return CRUMB_STORE__CALL(s, index_list, tenant, user, out, cap, n, now);
}

static inline crumb_err crumb_store_index_delete(crumb_store *s, const char *tenant,
                                                 const char *user, const crumb_store_key *session)
{
    if (!crumb_store__user_ok(tenant, user) || session == NULL)
        return CRUMB_E_INVALID;
    crumb_err rc = CRUMB_STORE__CALL(s, index_del, tenant, user, session);
    return rc == CRUMB_E_NOTFOUND ? CRUMB_OK : rc; /* idempotent */
}

static inline crumb_err crumb_store_sweep(crumb_store *s, int64_t now,
                                          const crumb_store_retention *ret,
                                          crumb_store_sweep_counts *counts)
{
    if (counts != NULL)
        memset(counts, 0, sizeof *counts);
    return CRUMB_STORE__CALL(s, sweep, now, ret, counts);
}

/* Verify (and with repair = 1, repair) the store: see the verify slot.
 * CRUMB_E_UNSUPPORTED if the store's table predates version 2 or has no
 * verify method. */
static inline crumb_err crumb_store_verify(crumb_store *s, int repair,
                                           crumb_store_verify_report *out, int64_t now)
{
    if (out == NULL || (repair != 0 && repair != 1))
        return CRUMB_E_INVALID;
    memset(out, 0, sizeof *out);
    return CRUMB_STORE__CALL(s, verify, repair, out, now);
}

/* Copy the user's devices passing f (NULL = all) into out: see the
 * device_select slot. CRUMB_E_UNSUPPORTED if the table predates it. */
static inline crumb_err crumb_store_device_select(crumb_store *s, const char *tenant,
                                                  const char *user,
                                                  const crumb_store_device_filter *f,
                                                  crumb_store_device *out, size_t cap,
                                                  size_t *n)
{
    crumb_store_device_filter all;
    if (!crumb_store__user_ok(tenant, user) || n == NULL || (out == NULL && cap > 0) ||
        (f != NULL && f->active != 0 && f->active != 1))
        return CRUMB_E_INVALID;
    *n = 0;
    if (f == NULL) {
        memset(&all, 0, sizeof all);
        f = &all;
    }
    return CRUMB_STORE__CALL(s, device_select, tenant, user, f, out, cap, n);
}

/* Load one device by id, scoped by (tenant, user) (seed 004's load:
 * libcrumb keys devices by (tenant, user, device), so the user is part of
 * the scope). CRUMB_E_NOTFOUND if the user has no such device. */
static inline crumb_err crumb_store_device_get(crumb_store *s, const char *tenant,
                                               const char *user, const crumb_store_id *device,
                                               crumb_store_device *out)
{
    crumb_store_device_filter f;
    size_t n = 0;
    if (device == NULL || out == NULL)
        return CRUMB_E_INVALID;
    memset(&f, 0, sizeof f);
    f.device = device;
    crumb_err rc = crumb_store_device_select(s, tenant, user, &f, out, 1, &n);
    return rc == CRUMB_OK && n == 0 ? CRUMB_E_NOTFOUND : rc;
}

/* The user's devices that are not REVOKED, newest first, filtered by the
 * store (beside crumb_store_device_list, which lists all). */
static inline crumb_err crumb_store_device_list_active(crumb_store *s, const char *tenant,
                                                       const char *user,
                                                       crumb_store_device *out, size_t cap,
                                                       size_t *n)
{
    crumb_store_device_filter f;
    memset(&f, 0, sizeof f);
    f.active = 1;
    return crumb_store_device_select(s, tenant, user, &f, out, cap, n);
}

/* The user's devices bound to session family `family` (the last family
 * that sighted them), newest first, filtered by the store. Scoped by
 * (tenant, user) like every device call: a family belongs to one user. */
static inline crumb_err crumb_store_device_find_family(crumb_store *s, const char *tenant,
                                                       const char *user,
                                                       const crumb_store_id *family,
                                                       crumb_store_device *out, size_t cap,
                                                       size_t *n)
{
    crumb_store_device_filter f;
    if (family == NULL)
        return CRUMB_E_INVALID;
    memset(&f, 0, sizeof f);
    f.family = family;
    return crumb_store_device_select(s, tenant, user, &f, out, cap, n);
}

/* The store's last error message on this thread (see the last_error slot):
 * safe to log. Returns its length; buf gets "" (0) if the store has none or
 * its table predates the slot. cap 0 writes nothing. */
static inline size_t crumb_store_last_error(crumb_store *s, char *buf, size_t cap)
{
    if (buf == NULL || cap == 0)
        return 0;
    buf[0] = '\0';
    if (!crumb_store__valid(s) || CRUMB_STORE__SLOT(s, last_error) == 0)
        return 0;
    size_t n = s->methods->last_error(s, buf, cap);
    buf[cap - 1] = '\0';
    return n < cap ? n : cap - 1;
}

/* ==== Built-in stores =================================================== */

/* Memory store (single-process embedded servers). All fields: 0 = default. */
typedef struct crumb_store_memory_config {
    size_t max_sessions;      /* session records kept (LRU beyond); default 100000 */
    size_t max_session_bytes; /* bytes of session data kept (LRU beyond); default 64 MiB */
    unsigned shards;          /* lock shards, rounded up to a power of 2; default 64 */
    int64_t throttle;         /* device sighting write throttle (s); default 60; <0 = off */
    size_t max_devices;       /* per user; default 64 */
    size_t max_index;         /* session index entries per user; default 256 */
} crumb_store_memory_config;

/**
 * Open an empty memory store. Thread-safe: sharded; check() and the other
 * read-only methods take a shard's reader lock, which writes only the
 * calling thread's own counters. Session records are evicted
 * least-recently-used beyond the capacity, anonymous ones first: a record
 * whose key a live session index entry names (index_put: signed in) is
 * never evicted for an anonymous one. Revocations of signed-in sessions,
 * families and devices are never evicted (sweep removes them when they
 * expire); revocations of anonymous sessions are bounded by max_sessions,
 * the oldest forgotten first (docs/STORE.md).
 * @param[out] out  the new store (close with crumb_store_close)
 * @param[in]  cfg  NULL for defaults
 * @return CRUMB_OK, CRUMB_E_NOMEM, CRUMB_E_RANDOM, CRUMB_E_INVALID
 */
CRUMB_EXPORT crumb_err crumb_store_memory_open(crumb_store **out,
                                               const crumb_store_memory_config *cfg) CRUMB_WUR;

/* File store (CGI: one process per request). All fields: 0 = default. */
typedef struct crumb_store_file_config {
    const uint8_t *secret;  /* 32 bytes keying the path hash; NULL = read DIR/secret,
                               creating it (0600, random) on first open */
    int64_t throttle;       /* device sighting write throttle (s); default 60; <0 = off */
    unsigned lock_timeout_ms; /* wait for a record lock; default 5000 -> CRUMB_E_TIMEOUT */
    int no_fsync;           /* 1 = skip fsync (tests only: loses crash safety) */
    size_t max_devices;     /* per user; default 64 */
    size_t max_index;       /* session index entries per user; default 256 */
    int no_create;          /* 1 = never create: dir must hold a store (CRUMB_E_NOTFOUND) */
} crumb_store_file_config;

/**
 * Open a file store in directory dir. The directory is held open and every
 * record is reached relative to it, so renaming or replacing dir later does
 * not change the store an open instance uses. dir must be owned by the
 * effective uid and closed to group and others. A store is initialised
 * (identity record, secret, sub-directories) only if dir's parent is one no
 * other user can change (owned by the euid or root, and not group/other-
 * writable unless sticky): in a directory that holds no record, or by
 * creating a missing dir (0700) unless cfg->no_create. A directory holding
 * records but no valid identity record (or a wrong cfg->secret) is refused
 * with CRUMB_E_CORRUPT, and check() fails closed once the identity record
 * has been removed underneath. Safe across processes (record
 * locks) and threads (concurrent opens of one fresh directory included) and
 * crash-safe (temp file, fsync, rename, directory fsync). Layout and record
 * format: docs/STORE.md.
 * @param[out] out  the new store (close with crumb_store_close)
 * @param[in]  dir  directory path
 * @param[in]  cfg  NULL for defaults
 * @return CRUMB_OK, CRUMB_E_INVALID (bad path, not a directory, wrong owner,
 *         permissions too open, missing dir in a shared parent),
 *         CRUMB_E_NOTFOUND (missing dir with no_create), CRUMB_E_CORRUPT
 *         (secret or identity record damaged or missing), CRUMB_E_IO,
 *         CRUMB_E_NOSPC, CRUMB_E_NOMEM, CRUMB_E_RANDOM
 */
CRUMB_EXPORT crumb_err crumb_store_file_open(crumb_store **out, const char *dir,
                                             const crumb_store_file_config *cfg) CRUMB_WUR;

/* ==== Redis store (docs/REDIS.md) ======================================= */

/* Redis store (several servers sharing one Redis). All fields: 0 = default. */
typedef struct crumb_store_redis_config {
    const char *url;             /* "redis://[[user]:pass@]host[:port][/db]" or
                                    "unix:///path.sock[?db=N&password=P&user=U]";
                                    NULL = "redis://127.0.0.1:6379/0" */
    const char *prefix;          /* key prefix, no glob characters; NULL = "crumb:" */
    unsigned connect_timeout_ms; /* default 1000 */
    unsigned command_timeout_ms; /* default 1000; exceeded -> CRUMB_E_TIMEOUT */
    unsigned retry_interval_ms;  /* after a failed connect, fail fast this long; default 200 */
    unsigned pool_size;          /* connections (lazily opened); default 4, max 256 */
    int fail_open;               /* 1 = check() returns CRUMB_OK (not revoked) when Redis
                                    is unreachable; default 0 = fail closed */
    const uint8_t *secret;       /* 32 bytes keying the user-id hash in key names;
                                    NULL = a fixed key (names are still hashes) */
    int64_t throttle;            /* device sighting write throttle (s); default 60; <0 = off */
    size_t max_devices;          /* per user; default 64 */
    size_t max_index;            /* session index entries per user; default 256 */
    int no_publish;              /* 1 = do not PUBLISH on "<prefix>invalidate" after
                                    revocations (see crumb_store_redis_subscribe) */
    int allow_volatile;          /* 1 = health() does not report a server whose
                                    persistence loses revocations in a crash
                                    (tests, caches); default 0: CRUMB_E_LIMIT */
} crumb_store_redis_config;

/**
 * Open a Redis store (hiredis). Connects one connection at once (so a bad
 * URL, password or database shows here); the pool reconnects after errors
 * and server restarts: when an open connection turns out dead, the call is
 * retried once on a freshly opened one and every other pooled connection
 * opened before is reopened on its next use, so the first call after a
 * Redis restart succeeds. Thread-safe; after fork() the child must open its
 * own store. crumb_store_health() on a Redis store also returns
 * CRUMB_E_LIMIT when the server cannot keep revocations across a crash
 * (appendonly no, or appendfsync no; docs/REDIS.md), unless
 * cfg->allow_volatile. Built without hiredis (make REDIS=off) it returns
 * CRUMB_E_UNAVAILABLE.
 * @param[out] out  the new store (close with crumb_store_close)
 * @param[in]  cfg  NULL for defaults
 * @return CRUMB_OK, CRUMB_E_INVALID (bad URL, prefix or limits),
 *         CRUMB_E_BACKEND (unreachable, AUTH/SELECT refused),
 *         CRUMB_E_TIMEOUT, CRUMB_E_NOMEM, CRUMB_E_UNAVAILABLE (no hiredis)
 */
CRUMB_EXPORT crumb_err crumb_store_redis_open(crumb_store **out,
                                              const crumb_store_redis_config *cfg) CRUMB_WUR;

/**
 * Keep a cache (crumb_store_cache_open) in step with every server sharing
 * this Redis: a background thread subscribes to "<prefix>invalidate" and
 * calls crumb_store_cache_invalidate(cache) on every message, and after any
 * reconnect (messages may have been missed). Redis stores PUBLISH there
 * after each revocation, family advance, device trust change or deletion
 * and sweep. The thread stops when redis is closed; cache must stay open
 * until then (open the cache with own_inner = 1 over this store and close
 * only the cache). One subscription per store.
 * @return CRUMB_OK, CRUMB_E_INVALID (not a Redis store, NULL cache, already
 *         subscribed), CRUMB_E_NOMEM (thread not started),
 *         CRUMB_E_UNAVAILABLE (no hiredis)
 */
CRUMB_EXPORT crumb_err crumb_store_redis_subscribe(crumb_store *redis,
                                                   crumb_store *cache) CRUMB_WUR;

/* ==== Cache in front of any store (stores/cache.c; docs/REDIS.md) ======== */

/* Cache configuration. All fields: 0 = default. */
typedef struct crumb_store_cache_config {
    size_t max_entries; /* check() answers kept (LRU beyond); default 10000 */
    int64_t ttl;        /* seconds (logical `now`) an answer is reused; default 2.
                           This bounds how long a revocation made by ANOTHER process
                           (or the family generation it advanced) goes unseen here. */
    int own_inner;      /* 1 = closing the cache also closes inner */
} crumb_store_cache_config;

/**
 * Wrap inner in a process-local cache of check() answers (revoked and not
 * revoked; errors are never cached). Every other method goes to inner;
 * revocations, family advances, trust changes, device deletion and sweep
 * made through the cache empty it at once. Optional slots mirror inner's.
 * Thread-safe if inner is.
 * @param[out] out    the cache store (close with crumb_store_close)
 * @param[in]  inner  the store to wrap (not owned unless cfg->own_inner)
 * @param[in]  cfg    NULL for defaults
 * @return CRUMB_OK, CRUMB_E_INVALID, CRUMB_E_NOMEM, CRUMB_E_RANDOM
 */
CRUMB_EXPORT crumb_err crumb_store_cache_open(crumb_store **out, crumb_store *inner,
                                              const crumb_store_cache_config *cfg) CRUMB_WUR;

/* Drop every cached answer (e.g. on a revocation message from another
 * server). Does nothing if cache is NULL or not a cache store. */
CRUMB_EXPORT void crumb_store_cache_invalidate(crumb_store *cache);

#ifdef __cplusplus
}
#endif
#endif /* CRUMB_STORE_H */
