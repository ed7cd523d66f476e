/* fileutil.h - whole writes, file locking and atomic replacement. */
#ifndef GRACE_FILEUTIL_H
#define GRACE_FILEUTIL_H

#include <stddef.h>
#include <sys/types.h>

#include "err.h"

/* write() all n bytes, retrying on EINTR and short writes. Returns 0, or
 * -1 with errno set (bytes may have been partly written). */
int grace_write_all(int fd, const void *p, size_t n);

/* pread() exactly n bytes at off. Returns 0, or -1 (errno; EIO for a
 * short read at end of file). */
int grace_pread_all(int fd, void *p, size_t n, unsigned long long off);

/* Take an exclusive (or, if shared, a shared) flock(2) on fd, waiting for
 * it. Returns 0 or -1 (e names path). */
int grace_lock(int fd, int shared, const char *path, struct grace_err *e);
/* Release the lock taken on fd. */
void grace_unlock(int fd);

/* Replace path with data[0..n) atomically: write a temporary file in the
 * same directory, fsync it, rename it over path, fsync the directory.
 * mode is the new file's permission bits. On failure path is untouched
 * and the temporary file removed. Returns 0 or -1 (e filled). */
int grace_atomic_write(const char *path, const void *data, size_t n,
    int mode, struct grace_err *e);

/* fsync the directory that holds path. Returns 0 or -1 (e filled). */
int grace_fsync_dir(const char *path, struct grace_err *e);

/* Read a whole file (at most max bytes) into a malloc'd NUL-terminated
 * buffer. Returns it with *n set, or NULL (e filled). A file over max is
 * an error with errno EFBIG and e->msg "file larger than MAX bytes", so
 * that the caller can give it the status its kind of content gets (a
 * malformed checkpoint, a bad key); e->code is GRACE_EXIT_SYSTEM as for
 * every other failure. */
char *grace_read_file(const char *path, size_t max, size_t *n,
    struct grace_err *e);

/* What a file of mode m is, for a message that refuses one that is not a
 * regular file: "a directory", "a pipe", "a character device", "a
 * socket", "a block device", "a regular file" or "not a regular file". */
const char *grace_file_kind(mode_t m);

#endif
