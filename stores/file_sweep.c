/*
 * file_sweep.c - the file store's whole-store walks: sweep (expiry, device
 * ladder, abandoned temp files), stats, and verify/repair (every record
 * checked; with repair a damaged one becomes a fail-safe value). Walks list
 * the fan-out directories that exist, relative to the held store directory.
 */
#include "file_store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* One walk: what it does with each record, and its accumulators. */
typedef struct walker walker;
struct walker {
    file_store *fs;
    int lock; /* take each record's stripe lock around visit */
    crumb_err (*visit)(walker *w, int type, const uint8_t h[32]);
    int64_t now;
    crumb_store_retention ret;
    crumb_store_sweep_counts *c;
    crumb_store_stats *st;
    crumb_store_verify_report *vr;
    int repair;
};

/* Open the directory rel (relative to the store) for reading; NULL with
 * errno set. */
static DIR *open_rel(const file_store *fs, const char *rel)
{
    int fd = openat(fs->dfd, rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    DIR *d = fdopendir(fd);
    if (d == NULL) {
        int e = errno;
        close(fd);
        errno = e;
    }
    return d;
}

/* Visit every record of one fan-out directory rel ("s/ab", fan = 0xab). */
static crumb_err walk_fan(walker *w, int type, const char *rel, unsigned fan)
{
    DIR *d = open_rel(w->fs, rel);
    if (d == NULL)
        return errno == ENOENT ? CRUMB_OK : CRUMB_E_IO; /* never skip records silently */
    crumb_err rc = CRUMB_OK;
    struct dirent *e;
    for (;;) {
        errno = 0;
        if (rc != CRUMB_OK || (e = readdir(d)) == NULL)
            break;
        uint8_t h[32];
        if (crumb__unhex(h, 32, e->d_name) != 0 || h[0] != fan)
            continue;
        int lk = w->lock ? crumb__fs_lock(w->fs, h) : -1;
        if (lk < 0 && w->lock) {
            rc = (crumb_err)-lk;
            break;
        }
        rc = w->visit(w, type, h);
        crumb__fs_unlock(w->fs, h, lk);
    }
    if (rc == CRUMB_OK && errno != 0) /* readdir failed */
        rc = CRUMB_E_IO;
    closedir(d);
    return rc;
}

/* Visit every record of one type directory (t = 's', 'r', 'f', 'u'). */
static crumb_err walk_type(walker *w, int type, char t)
{
    char rel[2] = {t, '\0'};
    DIR *d = open_rel(w->fs, rel);
    if (d == NULL)
        return errno == ENOENT ? CRUMB_OK : CRUMB_E_IO;
    crumb_err rc = CRUMB_OK;
    struct dirent *e;
    for (;;) {
        errno = 0;
        if (rc != CRUMB_OK || (e = readdir(d)) == NULL)
            break;
        uint8_t fan;
        if (strlen(e->d_name) != 2 || crumb__unhex(&fan, 1, e->d_name) != 0)
            continue;
        char fr[5] = {t, '/', e->d_name[0], e->d_name[1], '\0'};
        rc = walk_fan(w, type, fr, fan);
    }
    if (rc == CRUMB_OK && errno != 0)
        rc = CRUMB_E_IO;
    closedir(d);
    return rc;
}

/* Walk every record of the four record directories. */
static crumb_err walk(walker *w)
{
    static const int types[] = {T_SESSION, T_REVOKE, T_FAMILY, T_USER};
    static const char dirs[] = "srfu";
    crumb_err rc = CRUMB_OK;
    for (size_t t = 0; t < 4 && rc == CRUMB_OK; t++)
        rc = walk_type(w, types[t], dirs[t]);
    return rc;
}

/* ==== Sweep and stats =================================================== */

/* Sweep or count one session record. */
static crumb_err visit_session(walker *w, const uint8_t h[32])
{
    uint8_t sb[FS_STACKBUF], *owned;
    const uint8_t *body;
    size_t blen;
    uint64_t ver;
    int64_t exp = 0;
    crumb_err rc = crumb__fs_rec_read(w->fs, T_SESSION, h, sb, sizeof sb, &owned, &body, &blen);
    if (rc == CRUMB_OK)
        rc = crumb__fs_sess_decode(body, blen, &ver, &exp);
    crumb__free(owned);
    if (rc == CRUMB_OK && w->st && exp > w->now) {
        w->st->sessions++;
        w->st->session_bytes += blen - 16;
    } else if (rc == CRUMB_OK && !w->st && exp <= w->now) {
        rc = crumb__fs_rec_unlink(w->fs, T_SESSION, h);
        w->c->sessions++;
    }
    return rc;
}

/* Sweep or count one family record. */
static crumb_err visit_family(walker *w, const uint8_t h[32])
{
    crumb__fs_record f;
    crumb_err rc = crumb__fs_fam_read(w->fs, h, &f);
    if (rc != CRUMB_OK)
        return rc;
    if (w->st) {
        w->st->families++;
        w->st->revocations += f.revoked_until > w->now;
        return CRUMB_OK;
    }
    int over = f.revoked_until != 0 && f.revoked_until <= w->now;
    w->c->revocations += (uint64_t)over;
    if (f.until <= w->now) {
        w->c->families++;
        return crumb__fs_rec_unlink(w->fs, T_FAMILY, h);
    }
    if (over) {
        f.revoked_until = 0;
        rc = crumb__fs_fam_write(w->fs, h, &f);
    }
    return rc;
}

/* What a sweep/stats walk does with one record (its stripe lock held for
 * sweep). Damaged records are reported and left in place for inspection. */
static crumb_err visit_sweep(walker *w, int type, const uint8_t h[32])
{
    crumb_err rc = CRUMB_OK;
    if (type == T_USER) {
        stm_user u;
        rc = crumb__fs_user_load(w->fs, h, &u);
        if (rc == CRUMB_OK && w->st) {
            w->st->devices += u.ndev;
            w->st->revocations += u.ndrev + (u.nb_until > w->now);
        } else if (rc == CRUMB_OK && stm_user_sweep(&u, w->now, &w->ret, w->c)) {
            rc = crumb__fs_user_save(w->fs, h, &u, w->now);
        }
        stm_user_free(&u);
    } else if (type == T_SESSION) {
        rc = visit_session(w, h);
    } else if (type == T_REVOKE) {
        uint8_t b[8];
        rc = crumb__fs_small_read(w->fs, T_REVOKE, h, b, 8);
        if (rc == CRUMB_OK && w->st) {
            w->st->revocations++;
        } else if (rc == CRUMB_OK && (int64_t)stm_get64(b) <= w->now) {
            rc = crumb__fs_rec_unlink(w->fs, T_REVOKE, h);
            w->c->revocations++;
        }
    } else {
        rc = visit_family(w, h);
    }
    if (rc == CRUMB_E_CORRUPT || rc == CRUMB_E_VERSION) {
        if (w->c)
            w->c->corrupt++;
        if (w->st)
            w->st->corrupt++;
        rc = CRUMB_OK;
    }
    return rc == CRUMB_E_NOTFOUND ? CRUMB_OK : rc;
}

/* Remove temp files abandoned by writers killed mid-write (by real file
 * age); counts into c->temp_files. */
static void sweep_tmp(file_store *fs, crumb_store_sweep_counts *c)
{
    DIR *d = open_rel(fs, "tmp");
    if (d == NULL)
        return;
    struct dirent *e;
    time_t wall = time(NULL);
    while ((e = readdir(d)) != NULL) {
        struct stat st;
        char rel[300];
        if (e->d_name[0] == '.' || strlen(e->d_name) > 255)
            continue;
        memcpy(rel, "tmp/", 4);
        memcpy(rel + 4, e->d_name, strlen(e->d_name) + 1);
        if (fstatat(fs->dfd, rel, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
            wall - st.st_mtime > FS_TMP_AGE && unlinkat(fs->dfd, rel, 0) == 0)
            c->temp_files++;
    }
    closedir(d);
}

/* see crumb_store.h (sweep slot) */
crumb_err crumb__fs_sweep(crumb_store *s, int64_t now, const crumb_store_retention *ret,
                          crumb_store_sweep_counts *counts)
{
    crumb_store_sweep_counts c = {0};
    walker w = {.fs = (file_store *)s, .lock = 1, .visit = visit_sweep, .now = now, .c = &c};
    stm_retention(&w.ret, ret);
    crumb_err rc = walk(&w);
    sweep_tmp(w.fs, &c);
    if (counts)
        *counts = c;
    return rc;
}

/* see crumb_store.h (stats slot) */
crumb_err crumb__fs_stats(crumb_store *s, crumb_store_stats *out)
{
    walker w = {.fs = (file_store *)s, .visit = visit_sweep, .now = (int64_t)time(NULL),
                .st = out};
    crumb_err rc = walk(&w);
    out->checks = atomic_load(&w.fs->checks);
    out->corrupt += atomic_load(&w.fs->corrupt);
    return rc;
}

/* ==== Verify and repair ================================================= */

/* Read record (type, h) fully, as every method would. */
static crumb_err read_any(file_store *fs, int type, const uint8_t h[32])
{
    if (type == T_USER) {
        stm_user u;
        crumb_err rc = crumb__fs_user_load(fs, h, &u);
        stm_user_free(&u);
        return rc;
    }
    if (type == T_FAMILY) {
        crumb__fs_record f;
        return crumb__fs_fam_read(fs, h, &f);
    }
    uint8_t sb[FS_STACKBUF], *owned;
    const uint8_t *body;
    size_t blen;
    uint64_t ver;
    int64_t exp;
    crumb_err rc = crumb__fs_rec_read(fs, type, h, sb, sizeof sb, &owned, &body, &blen);
    if (rc == CRUMB_OK && type == T_SESSION)
        rc = crumb__fs_sess_decode(body, blen, &ver, &exp);
    crumb__free(owned);
    crumb_wipe(sb, sizeof sb);
    return rc;
}

/* Replace the damaged record (type, h) by its fail-safe value: a session
 * record is removed (its data is lost: the user signs in again); a session
 * or family revocation stays in force for FS_REPAIR_KEEP; a user record
 * refuses every session issued before now; the global not-before becomes
 * now. *removed = 1 when the record was removed rather than rewritten. */
static crumb_err repair_one(file_store *fs, int type, const uint8_t h[32], int64_t now,
                            int *removed)
{
    uint8_t b[8];
    *removed = type == T_SESSION;
    switch (type) {
    case T_SESSION: return crumb__fs_rec_unlink(fs, T_SESSION, h);
    case T_REVOKE:
        stm_put64(b, (uint64_t)(now + FS_REPAIR_KEEP));
        return crumb__fs_rec_write(fs, T_REVOKE, h, b, 8);
    case T_GLOBAL:
        stm_put64(b, (uint64_t)now);
        return crumb__fs_rec_write(fs, T_GLOBAL, h, b, 8);
    case T_FAMILY: {
        crumb__fs_record f = {.type = T_FAMILY, .until = now + FS_REPAIR_KEEP,
                              .revoked_until = now + FS_REPAIR_KEEP};
        return crumb__fs_fam_write(fs, h, &f);
    }
    default: {
        stm_user u;
        memset(&u, 0, sizeof u);
        u.not_before = now;
        u.nb_until = now + FS_REPAIR_KEEP;
        return crumb__fs_user_save(fs, h, &u, now);
    }
    }
}

/* Verify one record (its stripe lock held when repairing). */
static crumb_err visit_verify(walker *w, int type, const uint8_t h[32])
{
    crumb_err rc = read_any(w->fs, type, h);
    if (rc == CRUMB_E_NOTFOUND)
        return CRUMB_OK; /* removed since the directory was listed */
    w->vr->records++;
    if (rc == CRUMB_E_VERSION) { /* a newer format: not ours to touch */
        w->vr->left++;
        return CRUMB_OK;
    }
    if (rc != CRUMB_E_CORRUPT)
        return rc;
    w->vr->corrupt++;
    if (!w->repair) {
        w->vr->left++;
        return CRUMB_OK;
    }
    int removed;
    rc = repair_one(w->fs, type, h, w->now, &removed);
    if (rc == CRUMB_OK)
        *(removed ? &w->vr->removed : &w->vr->repaired) += 1;
    return rc;
}

/* Verify (and repair) the global record and the identity. */
static crumb_err verify_store(walker *w)
{
    file_store *fs = w->fs;
    crumb_err rc = crumb__fs_alive(fs);
    if (rc == CRUMB_E_CORRUPT) { /* the identity record was removed underneath */
        w->vr->corrupt++;
        rc = w->repair ? crumb__fs_identity_adopt(fs, w->now) : CRUMB_OK;
        *(w->repair && rc == CRUMB_OK ? &w->vr->repaired : &w->vr->left) += 1;
    }
    if (rc != CRUMB_OK)
        return rc;
    int lk = w->lock ? crumb__fs_lock(fs, fs->global_h) : -1;
    if (lk < 0 && w->lock)
        return (crumb_err)-lk;
    uint8_t b[8];
    rc = crumb__fs_small_read(fs, T_GLOBAL, fs->global_h, b, 8);
    if (rc == CRUMB_OK || rc == CRUMB_E_CORRUPT)
        w->vr->records++;
    if (rc == CRUMB_E_CORRUPT) {
        w->vr->corrupt++;
        int removed;
        rc = w->repair ? repair_one(fs, T_GLOBAL, fs->global_h, w->now, &removed) : CRUMB_OK;
        *(w->repair && rc == CRUMB_OK ? &w->vr->repaired : &w->vr->left) += 1;
    }
    crumb__fs_unlock(fs, fs->global_h, lk);
    return rc == CRUMB_E_NOTFOUND ? CRUMB_OK : rc;
}

/* see crumb_store.h (verify slot) */
crumb_err crumb__fs_verify(crumb_store *s, int repair, crumb_store_verify_report *out,
                           int64_t now)
{
    walker w = {.fs = (file_store *)s, .lock = repair != 0, .visit = visit_verify, .now = now,
                .vr = out, .repair = repair != 0};
    crumb_err rc = verify_store(&w);
    if (rc == CRUMB_OK)
        rc = walk(&w);
    if (rc == CRUMB_OK && out->left > 0)
        rc = CRUMB_E_CORRUPT;
    return rc;
}
