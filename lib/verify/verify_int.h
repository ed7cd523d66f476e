/* verify_int.h - the insides of the verification engine, shared by the
 * files of lib/verify/ only: contracts.c (loading the file, the type
 * index), eval.c (evaluating an event) and checks.c (running the checks).
 * Calls run one way: eval.c -> checks.c -> the rest. Not for cmd/: use
 * verify.h. */
#ifndef GRACE_VERIFY_INT_H
#define GRACE_VERIFY_INT_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "verify.h"
#include "err.h"
#include "jqnative.h"
#include "jqx.h"
#include "patterns.h"
#include "yaml.h"

/* ===================================================================== */
/* baseline.c - golden values of metrics, kept in a small JSON file, and
 * the drift of a new value from them.
 *
 * A baseline file is one JSON object whose members are metric keys and
 * whose values are numbers:
 *
 *   {
 *     "api.latency_ms": 120,
 *     "api.error_rate": 0.002
 *   }
 *
 * It is written back (grace_baseline_save()) with the keys sorted, one
 * per line, replacing the file atomically. Get, set and save may be
 * called from several threads at once.
 */

struct grace_baseline;

/* Load the baseline file at path. A file that does not exist gives an
 * empty baseline (grace_baseline_exists() is then 0). Returns NULL with e
 * filled when the file cannot be read or is not a JSON object of numbers
 * ("file: not a baseline file: member 'x' is a string, not a number"),
 * e->code GRACE_EXIT_INPUT; GRACE_EXIT_SYSTEM for I/O errors. */
struct grace_baseline *grace_baseline_load(const char *path,
    struct grace_err *e);
void grace_baseline_free(struct grace_baseline *b);

/* The path it was loaded from (borrowed). */
const char *grace_baseline_path(const struct grace_baseline *b);
/* 1 if the file existed when loaded. */
int grace_baseline_exists(const struct grace_baseline *b);

/* The value of key: returns 1 with *v set, 0 if there is none. */
int grace_baseline_get(struct grace_baseline *b, const char *key, double *v);
/* Set key to v (v must be finite). Returns 0, or -1 when out of memory. */
int grace_baseline_set(struct grace_baseline *b, const char *key, double v);

/* Write the baseline back to its file atomically if anything was set
 * since it was loaded. Returns 0 (also when there was nothing to write),
 * or -1 with e filled. */
int grace_baseline_save(struct grace_baseline *b, struct grace_err *e);

enum grace_drift_dir {
	GRACE_DRIFT_BOTH = 0,  /* a change either way counts */
	GRACE_DRIFT_UP,        /* only an increase counts (latency, errors) */
	GRACE_DRIFT_DOWN,      /* only a decrease counts (throughput) */
};

/* The drift of value from base as a fraction of base:
 * |value - base| / |base|, counted only in the direction dir (0 for a
 * change the other way). A base of 0 gives 0 when value is 0 too, and
 * INFINITY otherwise (in the direction counted). */
double grace_baseline_drift(double base, double value,
    enum grace_drift_dir dir);

/* ===================================================================== */
/* sigcheck.c - evidence about files through libcrypto's EVP interface:
 * SHA-256/SHA-512 digests compared with an expected value (given, or
 * looked up in a sha256sum-style manifest), and detached Ed25519 or
 * ECDSA signatures verified against a PEM public key.
 *
 * Every function is thread-safe and leaves the calling thread's OpenSSL
 * error queue empty. Results are three-way where it matters: 1 (holds),
 * 0 (does not hold: e->msg says why) and -1 (could not be checked: a
 * missing or unreadable file, a key that is not one; e filled with code
 * GRACE_EXIT_SYSTEM for I/O and GRACE_EXIT_USAGE for a bad key or value).
 */

enum grace_digest_alg { GRACE_DIGEST_SHA256, GRACE_DIGEST_SHA512 };

#define GRACE_DIGEST_HEXMAX 129 /* SHA-512 in hex, plus a NUL */

/* "sha256" or "sha512" -> *a. Returns 0, or -1 for anything else. */
int grace_digest_alg_parse(const char *s, enum grace_digest_alg *a);
const char *grace_digest_alg_name(enum grace_digest_alg a);

/* Hash the file at path with a; write the lowercase hex digest into hex
 * (GRACE_DIGEST_HEXMAX bytes). Returns 0, or -1 with e filled ("unable
 * to open", "is a directory", read errors). */
int grace_digest_file(const char *path, enum grace_digest_alg a, char *hex,
    struct grace_err *e);

/* Compare the digest got (lowercase hex) with expected, which may be
 * upper or lower case and carry an "sha256:"/"sha512:" prefix (as OCI
 * digests do), in constant time. Returns 1 equal, 0 different (e->msg:
 * "expected ..., got ..."), -1 when expected is not a digest of
 * algorithm a (wrong length, not hex, the other prefix). */
int grace_digest_match(const char *got, const char *expected,
    enum grace_digest_alg a, struct grace_err *e);

/* Find name in the manifest file at manifest: lines "<hex>  <name>" or
 * "<hex> *<name>" (sha256sum, sha512sum output; blank lines and '#'
 * comments skipped). name matches a line's name exactly, or when their
 * last path components are equal. Copies the hex into hex (cap bytes).
 * Returns 1 found, 0 not listed (e->msg says so), -1 when the manifest
 * cannot be read. */
int grace_digest_manifest(const char *manifest, const char *name, char *hex,
    size_t cap, struct grace_err *e);

enum grace_sig_encoding {
	GRACE_SIG_AUTO = 0,  /* base64 if the file is base64 text, else raw */
	GRACE_SIG_RAW,       /* the signature bytes as they are */
	GRACE_SIG_BASE64,    /* base64 text (RFC 4648, padding; white space
	                        and line breaks anywhere are ignored) */
};

/* "auto", "raw", "base64". Returns 0 or -1. */
int grace_sig_encoding_parse(const char *s, enum grace_sig_encoding *enc);

/* Verify the detached signature in sigfile over the bytes of file with
 * the PEM public key (SubjectPublicKeyInfo, "-----BEGIN PUBLIC KEY-----")
 * in keyfile. Ed25519 keys verify the pure Ed25519 signature of the file
 * (64 bytes, as `openssl pkeyutl -sign -rawin` writes it); EC keys verify
 * an ECDSA signature (DER, as `openssl dgst -sha256 -sign` writes it)
 * over the hash named by hash ("sha256", "sha384" or "sha512"; NULL:
 * sha256). Other key types are refused.
 * Returns 1 verified; 0 the signature does not verify (wrong key, other
 * data, damaged signature); -1 a file or the key could not be read or
 * is not one (e says which). */
int grace_sig_verify_file(const char *file, const char *sigfile,
    const char *keyfile, enum grace_sig_encoding enc, const char *hash,
    struct grace_err *e);

/* ===================================================================== */
/* eval.c, checks.c, contracts.c - the engine's insides. */

enum vkind { VK_JQ, VK_EXEC, VK_DIGEST, VK_SIGNATURE, VK_BASELINE, VK_SCAN,
	VK_CONTRACT };
#define VK_NKINDS (VK_CONTRACT + 1)
/* contracts.c: each kind's name, as the contracts file spells it. */
extern const char *const grace_vkind_names[VK_NKINDS];
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

/* checks.c */
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
/* The text of a slot value (borrowed: in the event or the arena). */
static inline const char *
grace_vsv_text(const struct grace_vevent *v, const struct sval *s)
{
	return s->arena ? v->arena.p + s->off : s->p;
}

/* contracts.c: the type index. The slot of type t[0..n) in the index
 * (its type is NULL when no exact contract names t); whether contract k
 * applies to an event of that type (has: the event has a type). */
struct tindex *grace_vindex_find(const struct grace_contracts *c,
    const char *t, size_t n);
int grace_vtype_matches(const struct contract *k, const char *t, size_t n,
    int has);

#endif
