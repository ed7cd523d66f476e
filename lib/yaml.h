/* yaml.h - YAML configuration files as trees of nodes that keep positions.
 *
 * grace_yaml_load_file() reads one YAML document with libyaml into a tree
 * of struct grace_ynode; the helpers below look members up and convert
 * values, and every error they report reads "file:line:col: message" at
 * the node concerned (struct grace_err, e->code GRACE_EXIT_USAGE), so a
 * config loader can validate a file in a few lines and a typo in a policy
 * never passes silently.
 *
 * What the loader refuses, with an error at the offending position:
 *   - a file over GRACE_YAML_MAX_SIZE bytes (checked before parsing);
 *   - a file with no document at all, empty or only comments: an error
 *     "no YAML document (the file is empty or holds only comments)" with
 *     no line (a config file that says nothing is a mistake; "---" alone
 *     gives a null root instead);
 *   - a second document ("---" after the first);
 *   - anchors (&a) and aliases (*a): no billion laughs, no shared nodes;
 *   - nesting of sequences/mappings deeper than GRACE_YAML_MAX_DEPTH;
 *   - mapping keys that are not scalars, and duplicate keys;
 *   - tags other than "!" and the core schema's !!str !!int !!float !!bool
 *     !!null !!seq !!map, and a core tag whose value does not match it
 *     (`!!int abc`, `!!map [1]`).
 *
 * Plain scalars are typed by the YAML 1.2 core schema (see enum
 * grace_ytype). Quoted and block (| >) scalars are always strings, so
 * `"true"` and `'5'` stay strings.
 */
#ifndef GRACE_YAML_H
#define GRACE_YAML_H

#include <stddef.h>
#include <stdint.h>

#include <jv.h>

#include "err.h"

/* This header shadows libyaml's <yaml.h> on the -Ilib path. lib/yaml.c,
 * the only user of libyaml's API, defines GRACE_YAML_LIBYAML and includes
 * <yaml.h> (found here through -Ilib), and we pull in the system header
 * that comes next on the path. */
#ifdef GRACE_YAML_LIBYAML
#include_next <yaml.h>
#endif

#define GRACE_YAML_MAX_SIZE (16u * 1024 * 1024) /* bytes per file */
#define GRACE_YAML_MAX_DEPTH 64 /* nested sequences/mappings */

enum grace_ykind {
	GRACE_YSCALAR,
	GRACE_YSEQ,
	GRACE_YMAP,
};

/* What a plain scalar means (the YAML 1.2 core schema, narrowed to the
 * spellings a careful config writer uses):
 *   null   "" (nothing), "~", "null"           (or tagged !!null)
 *   bool   "true", "false" only: True, yes, on... are strings
 *   int    [-+]?[0-9]+, 0o[0-7]+, 0x[0-9a-fA-F]+
 *   float  [-+]?(.[0-9]+|[0-9]+(.[0-9]*)?)([eE][-+]?[0-9]+)?
 *   str    everything else, every quoted or block scalar, and !!str.
 * .inf, .nan and floats that overflow a double (1e999) are left as
 * strings: JSON cannot carry them. The non-specific tag "!" makes a
 * string. */
enum grace_ytype {
	GRACE_YT_STR,
	GRACE_YT_NULL,
	GRACE_YT_BOOL,
	GRACE_YT_INT,
	GRACE_YT_FLOAT,
};

struct grace_ynode;

struct grace_ypair {
	struct grace_ynode *key;   /* always a scalar */
	struct grace_ynode *value;
};

/* One node. All memory belongs to the root returned by the loader. */
struct grace_ynode {
	enum grace_ykind kind;
	const char *file;    /* file name given to the loader (shared) */
	unsigned long line;  /* 1-based position of the node's first char */
	unsigned long col;   /* 1-based, in characters */
	char *tag;           /* as libyaml resolved it ("!",
	                        "tag:yaml.org,2002:str" for !!str), or NULL */
	/* scalars */
	char *str;           /* the value, NUL-terminated (it may also hold
	                        NULs: len is the truth) */
	size_t len;
	int quoted;          /* 1 for '...', "...", | and > styles: anything
	                        but plain; such a scalar is a string */
	enum grace_ytype type; /* GRACE_YT_STR for non-scalars */
	/* sequences: items[0..n); mappings: pairs[0..n), in file order */
	size_t n;
	struct grace_ynode **items;
	struct grace_ypair *pairs;
	char *owned_file_;   /* private: set on the root only */
};

/* Load the YAML file at path (a regular file, or any stream: it is read
 * up to the size cap). Returns the root node (free it with
 * grace_yaml_free()), or NULL with e filled: file:line:col and libyaml's
 * message for syntax errors ("did not find expected ',' or ']' (while
 * parsing a flow sequence at line 1, column 4)"), or the refusals listed
 * above, with e->code GRACE_EXIT_USAGE; "cannot open: <strerror>",
 * "cannot read: <strerror>" or "out of memory" with GRACE_EXIT_SYSTEM. */
struct grace_ynode *grace_yaml_load_file(const char *path,
    struct grace_err *e);

/* Like grace_yaml_load_file() on the len bytes at buf (need not be
 * NUL-terminated); name is used as the file name in nodes and errors. */
struct grace_ynode *grace_yaml_load_string(const char *name, const char *buf,
    size_t len, struct grace_err *e);

/* Free a tree returned by a loader. Only roots may be freed; NULL is a
 * no-op.
 *
 * The functions below borrow their nodes and never keep them; a node
 * argument must not be NULL unless its comment says it may. */
void grace_yaml_free(struct grace_ynode *root);

/* What n is, for messages: "a mapping", "a sequence", "null", "a boolean",
 * "an integer", "a number" (float) or "a string". */
const char *grace_yaml_describe(const struct grace_ynode *n);

/* A configuration error at node n (NULL: no position): e is filled at
 * n's file:line:col with the message, control bytes escaped, and code
 * GRACE_EXIT_USAGE. Returns -1. Every loader reports through this. */
int grace_yaml_err(struct grace_err *e, const struct grace_ynode *n,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Check that n is of kind k. Returns 0, or -1 with e filled at n as
 * "expected a mapping, got a sequence" / "..., got 'text'" for scalars. */
int grace_yaml_expect(const struct grace_ynode *n, enum grace_ykind k,
    struct grace_err *e);

/* The value of key in mapping map (borrowed), or NULL if there is no such
 * key or map is not a mapping. */
const struct grace_ynode *grace_yaml_get(const struct grace_ynode *map,
    const char *key);

/* Like grace_yaml_get() but a missing key is an error: returns NULL with
 * e filled at map as "missing required key 'effect'" (or the
 * grace_yaml_expect() error if map is not a mapping). */
const struct grace_ynode *grace_yaml_require(const struct grace_ynode *map,
    const char *key, struct grace_err *e);

/* Check that map is a mapping whose keys are all in allowed (a
 * NULL-terminated array). Returns 0, or -1 with e filled at the first
 * offending key as "unknown key 'whenn' (expected one of: when, effect)". */
int grace_yaml_check_keys(const struct grace_ynode *map,
    const char *const *allowed, struct grace_err *e);

/* Converters: each returns 0 with *out set, or -1 with e filled at n as
 * "expected <what>, got <what n is>", e.g. "expected a boolean (true or
 * false), got 'maybe'", "expected an integer, got '12' (quoted, so a
 * string)", "expected a string, got a mapping", "expected a string, got
 * an empty value". Values are cut after 48 bytes, control bytes escaped.
 * They never modify *out on error. */

/* A scalar's text (borrowed, lives as long as the tree). Accepts any
 * scalar that is not null (a plain 5 or true gives "5" or "true");
 * refuses text with a NUL byte. */
int grace_yaml_as_string(const struct grace_ynode *n, const char **out,
    struct grace_err *e);
/* Plain true or false, nothing else; *out is 1 or 0. */
int grace_yaml_as_bool(const struct grace_ynode *n, int *out,
    struct grace_err *e);
/* Any int or float scalar (the whole text must parse). */
int grace_yaml_as_number(const struct grace_ynode *n, double *out,
    struct grace_err *e);
/* An int scalar that fits in int64_t ("expected an integer, got '1.5'",
 * "integer '99999999999999999999' out of range"). */
int grace_yaml_as_int(const struct grace_ynode *n, int64_t *out,
    struct grace_err *e);
/* A scalar string or a sequence of them ("[]" gives none). *out is a
 * malloc'd array of *count borrowed strings plus a NULL; the caller
 * free()s the array only. Elements are checked as by as_string, errors at
 * the element. */
int grace_yaml_as_strlist(const struct grace_ynode *n, const char ***out,
    size_t *count, struct grace_err *e);
/* A duration scalar such as "30s" or "1h30m" (grace_duration_parse()),
 * in milliseconds; its errors are placed at n. */
int grace_yaml_as_duration(const struct grace_ynode *n, int64_t *ms,
    struct grace_err *e);

/* Member getters: look key up in map and convert it. Each returns 1 with
 * *out set, 0 if map has no such key or map is NULL (*out untouched:
 * preset the default), -1 with e filled (map not a mapping, or the
 * value's conversion error). */
int grace_yaml_get_string(const struct grace_ynode *map, const char *key,
    const char **out, struct grace_err *e);
int grace_yaml_get_bool(const struct grace_ynode *map, const char *key,
    int *out, struct grace_err *e);
int grace_yaml_get_number(const struct grace_ynode *map, const char *key,
    double *out, struct grace_err *e);
int grace_yaml_get_int(const struct grace_ynode *map, const char *key,
    int64_t *out, struct grace_err *e);
int grace_yaml_get_strlist(const struct grace_ynode *map, const char *key,
    const char ***out, size_t *count, struct grace_err *e);
int grace_yaml_get_duration(const struct grace_ynode *map, const char *key,
    int64_t *ms, struct grace_err *e);

/* Convert n (borrowed) to a new jv (the caller owns it): mappings to
 * objects (in file order), sequences to arrays, scalars by their type:
 * null, true/false, numbers (0x/0o ints included), strings. Integers
 * beyond +-2^53, which a double cannot hold exactly (jq 1.6 would round
 * them), stay strings with their text. libjq aborts when out of memory,
 * so the result is always valid. */
jv grace_yaml_to_jv(const struct grace_ynode *n);

#endif
