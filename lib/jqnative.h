/* jqnative.h - a native evaluator for the jq expressions that make up
 * most contract conditions, straight over an event's JSON bytes, with no
 * jv parse and no jq_start.
 *
 * jq 1.6 parses about 250k small events a second and runs a trivial
 * program at about 150k; a condition such as `.data.error_rate < 0.01`
 * needs neither: it locates one member and compares one number. The
 * subset understood here is
 *
 *   Pipe  := Or ( '|' 'not' )*
 *   Or    := And ( 'or' And )*
 *   And   := Cmp ( 'and' Cmp )*
 *   Cmp   := Term ( ('=='|'!='|'<'|'<='|'>'|'>=') Term )?
 *   Term  := Path | literal | '-' number | '(' Pipe ')'
 *   Path  := '.' | ( '.' name | '."str"' | '.["str"]' )+
 *   literal := number | "string" | true | false | null
 *
 * (jq's own precedence; names are [A-Za-z_][A-Za-z_0-9]*; strings without
 * backslashes). Anything else - functions, `//`, `?`, array indexing,
 * arithmetic, comments - is "not native": grace_jqn_compile() returns
 * NULL and the caller runs libjq. An expression that compiles must give
 * exactly what jq gives (tests/unit/test_jqnative.c compares the two);
 * where the bytes hold something the subset does not handle the same way
 * (a path through a number or an array, which jq reports as an error; a
 * comparison of two arrays or objects; a string with escapes in a
 * comparison) evaluation "bails" and the caller runs libjq for that
 * event.
 *
 * Paths are kept in a trie shared by the expressions of one set, so each
 * object on the way (`.data`) is scanned once per event, for all the
 * members the set needs from it. The top-level members come from the
 * scan the filter loop already made (grace_jqn_paths_bind()).
 *
 * Nesting is capped: an expression with more than GRACE_JQN_MAX_DEPTH
 * parentheses open at once, or whose operators nest deeper than that (a
 * chain of 100 `and`s), is not native, so neither the parser nor the
 * evaluator recurses without bound; libjq takes it, and grace_jq_compile()
 * rejects what is nested too deeply for libjq as well (jqx.h).
 *
 * Compiled paths and expressions are read-only: any number of threads
 * may evaluate them at once, each with its own spans array.
 */
#ifndef GRACE_JQNATIVE_H
#define GRACE_JQNATIVE_H

#include <stddef.h>

#include "json.h"

#define GRACE_JQN_MAX_DEPTH 64

struct grace_jqn_paths;
struct grace_jqn;

/* A new, empty path trie. NULL when out of memory. */
struct grace_jqn_paths *grace_jqn_paths_new(void);
/* Free ps (and nothing else: expressions are freed apart). NULL: no-op. */
void grace_jqn_paths_free(struct grace_jqn_paths *ps);

/* Compile src into an expression whose paths go into ps. Returns NULL
 * when src is outside the subset (or out of memory): not an error, use
 * libjq. src should already be known to compile with libjq. */
struct grace_jqn *grace_jqn_compile(struct grace_jqn_paths *ps,
    const char *src);
void grace_jqn_free(struct grace_jqn *x);

/* The top-level member names the trie needs: *n of them, borrowed. */
const char *const *grace_jqn_paths_top(const struct grace_jqn_paths *ps,
    size_t *n);
/* Say where each top-level name sits in the key list handed to
 * grace_json_scan() (all of them must be there). Returns 0, or -1 if a
 * name is missing. */
int grace_jqn_paths_bind(struct grace_jqn_paths *ps,
    const char *const *keys, size_t nkeys);
/* Number of trie nodes: the size of a spans array. */
size_t grace_jqn_paths_size(const struct grace_jqn_paths *ps);

/* Resolve every path of ps in the event ev[0..n) whose top-level members
 * are at top[] (in the bound key order) into spans[0..size). Returns 0,
 * or 1 when a path runs through a value that is neither an object nor
 * null (jq would raise an error there: evaluate with libjq instead). */
int grace_jqn_resolve(const struct grace_jqn_paths *ps, const char *ev,
    size_t n, const struct grace_jspan *top, struct grace_jspan *spans);

/* A value: a span of JSON text (of the event or of the expression's
 * source) of kind kind; GRACE_J_NONE for a member that is absent (jq's
 * null). Booleans computed by the expression have p = NULL. */
struct grace_jqn_val {
	enum grace_jkind kind;
	const char *p;
	size_t n;
};

/* Evaluate x over the event ev whose paths were resolved into spans.
 * Returns 0 with *v set, or 1 when it bails (use libjq). */
int grace_jqn_eval(const struct grace_jqn *x, const char *ev,
    const struct grace_jspan *spans, struct grace_jqn_val *v);

/* jq's truthiness of v: 0 for null (or absent) and false, else 1. */
int grace_jqn_truthy(const struct grace_jqn_val *v);

#endif
