/* ready.h - --check as a readiness self-test a supervisor can run: the
 * configuration is valid (the caller loaded it), the files the program
 * writes can be written, the disk under them has room above a floor,
 * the commands it would run exist, the log it appends to is intact at its
 * head (checked by the caller, added here). Text prints what is not
 * ready; -o json prints everything as one object:
 *   {"program":"grace-route","config":"config/routes.yaml","ready":true,
 *    "summary":"12 targets, 11 routes, ...","checks":[{"check":"writable",
 *    "subject":"grace-denials.ndjson","ok":true,"detail":"..."},...]}
 */
#ifndef GRACE_READY_H
#define GRACE_READY_H

#include <stdint.h>
#include <stdio.h>

#include "buf.h"

/* The floor of free space under a file a program writes: 64 MiB, or
 * $GRACE_MIN_FREE bytes (a plain count; anything else is not ready). */
#define GRACE_READY_MIN_FREE (64ull << 20)

struct grace_ready {
	const char *prog;
	struct grace_buf checks;    /* JSON objects, comma-separated */
	struct grace_buf failed;    /* "PROG: not ready: ..." lines */
	size_t n, nfailed;
	uint64_t min_free;
	int oom;
};

void grace_ready_init(struct grace_ready *r, const char *prog);
void grace_ready_free(struct grace_ready *r);

/* Record one check: its kind ("writable", "disk", "command", "log",
 * ...), what it is about, whether it holds, and a sentence. */
void grace_ready_add(struct grace_ready *r, const char *check,
    const char *subject, int ok, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* path can be written: an existing regular file (or FIFO) that is
 * writable, or a name in a directory that is; and the file system under
 * it has min_free bytes free. Nothing is created. */
void grace_ready_writable(struct grace_ready *r, const char *path);
/* dir is (or can be made as) a writable directory, with room. */
void grace_ready_dir(struct grace_ready *r, const char *dir);

/* argv0 can be run: a name found on $PATH, or a path (relative ones to
 * base, the directory of the file that names it, when not NULL) to an
 * executable regular file. */
void grace_ready_command(struct grace_ready *r, const char *argv0,
    const char *base);

/* 1 if every check held. */
int grace_ready_ok(const struct grace_ready *r);

/* Print the result for --check: text (what is not ready, one line each,
 * to err; the summary line "CONFIG: ok: SUMMARY" to out when it is
 * ready, unless quiet) or json (the object, to out). Returns the exit
 * status: 0 ready, 1 not ready, 4 when out cannot be written. */
int grace_ready_print(struct grace_ready *r, int json, int quiet,
    const char *config, const char *summary, FILE *out, FILE *err);

#endif
