/*
 * keyfile.c - opening and reading a secret file (keyfile.h), shared by the
 * key ring (keyring.c) and the store secret (store_secret.c), so both refuse
 * links, non-regular files and group/other-readable files alike.
 */
#include "keyfile.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

/* see keyfile.h */
crumb_err crumb__keyfile_open(const char *path, int *fd, uint64_t *size)
{
    struct stat st;
    *fd = -1;
    int f = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (f < 0)
        return errno == ENOENT ? CRUMB_E_NOTFOUND : CRUMB_E_IO;
    if (fstat(f, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(f);
        return CRUMB_E_IO;
    }
    if (st.st_mode & 077) {
        close(f);
        return CRUMB_E_INVALID; /* readable by others: refuse */
    }
    *fd = f;
    *size = (uint64_t)st.st_size;
    return CRUMB_OK;
}

/* see keyfile.h */
crumb_err crumb__keyfile_read(int fd, char *buf, size_t cap, size_t *got)
{
    *got = 0;
    while (*got < cap) {
        ssize_t r = read(fd, buf + *got, cap - *got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return CRUMB_E_IO;
        if (r == 0)
            break;
        *got += (size_t)r;
    }
    return CRUMB_OK;
}
