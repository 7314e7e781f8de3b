/*
 * keyfile.h - reading a secret file (key ring, store secret): the one place
 * that opens it without following links and refuses a file others can read.
 */
#ifndef CRUMB_KEYFILE_H
#define CRUMB_KEYFILE_H

#include "internal.h"

/* Open path for reading a secret: O_NOFOLLOW, a regular file, no group or
 * other permission bits. On CRUMB_OK *fd is open (the caller closes it) and
 * *size is its size. CRUMB_E_NOTFOUND (absent), CRUMB_E_IO (open or fstat
 * failed, a link, not a regular file), CRUMB_E_INVALID (mode & 077). */
crumb_err crumb__keyfile_open(const char *path, int *fd, uint64_t *size);

/* Read fd until end of file or until cap bytes are in buf (retrying EINTR);
 * *got is the byte count (got == cap: the file may hold more). CRUMB_E_IO
 * on a read error. */
crumb_err crumb__keyfile_read(int fd, char *buf, size_t cap, size_t *got);

#endif
