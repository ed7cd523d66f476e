/* test_governance.c - the parts of the governance engine a bats test cannot
 * reach well: the threat rules' literal prefilter must never hide a match
 * from the regex engine (checked against Oniguruma on many texts), and the
 * glob of match: conditions. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gate/gate_int.h"
#include "t.h"

static const char *const pats[] = {
	"AKIA[0-9A-Z]{16}",
	"\\b(AKIA|ASIA)[0-9A-Z]{16}\\b",
	"-----BEGIN ([A-Z]+ )?PRIVATE KEY-----",
	"(;|&&|\\|\\||`|\\$\\()\\s*(rm|curl|wget|sh)\\b",
	"union\\s+select|;\\s*drop\\s+table",
	"(?i)password\\s*[:=]",
	"\\.\\./\\.\\./",
	"ab?c",
	"(abc)?de",
	"x(ab|cd)+y",
	"a{0}bc",
	"a{2,}bcd",
	"(?:foo|)bar",
	"(?=secret)sec",
	"(?<!no)token",
	"[a-c]x\\d+",
	"\\x41BC",
	"q\\.r\\*s",
	"(a|b(c|d))e",
	"\\Qab\\E",
	"^start|end$",
	"(?i:HeLLo)world",
	"zz|",
	"eyJ[A-Za-z0-9_-]{8,}\\.eyJ",
	"(grp)+?[0-9]",
	"{lit}",
	"\\p{Lu}upper",
};

static const char *const frags[] = {
	"AKIA", "ASIA", "ABCDEFGHIJKLMNOP", "0123456789", "-----BEGIN ",
	"RSA ", "PRIVATE KEY-----", "; ", "&&", "||", "`", "$(", "rm ", "curl",
	"sh", " ", "union", "UNION", " select", "SELECT", "drop", "table", ";",
	"Password", "PASSWORD", ":", "=", "../", "a", "b", "c", "d", "e", "x",
	"y", "ab", "cd", "de", "bar", "foo", "secret", "token", "no", "q.r*s",
	"ABC", "start", "end", "hello", "world", "HELLO", "zz", "eyJ",
	"abcdefgh", ".", "grp", "7", "{lit}", "Xupper", "bcd", "aa", "\n",
	"\"", "\\",
};

static int
onig_matches(const struct grace_patterns *ps, size_t rule, const char *t,
    size_t n)
{
	unsigned char only[64] = {0};
	struct grace_pattern_match m[64];
	size_t nout = 0;
	struct grace_err e;

	only[rule] = 1;
	if (grace_patterns_scan(ps, t, n, only, 0, m, 64, &nout, &e) < 0)
		return -1;
	return nout > 0;
}

int
main(void)
{
	struct grace_patterns *ps = grace_patterns_new();
	struct gov_pf *pf;
	struct grace_err e;
	size_t np = sizeof pats / sizeof *pats, nf = sizeof frags / sizeof *frags;
	size_t i, k, misses = 0, filtered = 0, matched = 0;
	char text[512];
	unsigned seed = 12345;

	for (i = 0; i < np; i++) {
		char id[16];

		snprintf(id, sizeof id, "p%zu", i);
		if (grace_patterns_add(ps, id, pats[i], 0, GRACE_SEV_HIGH, "", "t",
		    1, 1, &e) < 0) {
			printf("# %s: %s\n", pats[i], e.msg);
			return 1;
		}
	}
	pf = gov_pf_build(ps);
	T_OK(pf != NULL, "the prefilter builds");
	T_INTEQ(gov_pf_requirements(pf, 0), 1, "AKIA[0-9A-Z]{16}: one literal to find");
	T_INTEQ(gov_pf_requirements(pf, 2), 2, "a PEM header: two literals around the optional group");
	T_INTEQ(gov_pf_requirements(pf, 19), 0, "\\Q..\\E is not read: the rule always runs");
	T_INTEQ(gov_pf_requirements(pf, 22), 0, "an empty alternative requires nothing");
	/* Many texts of fragments: whenever Oniguruma finds a match, the
	 * prefilter must have let the rule through. */
	for (k = 0; k < 6000; k++) {
		size_t n = 0, parts = 1 + k % 9, j;
		unsigned char only[64];

		for (j = 0; j < parts; j++) {
			const char *f;

			seed = seed * 1103515245u + 12345u;
			f = frags[(seed >> 16) % nf];
			if (n + strlen(f) < sizeof text) {
				memcpy(text + n, f, strlen(f));
				n += strlen(f);
			}
		}
		memset(only, 1, np);
		gov_pf_filter(pf, text, n, only);
		for (i = 0; i < np; i++) {
			int m = onig_matches(ps, i, text, n);

			if (m < 0) {
				printf("# scan failed\n");
				return 1;
			}
			matched += (size_t)m;
			if (!only[i])
				filtered++;
			if (m && !only[i]) {
				if (misses++ < 5)
					printf("# missed: /%s/ on '%.*s'\n", pats[i],
					    (int)n, text);
			}
		}
	}
	T_INTEQ(misses, 0, "no match is ever filtered out (%zu matches, %zu "
	    "rule runs saved)", matched, filtered);
	T_OK(filtered > 6000 * 10, "the filter saves most regex runs");

	/* The event as jq sees it: built from the bytes, equal to jq's parse. */
	{
		static const char *const docs[] = {
			"{}",
			" { \"a\" : 1 , \"b\":[true,false,null,[],{}] } ",
			"{\"s\":\"caf\\u00e9 \\\"q\\\" \\n \\ud83d\\ude00 \\/\",\"k\\u0041\":2}",
			"{\"n\":[0,-0,1.5,-2e-3,1e400,-1e400,12345678901234567890,3E+2]}",
			"{\"a\":1,\"a\":{\"x\":[1,{\"y\":\"}\"}]},\"z\":\"]\"}",
			"{\"nul\":\"a\\u0000b\",\"u\":\"\xc3\xa9\xe2\x82\xac\"}",
		};
		struct grace_gov *g = calloc(1, sizeof *g);
		size_t d;

		for (d = 0; d < sizeof docs / sizeof *docs; d++) {
			jv a, b;

			g->st.p = docs[d];
			g->st.n = strlen(docs[d]);
			a = gov_event_jv(g);
			b = grace_jv_parse(docs[d], strlen(docs[d]));
			T_OK(jv_equal(jv_copy(a), jv_copy(b)), "event jv %zu is jq's", d);
			a = jv_dump_string(a, 0);
			b = jv_dump_string(b, 0);
			T_STREQ(jv_string_value(a), jv_string_value(b), "and prints the same");
			jv_free(a);
			jv_free(b);
		}
		grace_buf_free(&g->st.sbuf);
		free(g);
	}

	T_OK(gov_glob("prod/*", 6, "prod/api", 8), "glob: prefix");
	T_OK(!gov_glob("prod/*", 6, "staging/api", 11), "glob: no match");
	T_OK(gov_glob("*-bot", 5, "ci-bot", 6), "glob: suffix");
	T_OK(gov_glob("a*b*c", 5, "aXbYbc", 6), "glob: backtracking");
	T_OK(!gov_glob("a*b*c", 5, "aXbYb", 5), "glob: backtracking, no match");
	T_OK(gov_glob("*", 1, "", 0), "glob: * matches nothing too");
	T_OK(!gov_glob("prod", 4, "prod/x", 6), "glob: whole string");
	gov_pf_free(pf);
	grace_patterns_free(ps);
	return T_DONE();
}
