/*
 * matrix.c - a private redis-server for the tests (matrix.h): started on a
 * random (or given) loopback port, ready once it answers PING, stopped with
 * SIGTERM; and the temp-dir removal the store matrix uses.
 */
#include "matrix.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
#if CRUMB_HAVE_REDIS
#include <hiredis/hiredis.h>
#endif

int matrix_rmrf(const char *dir)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd);
}

void matrix_redis_stop(pid_t pid)
{
    if (pid <= 0)
        return;
    kill(pid, SIGCONT);
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
}

#if CRUMB_HAVE_REDIS
/* exec redis-server in the child (never returns). */
static void exec_server(const matrix_redis_opts *o, const char *portarg)
{
#ifdef __linux__
    prctl(PR_SET_PDEATHSIG, SIGKILL); /* no stray server if the test dies */
#endif
    int fd = open("/dev/null", O_RDWR);
    if (fd >= 0) {
        dup2(fd, 0);
        dup2(fd, 1);
    }
    const char *argv[24] = {"redis-server", "--port", portarg, "--bind", "127.0.0.1",
                            "--save", "", "--appendonly", o->aof ? o->aof : "no",
                            "--appendfsync", "everysec", "--daemonize", "no",
                            "--dir", o->dir};
    int n = 15;
    if (o->sock) {
        argv[n++] = "--unixsocket";
        argv[n++] = o->sock;
        argv[n++] = "--unixsocketperm";
        argv[n++] = "700";
    }
    if (o->log) {
        argv[n++] = "--logfile";
        argv[n++] = o->log;
    }
    argv[n] = NULL;
    execvp("redis-server", (char *const *)(void *)argv);
    _exit(127);
}

/* 1 once the server on port answers PING (up to 5 s), 0 if it exits first. */
static int wait_ready(pid_t pid, int port)
{
    struct timeval tv = {0, 200000};
    for (int i = 0; i < 500; i++) {
        int st;
        if (waitpid(pid, &st, WNOHANG) == pid)
            return 0; /* exited: port taken (or broken install) */
        redisContext *c = redisConnectWithTimeout("127.0.0.1", port, tv);
        if (c != NULL && !c->err) {
            redisSetTimeout(c, tv);
            redisReply *x = redisCommand(c, "PING");
            int ok = x != NULL && x->type == REDIS_REPLY_STATUS;
            if (x)
                freeReplyObject(x);
            redisFree(c);
            if (ok)
                return 1;
        } else if (c != NULL) {
            redisFree(c);
        }
        usleep(10000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    return 0;
}

pid_t matrix_redis_start(const matrix_redis_opts *o, int *port)
{
    for (int attempt = 0; attempt < 20; attempt++) {
        int p = o->port ? o->port : 20000 + (int)(o->rnd() % 40000u);
        char portarg[16];
        snprintf(portarg, sizeof portarg, "%d", p);
        pid_t pid = fork();
        if (pid < 0)
            return 0;
        if (pid == 0)
            exec_server(o, portarg);
        if (wait_ready(pid, p)) {
            *port = p;
            return pid;
        }
        if (o->port)
            return 0;
    }
    return 0;
}
#else
pid_t matrix_redis_start(const matrix_redis_opts *o, int *port)
{
    (void)o;
    (void)port;
    return 0;
}
#endif
