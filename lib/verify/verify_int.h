/* verify_int.h - the insides of the verification engine, shared by
 * lib/contracts.c (loading, selecting, evaluating the event) and
 * lib/verify_checks.c (running the checks). Not for cmd/: use
 * contracts.h. */
#ifndef GRACE_VERIFY_INT_H
#define GRACE_VERIFY_INT_H

#include <stddef.h>
#include <stdint.h>

#include "baseline.h"
#include "buf.h"
#include "verify.h"
#include "jqnative.h"
#include "jqx.h"
#include "patterns.h"
#include "sigcheck.h"
#include "yaml.h"

enum vkind { VK_JQ, VK_EXEC, VK_DIGEST, VK_SIGNATURE, VK_BASELINE, VK_SCAN,
	VK_CONTRACT };
enum vres { VR_PASS, VR_FAIL, VR_ERROR };

#define VMAX_IN 3            /* event-derived inputs per check */
#define VMAX_FINDINGS 50     /* scan findings listed in the verdict */

/* One jq expression of a contract. */
struct slot {
	const char *src;         /* borrowed from the YAML tree */
	const char *file;
	unsigned long line, col;
	struct grace_jqn *native; /* NULL: libjq only */
};

/* A string that is given in the file (lit) or computed from the event
 * (slot >= 0). */
struct vsrc {
	const char *lit;
	int slot;                /* -1: lit */
};

struct check {
	const char *name;
	enum vkind kind;
	double weight;
	const char *message;     /* custom failure message, or NULL */
	int slot;                /* jq: the expression */
	/* exec */
	char **argv;             /* argv[0] resolved; NULL-terminated */
	size_t nenv;
	const char **env_names;
	int *env_slots;
	int stdin_event;
	int64_t timeout_ms, kill_after_ms;
	uint64_t cpu, memory, files;
	size_t max_output;
	int *exits;              /* accepted exit statuses */
	size_t nexits;
	struct grace_patterns *match; /* owned; NULL: none */
	const char *match_src;
	int json;                /* index in the contracts' json list; -1 */
	/* digest, signature, scan: the file examined */
	struct vsrc file;
	enum grace_digest_alg alg;
	struct vsrc expected;    /* lit NULL and slot -1: manifest */
	char *manifest;          /* owned, resolved */
	struct vsrc sigfile;     /* lit NULL and slot -1: file + ".sig" */
	char *pubkey;            /* owned, resolved */
	enum grace_sig_encoding enc;
	const char *hash;
	/* baseline */
	struct grace_baseline *bl; /* borrowed from the contracts */
	char *bl_error;          /* the baseline file could not be loaded */
	struct vsrc key;
	int metric_slot;
	double drift;
	enum grace_drift_dir dir;
	/* scan */
	struct grace_patterns *rules; /* borrowed from the contracts */
	const char *rules_path;
	int snippet_slot;        /* -1: scan file */
	enum grace_severity fail_on;
	size_t max_size;
	/* contract */
	int expect_slot, actual_slot;
	int ordered;
};

struct contract {
	const char *id;
	const char **types;      /* NULL-free list; none: every type */
	size_t ntypes;
	int wild;                /* a type pattern with '*', or no types */
	int when;                /* slot of `when`, -1 if none */
	struct slot *slots;
	size_t nslots, capslots;
	struct check *checks;
	size_t nchecks;
	struct grace_jqn_paths *paths;
	int all_native;          /* every slot has a native form */
	char *program;           /* the libjq program of all slots */
	size_t ninline;          /* jq and contract checks */
	const char *file;
	unsigned long line, col;
};

struct tindex {              /* exact event type -> contracts */
	char *type;
	size_t len;
	size_t *list;            /* contract indexes, ascending */
	size_t n;
};

struct grace_contracts {
	char *path;
	char *dir;               /* directory of path, for relative paths */
	struct grace_ynode *root;
	struct grace_ynode **extra_roots; /* rule files */
	size_t nextra;
	struct contract *v;
	size_t n;
	const char **keys;
	size_t nkeys;
	struct tindex *tab;      /* open addressing, size tabsize */
	size_t tabsize;
	size_t *wild;            /* contracts that need a type test per event */
	size_t nwild;
	struct grace_patterns **rulesets;
	char **ruleset_paths;
	size_t nrulesets;
	struct grace_baseline **baselines;
	char **baseline_paths;
	char **baseline_errors;
	size_t nbaselines;
	const char **json_src;   /* exec json assertions */
	const char **json_file;
	unsigned long *json_line, *json_col;
	size_t njson;
	int update_baseline;
	char *tmpdir;
	void (*child_started)(void *arg, int pid);
	void (*child_ended)(void *arg, int pid);
	void *child_arg;
	size_t nchecks;
};

/* The value of a slot for one event. */
enum { SV_NONE = 0, SV_VAL, SV_ERR };
struct sval {
	int state;               /* SV_NONE: no output */
	enum grace_jkind kind;   /* SV_VAL: GRACE_J_NONE reads as null */
	int arena;               /* text in v->arena at off (else p) */
	const char *p;
	size_t off, n;           /* JSON text; SV_ERR: the message */
};

struct cres {
	int pending;
	enum vres res;
	double ms;
	struct grace_buf msg;
	struct grace_buf extra;  /* more members for the check object */
	int in_set[VMAX_IN];
	size_t in_off[VMAX_IN], in_len[VMAX_IN]; /* in v->arena */
	double num;              /* baseline: the metric */
	size_t env_off, env_len, env_n; /* exec: "N=v\0..." in v->arena */
};

struct grace_vevent {
	const struct grace_contracts *c;
	const struct contract *k;    /* NULL: none applies */
	const char *ev;
	size_t n;
	struct grace_buf copy;
	struct grace_buf arena;
	struct sval *sv;
	size_t svcap;
	struct cres *cr;
	size_t crcap;
	struct grace_buf id, type;
	struct grace_buf error;      /* event-level error */
	int has_error;
	int status;
	double confidence;
};

struct grace_vctx {
	const struct grace_contracts *c;
	struct grace_jq **progs;     /* per contract, compiled when needed */
	struct grace_jq **json;      /* per exec json assertion */
	struct grace_jspan *spans;
	size_t spancap;
	struct grace_buf scratch;
};

/* verify_checks.c */
void grace_vcheck_run(struct grace_vevent *v, struct grace_vctx *x,
    size_t i);
/* Put the check's own failure message in front of r's details. */
void grace_vcheck_message(const struct check *ck, struct cres *r);
int grace_vcheck_contract(struct grace_vevent *v, const struct check *ck,
    struct cres *r);
/* A slot's value as text: strings unescaped, numbers as jq prints them,
 * other values as compact JSON. Appends to out; returns 0, or -1 when the
 * slot has no usable value (out then holds why). */
int grace_vslot_text(const struct grace_vevent *v, int slot,
    struct grace_buf *out, int *is_null);
const char *grace_vsv_text(const struct grace_vevent *v,
    const struct sval *s);

#endif
