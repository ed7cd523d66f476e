/* json.h - a fast JSON validator/scanner that finds top-level members of an
 * object without building a jv, and splices members into an object's bytes.
 *
 * The scanner validates RFC 8259 strictly (UTF-8 included: overlong forms,
 * surrogates, NUL and raw control characters are errors) and reports the
 * first problem with its 1-based byte column. Events pass through the
 * toolkit as their original bytes; only what a decision needs is located.
 */
#ifndef GRACE_JSON_H
#define GRACE_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"

#define GRACE_JSON_MAXDEPTH 512

enum grace_jkind {
	GRACE_J_NONE = 0, /* member absent */
	GRACE_J_OBJECT,
	GRACE_J_ARRAY,
	GRACE_J_STRING,
	GRACE_J_NUMBER,
	GRACE_J_TRUE,
	GRACE_J_FALSE,
	GRACE_J_NULL,
};

/* A value inside the scanned bytes: offset and length of its text (for a
 * string, quotes included). kind is GRACE_J_NONE when it was not found. */
struct grace_jspan {
	size_t off;
	size_t len;
	enum grace_jkind kind;
};

/* Validate p[0..n) as exactly one JSON object (surrounding white space
 * allowed) and, for each of the nkeys member names in keys, set found[i]
 * to the span of that top-level member's value (the last one if a name
 * repeats, as jq does; kind GRACE_J_NONE when absent). Keys written with
 * escapes ("gr\u0061ce") match too. Offsets are relative to p.
 * Returns 0, or -1 with e filled: e->file = name, e->line = line,
 * e->col = the 1-based byte column of the problem, e->code = GRACE_EXIT_INPUT.
 * keys/found may be NULL when nkeys is 0. */
int grace_json_scan(const char *p, size_t n, const char *const *keys,
    size_t nkeys, struct grace_jspan *found, const char *name,
    unsigned long line, struct grace_err *e);

/* Member paths to locate at any depth while validating, as a tree: the
 * kids of the root are top-level member names, their kids the members
 * of those members' objects, and so on. name (decoded, len bytes) is
 * compared with each member name decoded; id indexes spans and esc (the
 * root's id is not used). */
struct grace_jtrie {
	char *name;
	size_t len;
	struct grace_jtrie *kids;
	size_t nkids;
	size_t id;
	uint64_t w8;                /* grace_json_word(name, len) */
};

/* The first min(n, 8) bytes of s as one word, s[0] in its low byte, the
 * rest zero: what the scanner compares member names by first. */
uint64_t grace_json_word(const char *s, size_t n);

/* Where grace_json_scan_deep() puts what it finds: for each node of the
 * tree under root, spans[id] is the span of that member path's value
 * and esc[id] is 1 when that value is a string with a backslash. When a
 * member repeats, the last one wins whole: what an earlier one held
 * below it is forgotten, as in jq. A path through a member that is not
 * an object finds nothing below it. Absent: kind GRACE_J_NONE. spans and
 * esc have nspans elements, more than every id. */
struct grace_jdeep {
	const struct grace_jtrie *root;
	struct grace_jspan *spans;
	int *esc;                   /* int, not char: a char store could
	                               alias anything, and make the scanner
	                               read its own state back */
	size_t nspans;
	int arrays;                 /* set when some span it recorded is an
	                               array (spans to look at again) */
};

/* grace_json_scan(), locating the members of deep's tree as well, in
 * the same single pass (deep may be NULL). The same validation, the same
 * answers; deep's spans are meaningful only when it returns 0. */
int grace_json_scan_deep(const char *p, size_t n, const char *const *keys,
    size_t nkeys, struct grace_jspan *found, struct grace_jdeep *deep,
    const char *name, unsigned long line, struct grace_err *e);

/* The top-level names grace_json_scan_keys() looks for, compiled once:
 * keys[] and the kids of a jdeep tree's root in one table, each name
 * with its length and first word, so that a member name is settled by
 * a compare or two rather than by reading it against every name. */
#define GRACE_JKEYS_MAX 32
#define GRACE_JPRED_MEMBERS 16
#define GRACE_JPRED_ROWS 16
struct grace_jkeys {
	const char *const *keys;
	size_t nkeys;
	const struct grace_jtrie *root;
	size_t n;                   /* names in m; 0 with ok unset: none */
	int ok;                     /* the table stands for keys and root */
	unsigned char slot[2 * GRACE_JKEYS_MAX]; /* 1 + index in m, by
	                               grace_jkeys_hash(); 0: empty */
	struct grace_jname {
		uint64_t w8;            /* grace_json_word(name, len) */
		size_t len;
		const char *name;
		size_t ki;              /* index in keys, or nkeys */
		const struct grace_jtrie *kid;  /* root's kid, or NULL */
	} m[GRACE_JKEYS_MAX];
	/* What the last line held at each member position of the top
	 * level and of the tree's objects: the bytes of `"name":` and what
	 * they named. A line of the same shape is read with its names
	 * compared whole, without looking for where each one ends. Set by
	 * the scans themselves; grace_jkeys_init() clears it. */
	struct grace_jrow {
		const struct grace_jtrie *node; /* the level; NULL: top */
		int used;
		struct grace_jpred {
			uint64_t w0, w1, m0, m1; /* the bytes, their masks */
			unsigned char b[16];     /* the bytes again */
			size_t len;         /* 0: nothing predicted */
			size_t ki;
			const struct grace_jtrie *kid;
		} p[GRACE_JPRED_MEMBERS];
	} rows[GRACE_JPRED_ROWS];
};

/* The slot of a name of len bytes whose first word is w8. */
static inline size_t
grace_jkeys_hash(uint64_t w8, size_t len)
{
	return (size_t)(((w8 ^ (uint64_t)len << 59) *
	    0x9E3779B97F4A7C15ull) >> 58) & (2 * GRACE_JKEYS_MAX - 1);
}

/* Compile keys (nkeys) and root (NULL for none) into k. When they are
 * more than GRACE_JKEYS_MAX names, k is left unset (ok = 0) and scans
 * with it take the general way: the same answers. */
void grace_jkeys_init(struct grace_jkeys *k, const char *const *keys,
    size_t nkeys, const struct grace_jtrie *root);

/* grace_json_scan_deep() with the names compiled in k (from the same
 * keys and deep's root): the same answers, faster. */
int grace_json_scan_keys(const char *p, size_t n, struct grace_jkeys *k,
    struct grace_jspan *found, struct grace_jdeep *deep, const char *name,
    unsigned long line, struct grace_err *e);

/* grace_json_scan() with every shortcut off: strings read byte by byte,
 * the plain reference that the block-at-a-time scan is checked against
 * (tests/unit/test_jscan.c, tests/fuzz/fuzz_json.c). The same answers
 * (status, column, message, spans) for every input; slower. */
int grace_json_scan_ref(const char *p, size_t n, const char *const *keys,
    size_t nkeys, struct grace_jspan *found, const char *name,
    unsigned long line, struct grace_err *e);

/* 1 if p[0..n) holds only JSON white space (an empty or blank line). */
int grace_json_blank(const char *p, size_t n);

/* Name of a kind for messages: "object", "array", "string", ... */
const char *grace_json_kind_name(enum grace_jkind k);

/* Append to out the object p[0..n) (already validated by grace_json_scan,
 * and whose top-level member `grace` is at span g, kind GRACE_J_NONE if
 * absent) with grace.<key> set to the JSON text val[0..vlen): inserted into
 * an existing `grace` object (replacing a member of that name) or in a new
 * `grace` member at the end. Everything else is copied byte for byte.
 * Returns 0; -1 with errno ENOMEM; -1 with errno EINVAL when `grace` is
 * present but not an object (out is then left as it was). */
int grace_json_splice_grace(struct grace_buf *out, const char *p, size_t n,
    const struct grace_jspan *g, const char *key, const char *val,
    size_t vlen);

/* grace_json_splice_grace(), also telling where val was written:
 * out->p[*vat .. *vat + vlen) on success. */
int grace_json_splice_grace_at(struct grace_buf *out, const char *p,
    size_t n, const struct grace_jspan *g, const char *key, const char *val,
    size_t vlen, size_t *vat);

/* Decode the JSON string literal at p[0..n) (quotes included, already
 * validated) into out (appended, NUL-terminated, not quoted). \u0000 is
 * kept as a NUL byte. Returns 0 or -1 (ENOMEM). */
int grace_json_unescape(struct grace_buf *out, const char *p, size_t n);

#endif
