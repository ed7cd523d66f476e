/* test_prefilter.c - the literal prefilters never skip a rule that would
 * match. Checked three ways:
 *  - the characters lib/rxlit.c treats as fold-risky in case-insensitive
 *    patterns are exactly those Oniguruma's own case-fold tables relate to
 *    a non-ASCII character or a multi-character fold;
 *  - one regression case per bug the old reader had (ASCII-only case
 *    folding, (?x), x{2}{2}, a quantifier after a multi-byte character,
 *    \s{ swallowing an alternation);
 *  - a differential run over a large generated and mutated corpus: every
 *    shipped threat and scan rule plus adversarial patterns, on texts
 *    expanded from the patterns and mutated (case, Unicode folds, escapes,
 *    invalid bytes): the prefilters' "may match" sets contain every rule
 *    that really matches, the pattern engine's verdicts are the same with
 *    and without its prefilter, and grace-gate's verdicts on the shipped
 *    governance are the same with and without its prefilter, on events
 *    that spell the texts with JSON escapes.
 * It also checks lib/jtext.c (strings decoded in place) against jq, and
 * that scanning text that is not valid UTF-8 reports spans inside it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jq.h>
#include <oniguruma.h>

#include "gate/gate_int.h"
#include "jtext.h"
#include "rxlit.h"
#include "yaml.h"
#include "t.h"

static unsigned long long rng = 0x9e3779b97f4a7c15ull;

static unsigned
rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return n ? (unsigned)(rng % n) : 0;
}

/* ------------------------------------------------------------ fold set */

static int
enc_utf8(unsigned cp, unsigned char *u)
{
	if (cp < 0x80) {
		u[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		u[0] = (unsigned char)(0xC0 | cp >> 6);
		u[1] = (unsigned char)(0x80 | (cp & 63));
		return 2;
	}
	if (cp < 0x10000) {
		u[0] = (unsigned char)(0xE0 | cp >> 12);
		u[1] = (unsigned char)(0x80 | (cp >> 6 & 63));
		u[2] = (unsigned char)(0x80 | (cp & 63));
		return 3;
	}
	u[0] = (unsigned char)(0xF0 | cp >> 18);
	u[1] = (unsigned char)(0x80 | (cp >> 12 & 63));
	u[2] = (unsigned char)(0x80 | (cp >> 6 & 63));
	u[3] = (unsigned char)(0x80 | (cp & 63));
	return 4;
}

static void
test_fold_set(void)
{
	OnigEncoding enc = ONIG_ENCODING_UTF8;
	OnigCaseFoldCodeItem it[ONIGENC_GET_CASE_FOLD_CODES_MAX_NUM];
	int r1[128] = {0}, r2[128] = {0}, r3[128] = {0}, c, bad = 0;
	unsigned cp, a, b;
	size_t nfold = 0;

	/* A non-ASCII character whose folds hold ASCII characters: only
	 * ASCII ones (U+017F = s, U+00DF = ss: the table of
	 * grace_rxlit_ascii_fold()) or with a non-ASCII one (r2: U+0149 =
	 * U+02BC n). */
	for (cp = 0x80; cp < 0x110000; cp++) {
		unsigned char u[4];
		int n, k, i, j, ascii, have = 0;
		const char *want = grace_rxlit_ascii_fold(cp);

		if (cp >= 0xD800 && cp < 0xE000)
			continue;
		n = enc_utf8(cp, u);
		k = ONIGENC_GET_CASE_FOLD_CODES_BY_STR(enc,
		    ONIGENC_CASE_FOLD_DEFAULT, u, u + n, it);
		for (i = 0; i < k; i++) {
			char low[8];

			ascii = 1;
			for (j = 0; j < it[i].code_len; j++)
				if (it[i].code[j] >= 128)
					ascii = 0;
			if (!ascii) {
				for (j = 0; j < it[i].code_len; j++)
					if (it[i].code[j] < 128)
						r2[it[i].code[j]] = 1;
				continue;
			}
			for (j = 0; j < it[i].code_len && j < 7; j++) {
				low[j] = (char)(it[i].code[j] | 0x20);
				r1[it[i].code[j]] = 1;
			}
			low[j] = '\0';
			have = 1;
			if (!want || strcmp(want, low) != 0) {
				printf("# U+%04X folds to %s, rxlit says %s\n", cp,
				    low, want ? want : "nothing");
				bad++;
			}
		}
		if (want && !have) {
			printf("# U+%04X: rxlit folds it to %s, Oniguruma does "
			    "not\n", cp, want);
			bad++;
		}
		nfold += have;
	}
	T_OK(bad == 0 && nfold == 11, "the characters that fold to ASCII "
	    "only are those of Oniguruma's case-fold tables (%zu)", nfold);
	/* An ASCII string of up to three characters whose folds hold a
	 * non-ASCII character (r3): its characters are among those folds. */
	for (a = 1; a < 128; a++)
		for (b = 0; b < 128; b++) {
			unsigned char s[3] = { (unsigned char)a,
			    (unsigned char)b, 0 };
			unsigned x;

			for (x = 0; x < (b ? 128u : 1u); x++) {
				int k, i, j, non;
				size_t len = b ? (x ? 3 : 2) : 1;

				s[2] = (unsigned char)x;
				k = ONIGENC_GET_CASE_FOLD_CODES_BY_STR(enc,
				    ONIGENC_CASE_FOLD_DEFAULT, s, s + len, it);
				for (i = 0; i < k; i++) {
					non = 0;
					for (j = 0; j < it[i].code_len; j++)
						if (it[i].code[j] >= 128)
							non = 1;
					if (non)
						for (j = 0; j < it[i].byte_len; j++)
							r3[s[j]] = 1;
				}
			}
		}
	bad = 0;
	for (c = 1; c < 128; c++)
		if (r2[c] != grace_rxlit_fold_risky_mixed(c) ||
		    (r3[c] && !r1[c])) {
			printf("# %c (%d): Oniguruma %d %d %d, rxlit %d\n", c, c,
			    r1[c], r2[c], r3[c], grace_rxlit_fold_risky_mixed(c));
			bad++;
		}
	T_INTEQ(bad, 0, "the ASCII halves of mixed folds are those of "
	    "Oniguruma's case-fold tables");
}

/* ---------------------------------------------------------- the engine */

struct set {
	struct grace_patterns *on, *off;   /* prefilter on, off */
	struct gov_pf *pf;
	size_t n;
};

static int
set_add(struct set *s, const char *pat, int icase)
{
	struct grace_err e;
	char id[32];

	snprintf(id, sizeof id, "r%zu", s->n);
	if (grace_patterns_add(s->on, id, pat, icase, GRACE_SEV_HIGH, "", "t",
	    1, 1, &e) < 0)
		return -1;   /* does not compile: not a rule */
	if (grace_patterns_add(s->off, id, pat, icase, GRACE_SEV_HIGH, "", "t",
	    1, 1, &e) < 0) {
		printf("# %s compiles once only\n", pat);
		exit(1);
	}
	s->n++;
	return 0;
}

static void
set_init(struct set *s)
{
	memset(s, 0, sizeof *s);
	s->on = grace_patterns_new();
	s->off = grace_patterns_new();
	if (!s->on || !s->off)
		exit(4);
	grace_patterns_set_prefilter(s->off, 0);
}

static void
set_free(struct set *s)
{
	gov_pf_free(s->pf);
	grace_patterns_free(s->on);
	grace_patterns_free(s->off);
}

/* Which rules match t[0..n) (m[i] = 1), one scan over all of them. */
static void
verdicts(struct grace_patterns *ps, size_t np, const char *t, size_t n,
    unsigned char *m)
{
	struct grace_pattern_match *pm = calloc(np + 1, sizeof *pm);
	struct grace_err e;
	size_t nout = 0, i;

	if (!pm || grace_patterns_scan(ps, t, n, NULL, 0, pm, np, &nout,
	    &e) < 0) {
		printf("# scan failed\n");
		exit(1);
	}
	memset(m, 0, np);
	for (i = 0; i < nout && i < np; i++)
		m[pm[i].rule] = 1;
	free(pm);
}

struct tally {
	size_t texts, matches, skipped, misses, differ;
};

/* Compare, on one text, the truth (every rule run) with the prefilters. */
static void
check_text(struct set *s, const char *t, size_t n, struct tally *ty)
{
	unsigned char *truth = malloc(s->n + 1), *on = malloc(s->n + 1);
	unsigned char *only = malloc(s->n + 1);
	size_t i;

	if (!truth || !on || !only)
		exit(4);
	verdicts(s->off, s->n, t, n, truth);
	verdicts(s->on, s->n, t, n, on);
	memset(only, 1, s->n);
	gov_pf_filter(s->pf, t, n, only);
	ty->texts++;
	for (i = 0; i < s->n; i++) {
		const struct grace_pattern_rule *r = grace_patterns_rule(s->off, i);

		ty->matches += truth[i];
		ty->skipped += !only[i];
		if (truth[i] && !only[i] && ty->misses++ < 8)
			printf("# gov_pf skips /%s/%s on '%.*s'\n", r->pattern,
			    r->ignore_case ? "i" : "", (int)n, t);
		if (truth[i] != on[i] && ty->differ++ < 8)
			printf("# /%s/%s: %d with every rule run, %d with the "
			    "prefilter, on '%.*s'\n", r->pattern, r->ignore_case ?
			    "i" : "", truth[i], on[i], (int)n, t);
	}
	free(truth);
	free(on);
	free(only);
}

/* --------------------------------------------------------- regressions */

static const struct {
	const char *pat;
	int icase;
	const char *text;
	const char *what;
} regress[] = {
	{ "select", 1, "\xC5\xBF" "elect", "ignore_case: U+017F folds to s" },
	{ "(?i)select", 0, "\xC5\xBF" "ELECT", "(?i): U+017F folds to s" },
	{ "token", 1, "to\xE2\x84\xAA" "en", "ignore_case: U+212A (Kelvin) is k" },
	{ "(?i:kelvin)", 0, "\xE2\x84\xAA" "elvin", "(?i:): the Kelvin sign" },
	{ "fix", 1, "\xEF\xAC\x81" "x", "ignore_case: U+FB01 is fi" },
	{ "strasse", 1, "stra\xC3\x9F" "e", "ignore_case: U+00DF is ss" },
	{ "x\xCA\xBCnb", 1, "x\xC5\x89" "b", "ignore_case: U+0149 is U+02BC n" },
	{ "x\\x{2BC}nb", 1, "X\xC5\x89" "B", "ignore_case: U+0149 is \\x{2BC}n" },
	{ "ai\xCC\x87" "b", 1, "A\xC4\xB0" "b", "ignore_case: U+0130 is i U+0307" },
	{ "(?x) a b c", 0, "abc", "(?x): white space is not literal" },
	{ "(?x:d e)f", 0, "def", "(?x:...): white space is not literal" },
	{ "x{2}{2}yz", 0, "xxxxyz", "x{2}{2} is a quantifier, not a literal" },
	{ "ab{1}{0}cd", 0, "acd", "b{1}{0}: zero b" },
	{ "caf\xC3\xA9*s", 0, "cafs", "a quantifier applies to the whole U+00E9" },
	{ "na\xC3\xAF?ve", 0, "nave", "? after a two-byte character" },
	{ "\\s{foo|bar}baz", 0, " {foo", "\\s{ does not swallow the alternation" },
	{ "\\d{x|y}z", 0, "1{x", "\\d{ does not swallow the alternation" },
	{ "\\s{2}foo|bar}baz", 0, "  foo", "\\s{2} is an interval" },
	{ "x\xEF\xBF\xBD" "y", 0, "x\xFFy", "U+FFFD matches an ill-formed byte" },
	{ "a{,3}bc", 0, "a{,3}bc", "{,n} is literal in Perl syntax, and not read" },
};

static void
test_regressions(void)
{
	size_t i;

	for (i = 0; i < sizeof regress / sizeof *regress; i++) {
		struct set s;
		unsigned char truth[2], on[2], only[2] = { 1, 1 };

		set_init(&s);
		if (set_add(&s, regress[i].pat, regress[i].icase) < 0 ||
		    !(s.pf = gov_pf_build(s.on))) {
			T_OK(0, "%s: /%s/ compiles", regress[i].what,
			    regress[i].pat);
			set_free(&s);
			continue;
		}
		verdicts(s.off, 1, regress[i].text, strlen(regress[i].text),
		    truth);
		verdicts(s.on, 1, regress[i].text, strlen(regress[i].text), on);
		gov_pf_filter(s.pf, regress[i].text, strlen(regress[i].text),
		    only);
		T_OK(truth[0] && on[0] && only[0], "%s: /%s/%s matches '%s' "
		    "(Oniguruma %d, pattern prefilter %d, gate prefilter %d)",
		    regress[i].what, regress[i].pat, regress[i].icase ? "i" : "",
		    regress[i].text, truth[0], on[0], only[0]);
		set_free(&s);
	}
}

/* ------------------------------------------------------------- corpus */

static const char *const adversarial[] = {
	"select", "(?i)select", "(?i)token", "(?i:kelvin)x", "(?i)fix|strasse",
	"(?i)ok", "(?i)(union|insert)\\s+into", "(?i)\\bshell\\b",
	"(?x) a b c", "(?x:d e)f", "a(?x) b c", "(?sx)g h",
	"x{2}{2}yz", "ab{1}{0}cd", "q{1}{3}rs", "z{2}+w", "k{2}?kk", "m{1,2}{2}n",
	"caf\xC3\xA9*s", "na\xC3\xAF?ve", "\xE6\x97\xA5\xE6\x9C\xAC+\xE8\xAA\x9E",
	"\xC3\xA9" "{0}abc", "(?i)\xC3\x89" "cole", "\xC3\x9F" "ab",
	"\\s{2}foo|bar}baz", "\\d{1}ab|cd}ef", "\\s{foo|bar}baz", "\\d{x|y}z",
	"\\w{2}zz|yy}", "a{,3}bc",
	"ab{,2}", "x\\{2\\}", "{lit}", "p{", "(ab){0}cd", "(?:ab|)cd",
	"(?=ab)abc", "(?<!x)yz", "(?>ab|a)c", "(?#c)de", "d(?#c)*e",
	"\\Qa.b\\E", "\\x41BC", "\\u0041BC", "\\M-xab", "\\C-xab",
	"(?<n>ab)\\k<n>", "(a)\\1bc", "\\Kab", "a|b|cd", "(a|bc)(d|ef)",
	"[abc]de", "[]x]yz", "[^]x]yz", "[[:alpha:]]12", "[a-z&&[^aeiou]]xy",
	"\\bAKIA[0-9A-Z]{4}\\b", "\\.\\./\\.\\./", "\\$\\{x\\}", "\\<ab\\>",
	"a\\Rb", "\\Xab", "(?i)\\p{Lu}ab", "(?m)^ab$", "(?s)a.b", "(?i-m)ab",
	"ab(?i)cd", "(?i)(?-i)AB", "ff", "(?i)ffi", "(?i)st", "(?i)\xC5\xBF",
	"(?i)x\xCA\xBC" "nb", "(?i)x\\x{2BC}nb", "(?i)ai\xCC\x87" "b",
	"(?i)j\xCC\x8Cy",
	"(?i)union\\s+select", "(?i)wanton", "(?i)\\p{Lm}nab",
};

static const char *const subst[][2] = {
	{ "s", "\xC5\xBF" }, { "S", "\xC5\xBF" }, { "k", "\xE2\x84\xAA" },
	{ "K", "\xE2\x84\xAA" }, { "ss", "\xC3\x9F" }, { "fi", "\xEF\xAC\x81" },
	{ "ff", "\xEF\xAC\x80" }, { "fl", "\xEF\xAC\x82" },
	{ "st", "\xEF\xAC\x86" }, { "i", "\xC4\xB0" }, { "e", "\xC3\xA9" },
	{ "\xCA\xBCn", "\xC5\x89" }, { "i\xCC\x87", "\xC4\xB0" },
	{ "j\xCC\x8C", "\xC7\xB0" }, { "n", "\xC5\x89" }, { "a", "\xE1\xBA\x9A" },
	{ " ", "\t" }, { " ", "\n" }, { " ", "  " }, { "\xC3\xA9", "e" },
	{ "a", "A" }, { "E", "e" },
};

/* Append to t (at most cap bytes) a string that roughly matches the
 * pattern p: literals copied, classes and escapes sampled, quantifiers
 * repeated 0..3 times, one branch of each alternation. Wrong guesses are
 * fine: Oniguruma is the judge, this only makes matches frequent. */
static size_t
expand(const char *p, char *t, size_t n, size_t cap)
{
	const char *q = p;
	size_t depth = 0, base = n;

	while (*q && n + 8 < cap) {
		size_t start = n, reps = 1, j;

		if (*q == '|') {
			/* skip the rest of this branch level half the time */
			if (rnd(2))
				break;
			q++;
			n = base;
			continue;
		}
		if (*q == '(') {
			q++;
			if (*q == '?') {
				while (*q && *q != ':' && *q != ')' && *q != '>' &&
				    *q != '=')
					q++;
				if (*q)
					q++;
			}
			depth++;
			continue;
		}
		if (*q == ')') {
			if (depth)
				depth--;
			q++;
			continue;
		}
		if (*q == '\\' && q[1]) {
			char d = q[1];

			q += 2;
			if (d == 's')
				t[n++] = " \t\n"[rnd(3)];
			else if (d == 'd')
				t[n++] = (char)('0' + rnd(10));
			else if (d == 'w')
				t[n++] = "aZ_9s"[rnd(5)];
			else if (d == 'b' || d == 'B')
				;
			else if (strchr("pPx", d) && *q == '{') {
				while (*q && *q != '}')
					q++;
				if (*q)
					q++;
				t[n++] = 'A';
			} else
				t[n++] = d;
		} else if (*q == '[') {
			q++;
			if (*q == '^') {
				q++;
				t[n++] = '#';
			} else if (*q && *q != ']') {
				t[n++] = *q;
			}
			while (*q && *q != ']')
				q++;
			if (*q)
				q++;
		} else if (*q == '.') {
			t[n++] = "x.\n"[rnd(3)];
			q++;
		} else if (*q == '^' || *q == '$') {
			q++;
		} else {
			t[n++] = *q++;
		}
		if (*q == '*' || *q == '+' || *q == '?' || *q == '{') {
			size_t lo = *q == '+' ? 1 : 0, hi = *q == '?' ? 1 : 3;

			if (*q == '{') {
				lo = (size_t)strtoul(q + 1, NULL, 10);
				hi = lo + 2;
				while (*q && *q != '}')
					q++;
			}
			if (*q)
				q++;
			if (*q == '?' || *q == '+')
				q++;
			reps = lo + rnd((unsigned)(hi - lo + 1));
			if (reps > 40)
				reps = 40;
			if (reps == 0)
				n = start;
			{
				size_t w = n - start;

				for (j = 1; j < reps && n + w + 8 < cap; j++) {
					memmove(t + n, t + start, w);
					n += w;
				}
			}
		}
	}
	return n;
}

/* Mutate t[0..n) in place (cap bytes): case flips, Unicode folds, white
 * space, insertions, invalid bytes. */
static size_t
mutate(char *t, size_t n, size_t cap)
{
	unsigned k, rounds = rnd(4);

	for (k = 0; k < rounds; k++) {
		unsigned op = rnd(6);
		size_t at = n ? rnd((unsigned)n) : 0;

		if (op == 0 && n) {
			/* flip the case of a run */
			size_t j, len = 1 + rnd(8);

			for (j = at; j < n && j < at + len; j++)
				if ((t[j] | 32) >= 'a' && (t[j] | 32) <= 'z')
					t[j] ^= 32;
		} else if (op <= 2) {
			/* a fold or white-space substitution */
			size_t si = rnd(sizeof subst / sizeof *subst), j;
			size_t fl = strlen(subst[si][0]), tl = strlen(subst[si][1]);

			for (j = at; j + fl <= n; j++)
				if (memcmp(t + j, subst[si][0], fl) == 0)
					break;
			if (j + fl <= n && n - fl + tl < cap) {
				memmove(t + j + tl, t + j + fl, n - j - fl);
				memcpy(t + j, subst[si][1], tl);
				n = n - fl + tl;
			}
		} else if (op == 3 && n + 1 < cap) {
			static const char ins[] = " ;|&`$(\"'\\/-_.:=\n\t{}";

			memmove(t + at + 1, t + at, n - at);
			t[at] = ins[rnd(sizeof ins - 1)];
			n++;
		} else if (op == 4 && n + 1 < cap) {
			static const unsigned char bad[] = { 0x80, 0xC3, 0xFF,
			    0xE2, 0xED, 0xF4, 0xC0 };

			memmove(t + at + 1, t + at, n - at);
			t[at] = (char)bad[rnd(sizeof bad)];
			n++;
		} else if (op == 5 && n) {
			memmove(t + at, t + at + 1, n - at - 1);
			n--;
		}
	}
	return n;
}

/* The rules of a YAML list (key list in file path, each a mapping with
 * pattern and ignore_case), added to s. Returns how many, or -1. */
static long
load_rules(struct set *s, const char *path, const char *list)
{
	struct grace_err e;
	struct grace_ynode *root = grace_yaml_load_file(path, &e);
	const struct grace_ynode *l;
	long k = 0;
	size_t i;

	if (!root) {
		printf("# %s: %s\n", path, e.msg);
		return -1;
	}
	if (!(l = grace_yaml_get(root, list)) || l->kind != GRACE_YSEQ) {
		grace_yaml_free(root);
		return -1;
	}
	for (i = 0; i < l->n; i++) {
		const struct grace_ynode *p = grace_yaml_get(l->items[i], "pattern");
		const struct grace_ynode *ic = grace_yaml_get(l->items[i],
		    "ignore_case");

		if (!p)
			continue;
		if (set_add(s, p->str, ic && strcmp(ic->str, "true") == 0) < 0) {
			printf("# %s: %s does not compile\n", path, p->str);
			grace_yaml_free(root);
			return -1;
		}
		k++;
	}
	grace_yaml_free(root);
	return k;
}

static const char *root_dir;

static char *
rooted(const char *rel)
{
	static char buf[4096];

	snprintf(buf, sizeof buf, "%s%s", root_dir, rel);
	return buf;
}

static void
find_root(void)
{
	static const char *const up[] = { "", "../", "../../", "../../../" };
	size_t i;

	for (i = 0; i < sizeof up / sizeof *up; i++) {
		char p[64];
		FILE *f;

		snprintf(p, sizeof p, "%sconfig/governance.yaml", up[i]);
		if ((f = fopen(p, "r"))) {
			fclose(f);
			root_dir = up[i];
			return;
		}
	}
	printf("# config/governance.yaml not found from here\n");
	exit(1);
}

/* JSON-encode t[0..n) as a string literal, spelling characters with a
 * random choice of escapes (only the needed ones when plain); invalid
 * UTF-8 bytes are left out. */
static void
json_spell(struct grace_buf *b, const char *t, size_t n, int plain)
{
	size_t i = 0;

	grace_buf_add(b, "\"", 1);
	while (i < n) {
		unsigned char c = (unsigned char)t[i];
		size_t l = grace_utf8_seqlen((const unsigned char *)t + i, n - i);
		unsigned form = plain ? 3 : rnd(4);

		if (!l) {
			i++;
			continue;
		}
		if (l > 1) {
			unsigned cp = l == 2 ? (c & 0x1Fu) << 6 | (t[i + 1] & 0x3F) :
			    l == 3 ? (c & 0x0Fu) << 12 | (t[i + 1] & 0x3Fu) << 6 |
			    (t[i + 2] & 0x3F) : (c & 0x07u) << 18 |
			    (t[i + 1] & 0x3Fu) << 12 | (t[i + 2] & 0x3Fu) << 6 |
			    (t[i + 3] & 0x3F);

			if (form == 0 && cp >= 0x10000) {
				cp -= 0x10000;
				grace_buf_addf(b, "\\u%04x\\u%04X", 0xD800 + (cp >> 10),
				    0xDC00 + (cp & 0x3FF));
			} else if (form == 0) {
				grace_buf_addf(b, "\\u%04x", cp);
			} else {
				grace_buf_add(b, t + i, l);
			}
			i += l;
			continue;
		}
		if (c == '"' || c == '\\')
			grace_buf_addf(b, form == 0 ? "\\u%04x" : "\\%c", c);
		else if (c == '/' && form < 2)
			grace_buf_adds(b, form ? "\\/" : "\\u002F");
		else if (c == '\n' || c == '\t' || c == '\r' || c < 0x20)
			grace_buf_addf(b, form == 0 || !strchr("\n\t\r", c) ?
			    "\\u%04x" : c == '\n' ? "\\n" : c == '\t' ? "\\t" :
			    "\\r", c);
		else if (form == 0)
			grace_buf_addf(b, "\\u%04X", c);
		else
			grace_buf_add(b, t + i, 1);
		i++;
	}
	grace_buf_add(b, "\"", 1);
}

static void
test_corpus(void)
{
	struct set s;
	struct tally ty = {0};
	struct grace_err e;
	struct grace_gov *g;
	struct grace_gov_verdict v1, v2;
	struct grace_gov_opts o1 = {0}, o2 = {0};
	size_t i, k, nshipped, gdiff = 0, gn = 0, gthreat = 0;
	size_t nplain = 0, identity_bad = 0;
	int plain;
	long a, b;
	char t[1024];

	set_init(&s);
	a = load_rules(&s, rooted("config/governance.yaml"), "threats");
	b = load_rules(&s, rooted("config/scan-rules.yaml"), "rules");
	T_OK(a == 6 && b > 20, "the shipped rules load (%ld threat rules, %ld "
	    "scan rules)", a, b);
	nshipped = s.n;
	for (i = 0; i < sizeof adversarial / sizeof *adversarial; i++) {
		set_add(&s, adversarial[i], 0);
		set_add(&s, adversarial[i], 1);
	}
	T_OK(s.n > nshipped + 100, "%zu adversarial rules compile",
	    s.n - nshipped);
	if (!(s.pf = gov_pf_build(s.on))) {
		T_OK(0, "the prefilter builds");
		set_free(&s);
		return;
	}
	if (!(g = grace_gov_load(rooted("config/governance.yaml"), NULL, &e))) {
		printf("# %s\n", e.msg);
		T_OK(0, "the shipped governance loads");
		set_free(&s);
		return;
	}
	grace_gov_verdict_init(&v1);
	grace_gov_verdict_init(&v2);
	o1.now_ms = o2.now_ms = 1795262400000LL;
	o2.no_prefilter = 1;
	for (k = 0; k < (size_t)t_scaled(12000); k++) {
		size_t n = 0, parts = 1 + rnd(3), j;

		for (j = 0; j < parts && n + 16 < sizeof t; j++) {
			/* half of them from the shipped governance threats,
			 * which the gate below judges */
			const struct grace_pattern_rule *r =
			    grace_patterns_rule(s.off, rnd(2) ? rnd((unsigned)a) :
			    rnd((unsigned)s.n));

			if (rnd(4) == 0)
				t[n++] = " ;\n"[rnd(3)];
			n = expand(r->pattern, t, n, sizeof t);
		}
		n = mutate(t, n, sizeof t);
		check_text(&s, t, n, &ty);
		/* The same text in an event, spelled with escapes. */
		{
			struct grace_buf ev = {0};

			grace_buf_adds(&ev, "{\"id\":\"c\",\"type\":\"healing."
			    "proposed\",\"actor\":\"avn\",\"data\":{\"action\":"
			    "\"restart\",\"v\":");
			plain = rnd(4) == 0;
			json_spell(&ev, t, n, plain);
			grace_buf_adds(&ev, "},\"note\":");
			json_spell(&ev, t, n, plain);
			grace_buf_adds(&ev, "}");
			if (grace_json_scan(ev.p, ev.len, NULL, 0, NULL, "t", 1,
			    &e) < 0) {
				printf("# bad event %s: %s\n", ev.p, e.msg);
				exit(1);
			}
			/* the fast path: without a backslash, decoding is the
			 * identity */
			if (!memchr(ev.p, '\\', ev.len)) {
				struct grace_buf d = {0};

				nplain++;
				if (grace_jtext_decode(&d, ev.p, ev.len) < 0 ||
				    d.len != ev.len || memcmp(d.p, ev.p, ev.len))
					identity_bad++;
				grace_buf_free(&d);
			}
			if (grace_gov_judge(g, &o1, ev.p, ev.len, &v1, &e) < 0 ||
			    grace_gov_judge(g, &o2, ev.p, ev.len, &v2, &e) < 0) {
				printf("# judge: %s\n", e.msg);
				exit(1);
			}
			gn++;
			if (v2.rules.p && (strstr(v2.rules.p, "injection") ||
			    strstr(v2.rules.p, "-key") ||
			    strstr(v2.rules.p, "token") ||
			    strstr(v2.rules.p, "traversal")))
				gthreat++;
			if ((v1.json.len != v2.json.len || memcmp(v1.json.p,
			    v2.json.p, v1.json.len) != 0) && gdiff++ < 5)
				printf("# gate differs on %s:\n#  %s\n#  %s\n", ev.p,
				    v1.json.p, v2.json.p);
			grace_buf_free(&ev);
		}
	}
	printf("# %zu texts, %zu rules, %zu matches, %zu rule runs skipped by "
	    "the prefilter\n", ty.texts, s.n, ty.matches, ty.skipped);
	T_OK(ty.matches > (size_t)t_scaled(5000) && ty.skipped > ty.texts * 10, "the corpus "
	    "matches often and the prefilter skips often (%zu, %zu)",
	    ty.matches, ty.skipped);
	T_INTEQ(ty.misses, 0, "the gate prefilter never skips a rule that "
	    "matches");
	T_INTEQ(ty.differ, 0, "the pattern engine's verdicts are the same "
	    "with and without its prefilter");
	T_OK(gthreat > gn / 40, "grace-gate sees threats in the corpus "
	    "(%zu of %zu events)", gthreat, gn);
	T_OK(nplain > (size_t)t_scaled(100) && identity_bad == 0, "an event without a backslash "
	    "decodes to itself (%zu events, %zu not)", nplain, identity_bad);
	T_INTEQ(gdiff, 0, "grace-gate's verdicts are the same with and "
	    "without the prefilter (%zu events)", gn);
	grace_gov_verdict_free(&v1);
	grace_gov_verdict_free(&v2);
	grace_gov_free(g);
	set_free(&s);
}

/* ------------------------------------------------------------- jtext */

/* Decode text with jtext and compare each string with jq's reading. */
static void
test_jtext(void)
{
	static const char *const cases[][2] = {
		{ "{\"a\":\"b\"}", "{\"a\":\"b\"}" },
		{ "{\"a\\u0062\":\"\\n\\t\\r\\\"\\\\\\/\"}",
		    "{\"ab\":\"\n\t\r\"\\/\"}" },
		{ "[1, \"\\ud83d\\ude00\", true,null]",
		    "[1, \"\xF0\x9F\x98\x80\", true,null]" },
		{ "\"x\\u0000y\"", "\"x\0y\"" },
		{ " {\"k\" : [ \"\\u00e9\" ] } ", " {\"k\" : [ \"\xC3\xA9\" ] } " },
	};
	size_t i;

	for (i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct grace_buf b = {0};
		size_t wl = strlen(cases[i][1]) + (i == 3 ? 3 : 0);

		T_OK(grace_jtext_decode(&b, cases[i][0], strlen(cases[i][0])) == 0 &&
		    b.len == wl && memcmp(b.p, cases[i][1], wl) == 0,
		    "jtext: %s decodes in place", cases[i][0]);
		grace_buf_free(&b);
	}
}

/* ------------------------------------------------------- invalid UTF-8 */

static void
test_invalid_utf8(void)
{
	struct grace_patterns *ps = grace_patterns_new();
	struct grace_pattern_match m[8];
	struct grace_err e;
	size_t nout = 0;
	static const char text[] = "ab\xFF\xC3z\nx\xE2\x82 secret=1234567\xF0";
	size_t n = sizeof text - 1;

	grace_patterns_add(ps, "any", "[^a]+", 0, GRACE_SEV_LOW, "", "t", 1, 1,
	    &e);
	grace_patterns_add(ps, "secret", "secret=\\d+", 0, GRACE_SEV_LOW, "",
	    "t", 1, 1, &e);
	grace_patterns_add(ps, "ffd", "\xEF\xBF\xBD{2}", 0, GRACE_SEV_LOW, "",
	    "t", 1, 1, &e);
	T_OK(grace_patterns_scan(ps, text, n, NULL, 1, m, 8, &nout, &e) == 0,
	    "invalid UTF-8 is scanned");
	T_INTEQ(nout, 4, "four matches");
	if (nout == 4) {
		T_OK(m[0].rule == 0 && m[0].off == 1 && m[0].len == n - 1,
		    "[^a]+ spans the bad bytes to the end of the text, not past "
		    "it (off %zu len %zu of %zu)", m[0].off, m[0].len, n);
		T_OK(m[1].rule == 1 && m[1].off == 10 && m[1].len == 14 &&
		    m[1].line == 2 && m[1].col == 5, "the secret is at its "
		    "original offset, line and column (%zu %zu %lu:%lu)",
		    m[1].off, m[1].len, m[1].line, m[1].col);
		T_OK(m[2].rule == 2 && m[2].off == 2 && m[2].len == 2,
		    "each bad byte reads as one U+FFFD (off %zu len %zu)",
		    m[2].off, m[2].len);
		T_OK(m[3].rule == 2 && m[3].off == 7 && m[3].len == 2,
		    "a cut-short sequence is two bad bytes (off %zu len %zu)",
		    m[3].off, m[3].len);
	}
	grace_patterns_free(ps);
}

int
main(void)
{
	OnigEncoding use[] = { ONIG_ENCODING_UTF8 };

	onig_initialize(use, 1);
	find_root();
	test_fold_set();
	test_regressions();
	test_jtext();
	test_invalid_utf8();
	test_corpus();
	return T_DONE();
}
