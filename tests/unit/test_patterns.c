/* test_patterns.c - the pattern-rule engine. */
#include <string.h>

#include "patterns.h"
#include "t.h"

int
main(void)
{
	struct grace_patterns *ps = grace_patterns_new();
	struct grace_pattern_match m[8];
	struct grace_err e;
	size_t n = 0;
	const char *text;
	struct grace_ynode *y;

	T_INTEQ(grace_patterns_add(ps, "aws", "AKIA[0-9A-Z]{16}", 0, GRACE_SEV_HIGH, "AWS key", "r.yaml", 3, 5, &e), 0, "add aws");
	T_INTEQ(grace_patterns_add(ps, "pem", "-----BEGIN [A-Z ]*PRIVATE KEY-----", 0, GRACE_SEV_CRITICAL, "", "r.yaml", 4, 5, &e), 1, "add pem");
	T_INTEQ(grace_patterns_add(ps, "trav", "\\.\\./", 0, GRACE_SEV_MEDIUM, "", "r.yaml", 5, 5, &e), 2, "add traversal");
	T_INTEQ(grace_patterns_add(ps, "sql", "union\\s+select|or\\s+1=1", 1, GRACE_SEV_HIGH, "", "r.yaml", 6, 5, &e), 3, "add sql, case-insensitive alternation");
	T_INTEQ(grace_patterns_add(ps, "aws", "x", 0, GRACE_SEV_LOW, "", "r.yaml", 9, 5, &e), -1, "duplicate id");
	T_STREQ(e.msg, "duplicate rule id 'aws' (first defined at line 3)", "duplicate id message");
	T_INTEQ(grace_patterns_add(ps, "bad", "a(b", 0, GRACE_SEV_LOW, "", "r.yaml", 10, 12, &e), -1, "bad regex");
	T_OK(strncmp(e.msg, "rule 'bad': bad pattern: ", 25) == 0 && e.line == 10 && e.col == 12 && e.code == GRACE_EXIT_USAGE, "bad regex message at its position: %s", e.msg);

	text = "{\"data\":{\"key\":\"AKIAABCDEFGHIJKLMNOP\",\"q\":\"1 UNION  SELECT *\"}}";
	T_INTEQ(grace_patterns_scan(ps, text, strlen(text), NULL, 0, m, 8, &n, &e), 0, "scan");
	T_INTEQ(n, 2, "two rules match");
	T_INTEQ(m[0].rule, 0, "aws first");
	T_INTEQ(m[0].off, 16, "aws offset");
	T_INTEQ(m[0].len, 20, "aws length");
	T_INTEQ(m[1].rule, 3, "sql ignores case");
	text = "ok\nline two ../etc\n  ../x ../y\n";
	T_INTEQ(grace_patterns_scan(ps, text, strlen(text), NULL, 1, m, 8, &n, &e), 0, "scan all");
	T_INTEQ(n, 3, "three traversals");
	T_OK(m[0].line == 2 && m[0].col == 10, "first at 2:10 (%lu:%lu)", m[0].line, m[0].col);
	T_OK(m[1].line == 3 && m[1].col == 3, "second at 3:3 (%lu:%lu)", m[1].line, m[1].col);
	T_OK(m[2].line == 3 && m[2].col == 8, "third at 3:8 (%lu:%lu)", m[2].line, m[2].col);
	T_INTEQ(grace_patterns_scan(ps, text, strlen(text), NULL, 1, m, 1, &n, &e), 0, "scan with small out");
	T_INTEQ(n, 3, "count beyond max");
	{
		unsigned char only[4] = { 1, 1, 0, 1 };

		T_INTEQ(grace_patterns_scan(ps, text, strlen(text), only, 1, m, 8, &n, &e), 0, "scan a subset");
		T_INTEQ(n, 0, "traversal rule left out");
	}
	text = "-----BEGIN RSA PRIVATE KEY-----\\nMIIE";
	grace_patterns_scan(ps, text, strlen(text), NULL, 0, m, 8, &n, &e);
	T_OK(n == 1 && m[0].rule == 1, "PEM header inside a JSON string");
	text = "clean payload, nothing to see";
	grace_patterns_scan(ps, text, strlen(text), NULL, 0, m, 8, &n, &e);
	T_INTEQ(n, 0, "clean text");
	T_STREQ(grace_severity_name(GRACE_SEV_CRITICAL), "critical", "severity name");
	grace_patterns_free(ps);

	/* from YAML */
	ps = grace_patterns_new();
	{
		static const char doc[] =
		    "- id: eval\n  pattern: '\\beval\\s*\\('\n  severity: high\n  message: eval of input\n  action: deny\n"
		    "- id: tls\n  pattern: 'verify\\s*=\\s*False'\n  severity: urgent\n";
		static const char *const extra[] = { "action", NULL };

		y = grace_yaml_load_string("rules.yaml", doc, sizeof doc - 1, &e);
		T_OK(y != NULL, "yaml loads");
		if (y) {
			T_INTEQ(grace_patterns_add_yaml(ps, y->items[0], extra, &e), 0, "rule from yaml");
			T_STREQ(grace_patterns_rule(ps, 0)->message, "eval of input", "message kept");
			T_INTEQ(grace_patterns_rule(ps, 0)->line, 2, "pattern line");
			T_INTEQ(grace_patterns_add_yaml(ps, y->items[1], extra, &e), -1, "bad severity");
			T_OK(e.line == 8 && strstr(e.msg, "severity must be info, low, medium, high or critical, not 'urgent'"), "severity error at its line: %lu %s", e.line, e.msg);
			T_INTEQ(grace_patterns_add_yaml(ps, y->items[0], NULL, &e), -1, "extra key not allowed");
			T_OK(strstr(e.msg, "unknown key 'action'") != NULL, "unknown key named: %s", e.msg);
			text = "x = eval (input)";
			grace_patterns_scan(ps, text, strlen(text), NULL, 0, m, 8, &n, &e);
			T_INTEQ(n, 1, "eval found");
			grace_yaml_free(y);
		}
	}
	grace_patterns_free(ps);
	return T_DONE();
}
