/*
 * bench_sqlite.c - the file store beside SQLite (WAL, synchronous=FULL and
 * NORMAL) on the same work, same run: durable put of a 205-byte session
 * record, get, the per-request revocation check (session, family, user,
 * global: one statement with four indexed lookups for SQLite), and a cold
 * open (open the store/database, one check, close: what each CGI process
 * pays). Medians of 5 runs, wall clock (puts are fsync-bound).
 */
#include "bench.h"
#include "crumb_store.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define T0 1700000000LL
#define NKEYS 1024
#define RUNS 5

static uint8_t data[205];

/* ---- SQLite side ---- */
static const char SCHEMA[] =
    "CREATE TABLE IF NOT EXISTS sess(k BLOB PRIMARY KEY, v BLOB, exp INT, ver INT) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS rev(k BLOB PRIMARY KEY, until INT) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS fam(f BLOB PRIMARY KEY, gen INT, at INT, revoked INT)"
    " WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS usr(t TEXT, u TEXT, nb INT, PRIMARY KEY(t, u)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS glob(id INT PRIMARY KEY, nb INT);";
static const char CHECK_SQL[] =
    "SELECT (SELECT until FROM rev WHERE k = ?1), (SELECT gen FROM fam WHERE f = ?2),"
    " (SELECT nb FROM usr WHERE t = ?3 AND u = ?4), (SELECT nb FROM glob WHERE id = 0)";

struct lite {
    sqlite3 *db;
    sqlite3_stmt *put, *get, *check;
};

static void die(sqlite3 *db, const char *what)
{
    fprintf(stderr, "sqlite %s: %s\n", what, db ? sqlite3_errmsg(db) : "?");
    exit(1);
}

/* Open path with WAL and the given synchronous level; prepare statements. */
static void lite_open(struct lite *l, const char *path, const char *sync)
{
    char pragma[96];
    if (sqlite3_open_v2(path, &l->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL))
        die(l->db, "open");
    snprintf(pragma, sizeof pragma, "PRAGMA journal_mode=WAL; PRAGMA synchronous=%s;", sync);
    if (sqlite3_exec(l->db, pragma, NULL, NULL, NULL) ||
        sqlite3_exec(l->db, SCHEMA, NULL, NULL, NULL))
        die(l->db, "schema");
    if (sqlite3_prepare_v2(l->db, "INSERT OR REPLACE INTO sess VALUES(?1, ?2, ?3, 1)", -1,
                           &l->put, NULL) ||
        sqlite3_prepare_v2(l->db, "SELECT v FROM sess WHERE k = ?1", -1, &l->get, NULL) ||
        sqlite3_prepare_v2(l->db, CHECK_SQL, -1, &l->check, NULL))
        die(l->db, "prepare");
}

static void lite_close(struct lite *l)
{
    sqlite3_finalize(l->put);
    sqlite3_finalize(l->get);
    sqlite3_finalize(l->check);
    sqlite3_close(l->db);
}

/* Run stmt once to completion (reset after); the first row's column 0 is
 * copied to out when out is non-NULL. */
static void step(struct lite *l, sqlite3_stmt *s, uint8_t *out)
{
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW)
        if (out && sqlite3_column_bytes(s, 0) <= (int)sizeof data)
            memcpy(out, sqlite3_column_blob(s, 0), (size_t)sqlite3_column_bytes(s, 0));
    if (rc != SQLITE_DONE)
        die(l->db, "step");
    sqlite3_reset(s);
}

static void key_of(long i, uint8_t k[32])
{
    memset(k, 0, 32);
    k[0] = (uint8_t)(i % NKEYS);
    k[1] = (uint8_t)((i % NKEYS) >> 8);
}

static void lite_op(struct lite *l, char op, long i)
{
    uint8_t k[32], out[sizeof data];
    key_of(i, k);
    if (op == 'p') {
        sqlite3_bind_blob(l->put, 1, k, 32, SQLITE_STATIC);
        sqlite3_bind_blob(l->put, 2, data, sizeof data, SQLITE_STATIC);
        sqlite3_bind_int64(l->put, 3, T0 + 3600);
        step(l, l->put, NULL);
    } else if (op == 'g') {
        sqlite3_bind_blob(l->get, 1, k, 32, SQLITE_STATIC);
        step(l, l->get, out);
    } else {
        sqlite3_bind_blob(l->check, 1, k, 32, SQLITE_STATIC);
        sqlite3_bind_blob(l->check, 2, k, 16, SQLITE_STATIC);
        sqlite3_bind_text(l->check, 3, "tenant", -1, SQLITE_STATIC);
        sqlite3_bind_text(l->check, 4, "user", -1, SQLITE_STATIC);
        step(l, l->check, NULL);
    }
}

/* ---- file store side ---- */
static void file_op(crumb_store *st, char op, long i)
{
    uint8_t buf[512];
    size_t len;
    crumb_store_key k;
    key_of(i, k.b);
    crumb_store_id fam = {{k.b[0], k.b[1]}};
    crumb_err e;
    if (op == 'p') {
        e = crumb_store_put(st, &k, data, sizeof data, T0 + 3600, CRUMB_STORE_VERSION_ANY, NULL,
                            T0);
    } else if (op == 'g') {
        e = crumb_store_get(st, &k, buf, sizeof buf, &len, NULL, NULL, T0);
    } else {
        crumb_store_check_req q = {&k, &fam, 1, "tenant", "user", NULL, T0, T0 + 1};
        crumb_store_check_res r;
        e = crumb_store_check(st, &q, &r);
    }
    if (e != CRUMB_OK) {
        fprintf(stderr, "file store %c: %s\n", op, crumb_strerror(e));
        exit(1);
    }
}

/* ---- measurement ---- */
enum { B_FILE, B_FULL, B_NORMAL, NB };
static const char *const bname[NB] = {"file store", "SQLite WAL FULL", "SQLite WAL NORMAL"};
static char paths[NB][128];
static crumb_store *fst;
static struct lite lt[NB];

/* One cold open: open the store or database, one check, close. */
static void cold(int b, long i)
{
    if (b == B_FILE) {
        crumb_store *s;
        if (crumb_store_file_open(&s, paths[B_FILE], NULL) != CRUMB_OK)
            exit(1);
        file_op(s, 'c', i);
        crumb_store_close(s);
    } else {
        struct lite l;
        lite_open(&l, paths[b], b == B_FULL ? "FULL" : "NORMAL");
        lite_op(&l, 'c', i);
        lite_close(&l);
    }
}

/* Median ops/s of n operations op ('p' put, 'g' get, 'c' check, 'o' cold
 * open) on backend b. */
static double median(int b, char op, long n)
{
    double r[RUNS];
    for (int k = 0; k < RUNS; k++) {
        double t = now_s();
        for (long i = 0; i < n; i++) {
            if (op == 'o')
                cold(b, i);
            else if (b == B_FILE)
                file_op(fst, op, i);
            else
                lite_op(&lt[b], op, i);
        }
        r[k] = (double)n / (now_s() - t);
    }
    qsort(r, RUNS, sizeof r[0], cmp_d);
    return r[RUNS / 2];
}

/* Fill every backend with NKEYS sessions and families. */
static void fill(void)
{
    if (crumb_store_file_open(&fst, paths[B_FILE], NULL) != CRUMB_OK)
        exit(1);
    for (long i = 0; i < NKEYS; i++) {
        crumb_store_key k;
        key_of(i, k.b);
        crumb_store_id fam = {{k.b[0], k.b[1]}};
        file_op(fst, 'p', i);
        if (crumb_store_family_advance(fst, &fam, 0, 1, T0 + 3600, T0, NULL) != CRUMB_OK)
            exit(1);
    }
    for (int b = B_FULL; b < NB; b++) {
        lite_open(&lt[b], paths[b], b == B_FULL ? "FULL" : "NORMAL");
        sqlite3_exec(lt[b].db, "BEGIN", NULL, NULL, NULL);
        for (long i = 0; i < NKEYS; i++) {
            uint8_t k[32];
            char sql[160];
            key_of(i, k);
            lite_op(&lt[b], 'p', i);
            snprintf(sql, sizeof sql,
                     "INSERT INTO fam VALUES(x'%02x%02x0000000000000000000000000000', 1, %lld, 0)",
                     k[0], k[1], T0);
            if (sqlite3_exec(lt[b].db, sql, NULL, NULL, NULL))
                die(lt[b].db, "fill");
        }
        if (sqlite3_exec(lt[b].db, "INSERT INTO glob VALUES(0, 0); COMMIT", NULL, NULL, NULL))
            die(lt[b].db, "fill");
    }
}

int main(void)
{
    char dir[] = "/tmp/crumb-bench-XXXXXX";
    static const char ops[] = {'p', 'g', 'c', 'o'};
    static const char *const opname[] = {"durable put", "get", "check", "cold open+check+close"};
    static const long nops[] = {100, 20000, 20000, 2000};
    double r[4][NB];
    if (mkdtemp(dir) == NULL)
        return 1;
    snprintf(paths[B_FILE], sizeof paths[0], "%s/files", dir);
    snprintf(paths[B_FULL], sizeof paths[0], "%s/full.db", dir);
    snprintf(paths[B_NORMAL], sizeof paths[0], "%s/normal.db", dir);
    memset(data, 0x42, sizeof data);
    fill();
    for (int o = 0; o < 4; o++)
        for (int b = 0; b < NB; b++)
            r[o][b] = median(b, ops[o], nops[o]);
    printf("file store vs SQLite %s, %d records of %zu bytes, ops/s (median of %d, wall clock)\n",
           sqlite3_libversion(), NKEYS, sizeof data, RUNS);
    printf("%-24s %12s %12s %12s %9s %9s\n", "op", bname[0], "WAL FULL", "WAL NORMAL",
           "file/FULL", "file/NORM");
    for (int o = 0; o < 4; o++)
        printf("%-24s %12.0f %12.0f %12.0f %8.2fx %8.2fx\n", opname[o], r[o][B_FILE],
               r[o][B_FULL], r[o][B_NORMAL], r[o][B_FILE] / r[o][B_FULL],
               r[o][B_FILE] / r[o][B_NORMAL]);
    crumb_store_close(fst);
    for (int b = B_FULL; b < NB; b++)
        lite_close(&lt[b]);
    char cmd[64];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : 1;
}
