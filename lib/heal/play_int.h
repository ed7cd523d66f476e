/* play_int.h - what playbooks.c and run.c share: the loaded form of a
 * playbook (struct grace_playbook's priv). Private to lib/heal/. */
#ifndef GRACE_PLAY_INT_H
#define GRACE_PLAY_INT_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "heal.h"

struct grace_jq;
struct grace_contracts;

enum { HFAIL_CONTINUE, HFAIL_ROLLBACK, HFAIL_ESCALATE };

/* An argv element or env value: literal text, or a placeholder
 * "{a.b.c}" (segs set) replaced whole by the text at that member path of
 * the anomaly event. */
struct hval {
	const char *text;           /* as written (borrowed from the tree) */
	char **segs;                /* NULL for literal text */
	size_t nsegs;
};

struct hstep {
	const char *name;
	struct hval *argv;
	size_t argc;
	char *prog;                 /* argv[0] resolved against the playbook
	                               file's directory (actions/x), or NULL:
	                               argv[0] as written (PATH or absolute) */
	const char **envk;
	struct hval *envv;
	size_t nenv;
	int64_t timeout_ms;
	int64_t delay_ms;
	unsigned retries;
	double backoff;
	int on_failure;             /* HFAIL_* */
	unsigned long line;
};

struct hbook {
	/* match */
	const char **anomaly;       /* globs over data.anomaly */
	size_t nanomaly;
	const char **component;     /* globs over data.component; none: any */
	size_t ncomponent;
	int min_sev;                /* GRACE_HSEV_*; NONE: any */
	struct grace_jq *when;      /* over the anomaly event, or NULL */
	/* phases */
	struct hstep *steps, *verify, *rollback;
	size_t nsteps, nverify, nrollback;
	char **snap;                /* absolute paths of files to snapshot */
	size_t nsnap;
	const char *contract;       /* verify contract id, or NULL */
	struct grace_contracts *contracts;  /* borrowed from the load */
};

/* The text of value v for the anomaly event p[0..n) (validated), into b
 * (reset first, NUL-terminated; it may hold NUL bytes: b->len is the
 * truth). Returns 0 or -1 (memory). tmp is scratch. */
int grace_hval_text(const struct hval *v, const char *p, size_t n,
    struct grace_buf *b, struct grace_buf *tmp);

#endif
