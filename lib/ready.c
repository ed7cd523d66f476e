/* ready.c - readiness checks for --check (ready.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "cli.h"
#include "ready.h"

void
grace_ready_init(struct grace_ready *r, const char *prog)
{
	const char *mf = getenv("GRACE_MIN_FREE");
	unsigned long long v;

	memset(r, 0, sizeof *r);
	r->prog = prog;
	r->min_free = GRACE_READY_MIN_FREE;
	if (mf && *mf) {
		if (grace_cli_parse_size(mf, &v) == 0)
			r->min_free = v;
		else
			grace_ready_add(r, "environment", "GRACE_MIN_FREE", 0,
			    "'%s' is not a byte count", mf);
	}
}

void
grace_ready_free(struct grace_ready *r)
{
	grace_buf_free(&r->checks);
	grace_buf_free(&r->failed);
}

void
grace_ready_add(struct grace_ready *r, const char *check, const char *subject,
    int ok, const char *fmt, ...)
{
	struct grace_buf d = {0};
	va_list ap;
	int x = 0;

	va_start(ap, fmt);
	x |= grace_buf_vaddf(&d, fmt, ap);
	va_end(ap);
	x |= grace_buf_adds(&r->checks, r->n++ ? "," : "");
	x |= grace_buf_adds(&r->checks, "{\"check\":");
	x |= grace_buf_add_jstr(&r->checks, check, strlen(check));
	x |= grace_buf_adds(&r->checks, ",\"subject\":");
	x |= grace_buf_add_jstr(&r->checks, subject, strlen(subject));
	x |= grace_buf_addf(&r->checks, ",\"ok\":%s,\"detail\":", ok ? "true" :
	    "false");
	x |= grace_buf_add_jstr(&r->checks, d.p ? d.p : "", d.len);
	x |= grace_buf_adds(&r->checks, "}");
	if (!ok) {
		r->nfailed++;
		x |= grace_buf_addf(&r->failed, "%s: not ready: %s: %s: %s\n",
		    r->prog, check, subject, d.p ? d.p : "");
	}
	r->oom |= x;
	grace_buf_free(&d);
}

/* The directory part of path ("." for a bare name) into b. */
static void
dir_of(const char *path, struct grace_buf *b)
{
	const char *s = strrchr(path, '/');

	grace_buf_reset(b);
	if (!s)
		grace_buf_adds(b, ".");
	else if (s == path)
		grace_buf_adds(b, "/");
	else
		grace_buf_add(b, path, (size_t)(s - path));
	grace_buf_add(b, "", 0);
}

static void
disk(struct grace_ready *r, const char *dir, const char *subject)
{
	struct statvfs v;
	unsigned long long avail;

	if (statvfs(dir, &v) < 0) {
		grace_ready_add(r, "disk", subject, 0, "%s: %s", dir,
		    strerror(errno));
		return;
	}
	avail = (unsigned long long)v.f_bavail * v.f_frsize;
	grace_ready_add(r, "disk", subject, avail >= r->min_free,
	    "%llu MiB free under %s, the floor is %llu MiB", avail >> 20, dir,
	    (unsigned long long)(r->min_free >> 20));
}

void
grace_ready_writable(struct grace_ready *r, const char *path)
{
	struct grace_buf d = {0};
	struct stat st;

	if (stat(path, &st) == 0) {
		if (S_ISDIR(st.st_mode)) {
			grace_ready_add(r, "writable", path, 0, "is a directory, "
			    "not a file");
			return;
		}
		if (access(path, W_OK) < 0) {
			grace_ready_add(r, "writable", path, 0, "%s",
			    strerror(errno));
			return;
		}
		grace_ready_add(r, "writable", path, 1, "can be written");
		if (S_ISREG(st.st_mode)) {
			dir_of(path, &d);
			disk(r, d.p, path);
		}
		grace_buf_free(&d);
		return;
	}
	if (errno != ENOENT) {
		grace_ready_add(r, "writable", path, 0, "%s", strerror(errno));
		return;
	}
	dir_of(path, &d);
	if (access(d.p, W_OK | X_OK) < 0)
		grace_ready_add(r, "writable", path, 0, "cannot be made in %s: %s",
		    d.p, strerror(errno));
	else {
		grace_ready_add(r, "writable", path, 1, "can be made in %s", d.p);
		disk(r, d.p, path);
	}
	grace_buf_free(&d);
}

void
grace_ready_dir(struct grace_ready *r, const char *dir)
{
	struct grace_buf d = {0};
	struct stat st;

	if (stat(dir, &st) == 0) {
		if (!S_ISDIR(st.st_mode))
			grace_ready_add(r, "writable", dir, 0, "is not a "
			    "directory");
		else if (access(dir, W_OK | X_OK) < 0)
			grace_ready_add(r, "writable", dir, 0, "%s",
			    strerror(errno));
		else {
			grace_ready_add(r, "writable", dir, 1, "is a writable "
			    "directory");
			disk(r, dir, dir);
		}
		return;
	}
	dir_of(dir, &d);
	if (errno != ENOENT || access(d.p, W_OK | X_OK) < 0)
		grace_ready_add(r, "writable", dir, 0, "cannot be made in %s",
		    d.p);
	else {
		grace_ready_add(r, "writable", dir, 1, "can be made in %s", d.p);
		disk(r, d.p, dir);
	}
	grace_buf_free(&d);
}

static int
runnable(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
	    access(path, X_OK) == 0;
}

void
grace_ready_command(struct grace_ready *r, const char *argv0,
    const char *base)
{
	struct grace_buf p = {0};
	const char *path, *s, *e;

	if (strchr(argv0, '/')) {
		if (argv0[0] != '/' && base && *base)
			grace_buf_addf(&p, "%s/%s", base, argv0);
		else
			grace_buf_adds(&p, argv0);
		grace_ready_add(r, "command", argv0, runnable(p.p), "%s %s", p.p,
		    runnable(p.p) ? "can be run" : "is not an executable file");
		grace_buf_free(&p);
		return;
	}
	path = getenv("PATH");
	for (s = path ? path : "/usr/bin:/bin"; ; s = e + 1) {
		e = strchr(s, ':');
		grace_buf_reset(&p);
		grace_buf_add(&p, s, e ? (size_t)(e - s) : strlen(s));
		grace_buf_addf(&p, "%s%s", p.len ? "/" : "./", argv0);
		if (runnable(p.p)) {
			grace_ready_add(r, "command", argv0, 1, "found as %s", p.p);
			grace_buf_free(&p);
			return;
		}
		if (!e)
			break;
	}
	grace_ready_add(r, "command", argv0, 0, "not found on PATH");
	grace_buf_free(&p);
}

int
grace_ready_ok(const struct grace_ready *r)
{
	return r->nfailed == 0 && !r->oom;
}

int
grace_ready_print(struct grace_ready *r, int json, int quiet,
    const char *config, const char *summary, FILE *out, FILE *err)
{
	int ok = grace_ready_ok(r);

	if (json) {
		struct grace_buf o = {0};

		grace_buf_adds(&o, "{\"program\":");
		grace_buf_add_jstr(&o, r->prog, strlen(r->prog));
		grace_buf_adds(&o, ",\"config\":");
		grace_buf_add_jstr(&o, config, strlen(config));
		grace_buf_addf(&o, ",\"ready\":%s,\"summary\":", ok ? "true" :
		    "false");
		grace_buf_add_jstr(&o, summary, strlen(summary));
		grace_buf_adds(&o, ",\"checks\":[");
		grace_buf_add(&o, r->checks.p ? r->checks.p : "", r->checks.len);
		grace_buf_adds(&o, "]}\n");
		if (fwrite(o.p, 1, o.len, out) != o.len) {
			grace_buf_free(&o);
			return 4;
		}
		grace_buf_free(&o);
	} else {
		if (r->failed.len)
			fwrite(r->failed.p, 1, r->failed.len, err);
		if (ok && !quiet)
			fprintf(out, "%s: ok: %s\n", config, summary);
	}
	return ok ? 0 : 1;
}
