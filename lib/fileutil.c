/* fileutil.c - whole writes, locking, atomic replacement, slurping. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileutil.h"

int
grace_write_all(int fd, const void *p, size_t n)
{
	const char *s = p;

	while (n > 0) {
		ssize_t w = write(fd, s, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

int
grace_pread_all(int fd, void *p, size_t n, unsigned long long off)
{
	char *s = p;

	while (n > 0) {
		ssize_t r = pread(fd, s, n, (off_t)off);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0) {
			errno = EIO;
			return -1;
		}
		s += r;
		n -= (size_t)r;
		off += (unsigned long long)r;
	}
	return 0;
}

int
grace_lock(int fd, int shared, const char *path, struct grace_err *e)
{
	while (flock(fd, shared ? LOCK_SH : LOCK_EX) < 0) {
		if (errno != EINTR)
			return grace_err_sys(e, path, "unable to lock");
	}
	return 0;
}

void
grace_unlock(int fd)
{
	flock(fd, LOCK_UN);
}

int
grace_fsync_dir(const char *path, struct grace_err *e)
{
	char *copy = strdup(path);
	int fd, r = 0;

	if (!copy)
		return grace_err_sys(e, path, "unable to sync directory");
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) < 0)
		r = grace_err_sys(e, path, "unable to sync directory");
	if (fd >= 0)
		close(fd);
	free(copy);
	return r;
}

int
grace_atomic_write(const char *path, const void *data, size_t n, int mode,
    struct grace_err *e)
{
	size_t plen = strlen(path);
	char *tmp = malloc(plen + 16);
	int fd;

	if (!tmp)
		return grace_err_sys(e, path, "unable to write");
	snprintf(tmp, plen + 16, "%s.tmp.XXXXXX", path);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		grace_err_sys(e, path, "unable to create a temporary file");
		free(tmp);
		return -1;
	}
	if (fchmod(fd, (mode_t)mode) < 0 || grace_write_all(fd, data, n) < 0 ||
	    fsync(fd) < 0) {
		grace_err_sys(e, path, "unable to write");
		close(fd);
		unlink(tmp);
		free(tmp);
		return -1;
	}
	if (close(fd) < 0 || rename(tmp, path) < 0) {
		grace_err_sys(e, path, "unable to replace");
		unlink(tmp);
		free(tmp);
		return -1;
	}
	free(tmp);
	return grace_fsync_dir(path, e);
}

char *
grace_read_file(const char *path, size_t max, size_t *n, struct grace_err *e)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t len = 0, cap = 4096;
	char *buf;

	if (fd < 0) {
		grace_err_sys(e, path, "unable to open");
		return NULL;
	}
	buf = malloc(cap);
	for (;;) {
		ssize_t r;

		if (!buf) {
			grace_err_sys(e, path, "unable to read");
			close(fd);
			return NULL;
		}
		if (len + 1 >= cap) {
			char *nb = cap > max ? NULL : realloc(buf, cap * 2);

			if (!nb) {
				if (cap > max)
					grace_err_set(e, path, 0, 0,
					    "file larger than %zu bytes", max);
				else
					grace_err_sys(e, path, "unable to read");
				free(buf);
				close(fd);
				if (cap > max)
					errno = EFBIG;
				return NULL;
			}
			buf = nb;
			cap *= 2;
		}
		r = read(fd, buf + len, cap - len - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			grace_err_sys(e, path, "unable to read");
			free(buf);
			close(fd);
			return NULL;
		}
		if (r == 0)
			break;
		len += (size_t)r;
		if (len > max) {
			grace_err_set(e, path, 0, 0, "file larger than %zu bytes",
			    max);
			free(buf);
			close(fd);
			errno = EFBIG;
			return NULL;
		}
	}
	close(fd);
	buf[len] = '\0';
	*n = len;
	return buf;
}

const char *
grace_file_kind(mode_t m)
{
	return S_ISREG(m) ? "a regular file" : S_ISDIR(m) ? "a directory" :
	    S_ISFIFO(m) ? "a pipe" : S_ISCHR(m) ? "a character device" :
	    S_ISSOCK(m) ? "a socket" : S_ISBLK(m) ? "a block device" :
	    "not a regular file";
}
