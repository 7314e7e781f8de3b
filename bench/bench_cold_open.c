/*
 * bench_cold_open.c - what a cold CGI process pays to open its store and
 * answer the first lookup: the file store (open + one check of a session,
 * family and user) beside SQLite (sqlite3_open_v2 + one prepared SELECT by
 * primary key on an existing database; libsqlite3 is dlopen'ed before the
 * clock starts, so no link flag is needed). Each sample is a new process
 * (posix_spawn of this program). `bench_cold_open [N]`; `bench_cold_open
 * one file|sqlite|none DIR` runs one open in this process (for strace -c
 * and callgrind: `none` is the baseline to subtract) in DIR made by
 * `bench_cold_open setup DIR`.
 */
#include "bench.h"
#include "crumb_store.h"

#include <dlfcn.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define T0 1700000000LL

extern char **environ;

/* The few SQLite entry points used (declared here: no sqlite3.h needed). */
typedef struct sql {
    int (*open_v2)(const char *, void **, int, const char *);
    int (*exec)(void *, const char *, void *, void *, char **);
    int (*prepare_v2)(void *, const char *, int, void **, const char **);
    int (*bind_blob)(void *, int, const void *, int, void (*)(void *));
    int (*step)(void *);
    int (*finalize)(void *);
    int (*close)(void *);
} sql;

/* Load libsqlite3; 0 on success. */
static int sql_load(sql *q)
{
    void *h = dlopen("libsqlite3.so.0", RTLD_NOW);
    if (h == NULL)
        return -1;
    void *f[7] = {dlsym(h, "sqlite3_open_v2"), dlsym(h, "sqlite3_exec"),
                  dlsym(h, "sqlite3_prepare_v2"), dlsym(h, "sqlite3_bind_blob"),
                  dlsym(h, "sqlite3_step"), dlsym(h, "sqlite3_finalize"),
                  dlsym(h, "sqlite3_close")};
    for (int i = 0; i < 7; i++)
        if (f[i] == NULL)
            return -1;
    memcpy(&q->open_v2, &f[0], sizeof f[0]);
    memcpy(&q->exec, &f[1], sizeof f[1]);
    memcpy(&q->prepare_v2, &f[2], sizeof f[2]);
    memcpy(&q->bind_blob, &f[3], sizeof f[3]);
    memcpy(&q->step, &f[4], sizeof f[4]);
    memcpy(&q->finalize, &f[5], sizeof f[5]);
    memcpy(&q->close, &f[6], sizeof f[6]);
    return 0;
}

/* Open + first lookup in the file store at dir; 0 on success. */
__attribute__((noinline)) static int cold_file(const char *dir)
{
    crumb_store *s = NULL;
    crumb_store_key k;
    crumb_store_id fam = {{7}};
    memset(&k, 0x42, sizeof k);
    if (crumb_store_file_open(&s, dir, NULL) != CRUMB_OK)
        return -1;
    crumb_store_check_req q = {&k, &fam, 1, "tenant", "user", NULL, T0, T0 + 1};
    crumb_store_check_res r;
    crumb_err e = crumb_store_check(s, &q, &r);
    crumb_store_close(s);
    return e == CRUMB_E_REVOKED ? 0 : -1;
}

/* Open + first lookup in the SQLite database dir/db.sqlite; 0 on success. */
__attribute__((noinline)) static int cold_sqlite(const sql *q, const char *dir)
{
    char path[512];
    void *db = NULL, *st = NULL;
    uint8_t k[32];
    memset(k, 0x42, sizeof k);
    snprintf(path, sizeof path, "%s/db.sqlite", dir);
    if (q->open_v2(path, &db, 0x00000002 /* READWRITE */, NULL) != 0)
        return -1;
    int rc = q->prepare_v2(db, "SELECT until FROM revoked WHERE key = ?1", -1, &st, NULL);
    if (rc == 0)
        rc = q->bind_blob(st, 1, k, 32, NULL);
    if (rc == 0)
        rc = q->step(st) == 100 /* SQLITE_ROW */ ? 0 : -1;
    q->finalize(st);
    q->close(db);
    return rc;
}

/* Make both stores under dir, each holding the revocation cold_* looks up. */
static int setup(const sql *q, const char *dir)
{
    char path[512];
    crumb_store *s = NULL;
    crumb_store_key k;
    memset(&k, 0x42, sizeof k);
    snprintf(path, sizeof path, "%s/store", dir);
    if (crumb_store_file_open(&s, path, NULL) != CRUMB_OK ||
        crumb_store_revoke_session(s, &k, T0 + 86400, T0) != CRUMB_OK)
        return -1;
    crumb_store_close(s);
    void *db = NULL;
    snprintf(path, sizeof path, "%s/db.sqlite", dir);
    if (q->open_v2(path, &db, 0x2 | 0x4 /* READWRITE | CREATE */, NULL) != 0 ||
        q->exec(db, "CREATE TABLE revoked(key BLOB PRIMARY KEY, until INTEGER);"
                    "INSERT INTO revoked VALUES(x'4242424242424242424242424242424242424242"
                    "424242424242424242424242', 1700086400);", NULL, NULL, NULL) != 0)
        return -1;
    return q->close(db);
}

/* One cold open in this process; prints the nanoseconds it took. */
static int one(const char *what, const char *dir)
{
    sql q;
    char path[512];
    if (strcmp(what, "sqlite") == 0 && sql_load(&q) != 0)
        return 2;
    snprintf(path, sizeof path, "%s/store", dir);
    (void)getppid(); /* marks the start for `strace`: count the calls between */
    double t = now_s();
    int rc = !strcmp(what, "file")     ? cold_file(path)
             : !strcmp(what, "sqlite") ? cold_sqlite(&q, dir)
                                       : 0;
    t = now_s() - t;
    (void)getppid(); /* ... and the end */
    printf("%.0f\n", t * 1e9);
    return rc ? 1 : 0;
}

/* Median in-process microseconds over n new processes. */
static double spawn_median(const char *self, const char *what, const char *dir, int n)
{
    double *v = calloc((size_t)n, sizeof *v);
    for (int i = 0; i < n; i++) {
        int p[2];
        posix_spawn_file_actions_t fa;
        pid_t pid;
        char *args[] = {(char *)self, "one", (char *)what, (char *)dir, NULL};
        if (pipe(p) != 0)
            exit(1);
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, p[1], 1);
        if (posix_spawn(&pid, self, &fa, NULL, args, environ) != 0)
            exit(1);
        close(p[1]);
        char buf[64] = "";
        ssize_t got = read(p[0], buf, sizeof buf - 1);
        close(p[0]);
        int st;
        waitpid(pid, &st, 0);
        if (got <= 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
            exit(1);
        v[i] = atof(buf) / 1e3;
        posix_spawn_file_actions_destroy(&fa);
    }
    qsort(v, (size_t)n, sizeof *v, cmp_d);
    double m = v[n / 2];
    free(v);
    return m;
}

int main(int argc, char **argv)
{
    sql q;
    if (argc == 4 && strcmp(argv[1], "one") == 0)
        return one(argv[2], argv[3]);
    if (argc == 3 && strcmp(argv[1], "setup") == 0) /* for `one` under strace/callgrind */
        return sql_load(&q) != 0 || setup(&q, argv[2]) != 0;
    int n = argc > 1 ? atoi(argv[1]) : 200;
    char dir[] = "/tmp/crumb-cold-XXXXXX";
    if (n < 1 || mkdtemp(dir) == NULL || sql_load(&q) != 0 || setup(&q, dir) != 0) {
        fprintf(stderr, "bench_cold_open: setup failed (libsqlite3.so.0 missing?)\n");
        return 1;
    }
    printf("cold open + first lookup, new process each, median of %d (us, in-process):\n", n);
    printf("  file store  %8.1f\n", spawn_median(argv[0], "file", dir, n));
    printf("  sqlite      %8.1f\n", spawn_median(argv[0], "sqlite", dir, n));
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : 1;
}
