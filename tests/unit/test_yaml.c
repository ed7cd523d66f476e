/* test_yaml.c - lib/yaml: loading with positions, refusals, lookups,
 * typed getters and conversion to jv. Fixtures: tests/fixtures/lib/. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "t.h"
#include "yaml.h"

#define FIX "tests/fixtures/lib/"

static char tmpdir[64];

/* "file:line:col: msg" of e, as grace_err_print() would show it. */
static const char *
where(const struct grace_err *e)
{
	static char buf[1200];

	snprintf(buf, sizeof buf, "%s:%lu:%lu: %s", e->file, e->line, e->col,
	    e->msg);
	return buf;
}

static struct grace_ynode *
load(const char *s, struct grace_err *e)
{
	grace_err_clear(e);
	return grace_yaml_load_string("t.yaml", s, strlen(s), e);
}

/* Loading s must fail with exactly want ("t.yaml:L:C: msg"). */
static void
load_bad(const char *name, const char *s, const char *want)
{
	struct grace_err e;
	struct grace_ynode *r = load(s, &e);

	T_OK(r == NULL, "%s: refused", name);
	grace_yaml_free(r);
	T_STREQ(where(&e), want, "%s: message", name);
	T_INTEQ(e.code, GRACE_EXIT_USAGE, "%s: exit code 2", name);
}

static const char *
dump(jv v)
{
	static char buf[2048];
	jv s = jv_dump_string(v, 0);

	snprintf(buf, sizeof buf, "%s", jv_string_value(s));
	jv_free(s);
	return buf;
}

static void
test_tree(void)
{
	struct grace_err e;
	struct grace_ynode *r;
	const struct grace_ynode *n, *k;

	grace_err_clear(&e);
	r = grace_yaml_load_file(FIX "policy.yaml", &e);
	T_OK(r != NULL, "load policy.yaml");
	if (!r) {
		printf("#   %s\n", where(&e));
		return;
	}
	T_INTEQ(r->kind, GRACE_YMAP, "root is a mapping");
	T_INTEQ(r->n, 17, "17 members");
	T_INTEQ(r->line, 2, "root line");
	T_INTEQ(r->col, 1, "root col");
	T_STREQ(r->file, FIX "policy.yaml", "file name kept in nodes");

	k = r->pairs[0].key;
	T_STREQ(k->str, "name", "first key");
	T_OK(k->line == 2 && k->col == 1, "key position 2:1");
	n = r->pairs[0].value;
	T_STREQ(n->str, "deny-prod-deletes", "first value");
	T_INTEQ(n->len, 17, "value length");
	T_OK(n->line == 2 && n->col == 7, "value position 2:7");
	T_INTEQ(n->quoted, 0, "plain");
	T_INTEQ(n->type, GRACE_YT_STR, "a plain string");

	n = grace_yaml_get(r, "when");
	T_STREQ(n->str, ".type == \"resource.deleted\" and .resource.env == "
	    "\"prod\"", "single-quoted value");
	T_INTEQ(n->quoted, 1, "quoted");
	T_OK(n->line == 7 && n->col == 7, "quoted value at its quote, 7:7");

	n = grace_yaml_get(r, "quoted_bool");
	T_INTEQ(n->quoted, 1, "\"true\" is quoted");
	T_INTEQ(n->type, GRACE_YT_STR, "\"true\" stays a string");
	T_INTEQ(grace_yaml_get(r, "enabled")->type, GRACE_YT_BOOL,
	    "plain true is a boolean");

	n = grace_yaml_get(r, "targets");
	T_INTEQ(n->kind, GRACE_YSEQ, "flow sequence");
	T_INTEQ(n->n, 2, "two targets");
	T_OK(n->line == 9 && n->col == 10, "sequence at its '[', 9:10");
	T_OK(n->items[1]->line == 9 && n->items[1]->col == 16,
	    "second item 9:16");
	T_STREQ(n->items[1]->str, "security", "second item");

	n = grace_yaml_get(r, "tags");
	T_OK(n->kind == GRACE_YSEQ && n->line == 14 && n->col == 3,
	    "block sequence at its first '-', 14:3");

	n = grace_yaml_get(r, "limits");
	T_OK(n->kind == GRACE_YMAP && n->line == 17 && n->col == 3,
	    "nested mapping 17:3");
	T_OK(grace_yaml_get(n, "window")->line == 18 &&
	    grace_yaml_get(n, "window")->col == 11, "nested value 18:11");

	n = grace_yaml_get(r, "nothing");
	T_OK(n && n->kind == GRACE_YSCALAR && n->len == 0 &&
	    n->type == GRACE_YT_NULL, "empty value is a null scalar");
	T_INTEQ(grace_yaml_get(r, "tilde")->type, GRACE_YT_NULL, "~ is null");
	n = grace_yaml_get(r, "note");
	T_STREQ(n->str, "line one\nline two\n", "literal block");
	T_INTEQ(n->quoted, 1, "block scalars count as quoted");
	T_OK(n->line == 24 && n->col == 7, "block scalar at its '|', 24:7");

	T_OK(grace_yaml_get(r, "absent") == NULL, "absent key");
	T_OK(grace_yaml_get(r, "nam") == NULL, "prefix is not a match");
	T_OK(grace_yaml_get(NULL, "name") == NULL, "NULL map");
	T_OK(grace_yaml_get(grace_yaml_get(r, "name"), "x") == NULL,
	    "a scalar has no members");

	T_STREQ(grace_yaml_describe(r), "a mapping", "describe mapping");
	T_STREQ(grace_yaml_describe(grace_yaml_get(r, "tags")), "a sequence",
	    "describe sequence");
	T_STREQ(grace_yaml_describe(grace_yaml_get(r, "tilde")), "null",
	    "describe null");
	T_STREQ(grace_yaml_describe(grace_yaml_get(r, "enabled")), "a boolean",
	    "describe bool");
	T_STREQ(grace_yaml_describe(grace_yaml_get(r, "priority")),
	    "an integer", "describe int");
	T_STREQ(grace_yaml_describe(grace_yaml_get(r, "weight")), "a number",
	    "describe float");
	T_STREQ(grace_yaml_describe(grace_yaml_get(r, "quoted_bool")),
	    "a string", "describe quoted");

	T_STREQ(dump(grace_yaml_to_jv(r)),
	    "{\"name\":\"deny-prod-deletes\",\"enabled\":true,\"priority\":10,"
	    "\"weight\":0.75,\"timeout\":\"1h30m\",\"when\":\".type == "
	    "\\\"resource.deleted\\\" and .resource.env == \\\"prod\\\"\","
	    "\"effect\":\"deny\",\"targets\":[\"ops\",\"security\"],"
	    "\"owner\":\"platform\",\"quoted_bool\":\"true\",\"maybe\":"
	    "\"maybe\",\"tags\":[\"prod\",\"delete\"],\"limits\":{\"burst\":16,"
	    "\"window\":\"250ms\",\"ratio\":0.001,\"max\":"
	    "\"-9223372036854775808\"},\"big\":\"12345678901234567890\","
	    "\"nothing\":null,\"tilde\":null,\"note\":\"line one\\nline two"
	    "\\n\"}", "to_jv of the whole file, in file order");
	grace_yaml_free(r);
}

static void
test_getters(void)
{
	struct grace_err e;
	struct grace_ynode *r;
	const struct grace_ynode *lim;
	const char *s = "unset", **list = NULL;
	size_t count = 99;
	int b = -1;
	double d = -1;
	int64_t i = -1, ms = -1;

	grace_err_clear(&e);
	r = grace_yaml_load_file(FIX "policy.yaml", &e);
	if (!r) {
		T_OK(0, "load policy.yaml: %s", where(&e));
		return;
	}
	lim = grace_yaml_get(r, "limits");

	T_INTEQ(grace_yaml_get_string(r, "name", &s, &e), 1, "get name");
	T_STREQ(s, "deny-prod-deletes", "name value");
	T_INTEQ(grace_yaml_get_string(r, "priority", &s, &e), 1,
	    "a plain number is accepted as a string");
	T_STREQ(s, "10", "its text");
	s = "default";
	T_INTEQ(grace_yaml_get_string(r, "absent", &s, &e), 0, "absent: 0");
	T_STREQ(s, "default", "absent leaves the default");
	T_INTEQ(grace_yaml_get_string(NULL, "name", &s, &e), 0,
	    "NULL map: absent");
	T_INTEQ(grace_yaml_get_string(r, "tags", &s, &e), -1, "list as string");
	T_STREQ(where(&e), FIX "policy.yaml:14:3: expected a string, got a "
	    "sequence", "string error at the value");
	T_INTEQ(e.code, GRACE_EXIT_USAGE, "getter errors are config errors");
	T_INTEQ(grace_yaml_get_string(r, "nothing", &s, &e), -1, "empty");
	T_STREQ(where(&e), FIX "policy.yaml:22:9: expected a string, got an "
	    "empty value", "empty value error");
	T_INTEQ(grace_yaml_get_string(r, "tilde", &s, &e), -1, "~");
	T_STREQ(where(&e), FIX "policy.yaml:23:8: expected a string, got '~'",
	    "~ error");
	T_STREQ(s, "default", "untouched after errors");

	T_INTEQ(grace_yaml_get_bool(r, "enabled", &b, &e), 1, "get enabled");
	T_INTEQ(b, 1, "enabled is true");
	T_INTEQ(grace_yaml_get_bool(r, "maybe", &b, &e), -1, "maybe");
	T_STREQ(where(&e), FIX "policy.yaml:12:8: expected a boolean (true or "
	    "false), got 'maybe'", "boolean error");
	T_INTEQ(grace_yaml_get_bool(r, "quoted_bool", &b, &e), -1,
	    "\"true\" is not a boolean");
	T_STREQ(where(&e), FIX "policy.yaml:11:14: expected a boolean (true or "
	    "false), got 'true' (quoted, so a string)", "quoted bool error");
	T_INTEQ(b, 1, "untouched");

	T_INTEQ(grace_yaml_get_number(r, "weight", &d, &e), 1, "weight");
	T_OK(d == 0.75, "weight 0.75");
	T_INTEQ(grace_yaml_get_number(r, "priority", &d, &e), 1, "int as num");
	T_OK(d == 10, "priority 10");
	T_INTEQ(grace_yaml_get_number(lim, "burst", &d, &e), 1, "hex number");
	T_OK(d == 16, "0x10 is 16");
	T_INTEQ(grace_yaml_get_number(lim, "ratio", &d, &e), 1, "1e-3");
	T_OK(d == 0.001, "1e-3 is 0.001");
	T_INTEQ(grace_yaml_get_number(r, "owner", &d, &e), -1, "owner");
	T_STREQ(where(&e), FIX "policy.yaml:10:8: expected a number, got "
	    "'platform'", "number error");

	T_INTEQ(grace_yaml_get_int(r, "priority", &i, &e), 1, "get int");
	T_INTEQ(i, 10, "priority");
	T_INTEQ(grace_yaml_get_int(lim, "max", &i, &e), 1, "INT64_MIN");
	T_OK(i == INT64_MIN, "-9223372036854775808 fits");
	T_INTEQ(grace_yaml_get_int(r, "weight", &i, &e), -1, "float as int");
	T_STREQ(where(&e), FIX "policy.yaml:5:9: expected an integer, got "
	    "'0.75'", "int error");
	T_INTEQ(grace_yaml_get_int(r, "big", &i, &e), -1, "too big");
	T_STREQ(where(&e), FIX "policy.yaml:21:6: integer "
	    "'12345678901234567890' out of range", "range error");
	T_OK(i == INT64_MIN, "untouched");

	T_INTEQ(grace_yaml_get_strlist(r, "targets", &list, &count, &e), 1,
	    "flow list");
	T_INTEQ(count, 2, "two");
	T_OK(list && strcmp(list[0], "ops") == 0 &&
	    strcmp(list[1], "security") == 0 && list[2] == NULL,
	    "ops, security, NULL");
	free(list);
	T_INTEQ(grace_yaml_get_strlist(r, "owner", &list, &count, &e), 1,
	    "a scalar is a list of one");
	T_OK(count == 1 && strcmp(list[0], "platform") == 0 && !list[1],
	    "platform");
	free(list);
	list = NULL;
	T_INTEQ(grace_yaml_get_strlist(r, "limits", &list, &count, &e), -1,
	    "mapping as list");
	T_STREQ(where(&e), FIX "policy.yaml:17:3: expected a string or a "
	    "list of strings, got a mapping", "list error");
	T_OK(list == NULL && count == 1, "untouched");

	T_INTEQ(grace_yaml_get_duration(r, "timeout", &ms, &e), 1, "timeout");
	T_INTEQ(ms, 5400000, "1h30m");
	T_INTEQ(grace_yaml_get_duration(lim, "window", &ms, &e), 1, "window");
	T_INTEQ(ms, 250, "250ms");
	T_INTEQ(grace_yaml_get_duration(r, "priority", &ms, &e), -1,
	    "10 is no duration");
	T_STREQ(where(&e), FIX "policy.yaml:4:11: missing unit in duration "
	    "'10': use 10s", "duration error at the value");
	T_INTEQ(e.code, GRACE_EXIT_USAGE, "duration error code");
	T_INTEQ(grace_yaml_get_duration(r, "tags", &ms, &e), -1, "list");
	T_STREQ(where(&e), FIX "policy.yaml:14:3: expected a duration (like "
	    "30s or 1h30m), got a sequence", "duration kind error");
	T_INTEQ(ms, 250, "untouched");

	T_INTEQ(grace_yaml_get_bool(grace_yaml_get(r, "tags"), "x", &b, &e),
	    -1, "member of a sequence");
	T_STREQ(where(&e), FIX "policy.yaml:14:3: expected a mapping, got a "
	    "sequence", "getter on a non-mapping");

	T_OK(grace_yaml_require(r, "effect", &e) != NULL, "require present");
	T_OK(grace_yaml_require(lim, "rate", &e) == NULL, "require absent");
	T_STREQ(where(&e), FIX "policy.yaml:17:3: missing required key "
	    "'rate'", "missing key error at the mapping");

	T_INTEQ(grace_yaml_expect(r, GRACE_YMAP, &e), 0, "expect mapping");
	T_INTEQ(grace_yaml_expect(grace_yaml_get(r, "effect"), GRACE_YSEQ,
	    &e), -1, "expect sequence");
	T_STREQ(where(&e), FIX "policy.yaml:8:9: expected a sequence, got "
	    "'deny'", "expect error shows the scalar");
	grace_yaml_free(r);
}

static void
test_keys(void)
{
	static const char *const top[] = {
		"name", "enabled", "priority", "weight", "timeout", "when",
		"effect", "targets", "owner", "quoted_bool", "maybe", "tags",
		"limits", "big", "nothing", "tilde", "note", NULL,
	};
	static const char *const rule[] = { "name", "when", "effect", NULL };
	static const char *const nothing[] = { NULL };
	struct grace_err e;
	struct grace_ynode *r;
	const struct grace_ynode *rules;
	size_t i;
	int rc = 0;

	grace_err_clear(&e);
	r = grace_yaml_load_file(FIX "policy.yaml", &e);
	if (!r) {
		T_OK(0, "load policy.yaml: %s", where(&e));
		return;
	}
	T_INTEQ(grace_yaml_check_keys(r, top, &e), 0, "all keys allowed");
	T_INTEQ(grace_yaml_check_keys(r, rule, &e), -1, "extra keys");
	T_STREQ(where(&e), FIX "policy.yaml:3:1: unknown key 'enabled' "
	    "(expected one of: name, when, effect)", "first unknown key");
	T_INTEQ(grace_yaml_check_keys(grace_yaml_get(r, "tags"), rule, &e),
	    -1, "not a mapping");
	T_STREQ(where(&e), FIX "policy.yaml:14:3: expected a mapping, got a "
	    "sequence", "check_keys on a sequence");
	grace_yaml_free(r);

	grace_err_clear(&e);
	r = grace_yaml_load_file(FIX "typo.yaml", &e);
	T_OK(r != NULL, "load typo.yaml");
	rules = grace_yaml_get(r, "rules");
	for (i = 0; rules && i < rules->n && rc == 0; i++)
		rc = grace_yaml_check_keys(rules->items[i], rule, &e);
	T_INTEQ(rc, -1, "the typo is caught");
	T_INTEQ(i, 2, "in the second rule");
	T_STREQ(where(&e), FIX "typo.yaml:6:5: unknown key 'whenn' (expected "
	    "one of: name, when, effect)", "typo error at the key");
	T_INTEQ(e.code, GRACE_EXIT_USAGE, "typo exit code");
	T_INTEQ(grace_yaml_check_keys(rules->items[0], nothing, &e), -1,
	    "nothing allowed");
	T_STREQ(e.msg, "unknown key 'name' (expected one of: )",
	    "empty allowed list");
	grace_yaml_free(r);
}

static void
test_refusals(void)
{
	char deep[300];
	struct grace_err e;
	struct grace_ynode *r;
	int i;

	grace_err_clear(&e);
	r = grace_yaml_load_file(FIX "dup.yaml", &e);
	T_OK(r == NULL, "dup.yaml refused");
	T_STREQ(where(&e), FIX "dup.yaml:8:5: duplicate key 'target' (first "
	    "defined at line 6)", "duplicate: second at 8:5, first line 6");

	load_bad("dup flow", "{a: 1, b: 2, a: 3}", "t.yaml:1:14: duplicate "
	    "key 'a' (first defined at line 1, column 2)");
	load_bad("earliest duplicate", "x: 1\nb: 1\nb: 2\nx: 2\n",
	    "t.yaml:3:1: duplicate key 'b' (first defined at line 2)");
	load_bad("dup after many keys", "k0: 0\nk1: 1\nk2: 2\nk3: 3\nk4: 4\n"
	    "k5: 5\nk6: 6\nk7: 7\nk8: 8\nk9: 9\nk10: 10\nk11: 11\nk12: 12\n"
	    "k13: 13\nk14: 14\nk15: 15\nk16: 16\nk17: 17\nk3: again\n",
	    "t.yaml:19:1: duplicate key 'k3' (first defined at line 4)");
	load_bad("dup quoted vs plain", "a: 1\n'a': 2\n",
	    "t.yaml:2:1: duplicate key 'a' (first defined at line 1)");
	r = load("a: 1\nb:\n  a: 2\nc: [{a: 1}, {a: 2}]\n", &e);
	T_OK(r != NULL, "same key in different mappings is fine");
	grace_yaml_free(r);

	load_bad("two documents", "a: 1\n---\nb: 2\n", "t.yaml:2:1: more than "
	    "one YAML document (only one is allowed per file)");
	load_bad("anchor", "base: &b {x: 1}\nother: 2\n", "t.yaml:1:7: YAML "
	    "anchors are not allowed (&b): write the value out in full");
	load_bad("alias", "a: *b\n", "t.yaml:1:4: YAML aliases are not "
	    "allowed (*b): write the value out in full");
	load_bad("billion laughs", "a: &a [\"lol\",\"lol\"]\nb: &b [*a,*a]\n"
	    "c: [*b,*b]\n", "t.yaml:1:4: YAML anchors are not allowed (&a): "
	    "write the value out in full");
	load_bad("merge key", "a: 1\n<<: *base\n", "t.yaml:2:5: YAML aliases "
	    "are not allowed (*base): write the value out in full");
	load_bad("complex key", "? [a, b]\n: 1\n", "t.yaml:1:3: mapping keys "
	    "must be scalars, got a sequence");
	load_bad("flow mapping key", "{{a: 1}: 2}", "t.yaml:1:2: mapping keys "
	    "must be scalars, got a mapping");
	load_bad("NUL in a key", "\"a\\0b\": 1\n", "t.yaml:1:1: mapping key "
	    "'a\\x00b' contains a NUL byte");

	/* nesting: 64 levels load, 65 do not */
	for (i = 0; i < 64; i++) {
		deep[i] = '[';
		deep[64 + i] = ']';
	}
	deep[128] = '\0';
	r = load(deep, &e);
	T_OK(r != NULL, "64 nested sequences load");
	grace_yaml_free(r);
	for (i = 0; i < 65; i++) {
		deep[i] = '[';
		deep[65 + i] = ']';
	}
	deep[130] = '\0';
	load_bad("65 levels", deep, "t.yaml:1:65: nesting deeper than 64 "
	    "levels");
	memset(deep, 0, sizeof deep);
	for (i = 0; i < 70; i++)
		strcat(deep, "{a: ");
	load_bad("70 open mappings", deep, "t.yaml:1:257: nesting deeper than "
	    "64 levels");

	/* tags */
	load_bad("binary tag", "a: !!binary aGk=\n", "t.yaml:1:4: unsupported "
	    "tag '!!binary' (allowed: !, !!str, !!int, !!float, !!bool, "
	    "!!null, !!seq, !!map)");
	load_bad("local tag", "a: !include other.yaml\n", "t.yaml:1:4: "
	    "unsupported tag '!include' (allowed: !, !!str, !!int, !!float, "
	    "!!bool, !!null, !!seq, !!map)");
	load_bad("int tag mismatch", "a: !!int abc\n", "t.yaml:1:4: 'abc' does "
	    "not match its tag !!int");
	load_bad("bool tag mismatch", "a: !!bool yes\n", "t.yaml:1:4: 'yes' "
	    "does not match its tag !!bool");
	load_bad("map tag on a sequence", "a: !!map [1]\n", "t.yaml:1:4: a "
	    "sequence does not match its tag !!map");
	load_bad("str tag on a mapping", "a: !!str {b: 1}\n", "t.yaml:1:4: a "
	    "mapping does not match its tag !!str");

	/* libyaml's own errors, with its context */
	load_bad("bad indentation", "a: 1\nb: 2\n c: 3\n", "t.yaml:3:3: "
	    "mapping values are not allowed in this context");
	load_bad("unclosed flow", "a: [1, 2\nb: 3\n", "t.yaml:2:2: did not "
	    "find expected ',' or ']' (while parsing a flow sequence at "
	    "line 1, column 4)");
	load_bad("unclosed quote", "key: \"unterminated\n", "t.yaml:2:1: "
	    "found unexpected end of stream (while scanning a quoted scalar at "
	    "line 1, column 6)");
	load_bad("tab indentation", "a:\n\t- x\n", "t.yaml:2:1: found "
	    "character that cannot start any token (while scanning for the "
	    "next token at line 2, column 1)");
	load_bad("invalid UTF-8", "a: 1\nb: caf\xe9\n",
	    "t.yaml:2:7: incomplete UTF-8 octet sequence");
	load_bad("bad first byte", "\xff\n", "t.yaml:1:1: invalid leading "
	    "UTF-8 octet (byte 0xff)");
	load_bad("control character", "a: \"x\x01y\"\n", "t.yaml:1:6: control "
	    "characters are not allowed (U+0001)");
	load_bad("non-character", "a: \"\xc3\xa9\xef\xbf\xbe\"\n",
	    "t.yaml:1:6: control characters are not allowed (U+FFFE)");

	/* empty input */
	r = load("", &e);
	T_OK(r == NULL, "empty file refused");
	T_STREQ(where(&e), "t.yaml:0:0: no YAML document (the file is empty "
	    "or holds only comments)", "empty file message (no position)");
	T_INTEQ(e.code, GRACE_EXIT_USAGE, "empty file code");
	r = load("# only\n# comments\n", &e);
	T_OK(r == NULL, "comments only refused");
	r = load("---\n", &e);
	T_OK(r && r->kind == GRACE_YSCALAR && r->type == GRACE_YT_NULL,
	    "'---' alone is a null document");
	T_STREQ(r ? dump(grace_yaml_to_jv(r)) : "", "null", "... to_jv null");
	grace_yaml_free(r);
	r = load("a: 1\n...\n", &e);
	T_OK(r != NULL, "document end marker is fine");
	grace_yaml_free(r);
	grace_yaml_free(NULL);
	T_OK(1, "grace_yaml_free(NULL) is a no-op");
}

static void
test_to_jv(void)
{
	static const struct {
		const char *yaml, *json;
	} cases[] = {
		{ "[~, null, , \"\", '']", NULL },
		{ "[~, null, \"\", '', Null, NULL]",
		  "[null,null,\"\",\"\",\"Null\",\"NULL\"]" },
		{ "[true, false, \"true\", 'false', True, yes, no, on]",
		  "[true,false,\"true\",\"false\",\"True\",\"yes\",\"no\","
		  "\"on\"]" },
		{ "[0, -7, +12, 007, 0x1F, 0o17, 0xff, -0x5, 0o8, 1_000]",
		  "[0,-7,12,7,31,15,255,\"-0x5\",\"0o8\",\"1_000\"]" },
		{ "[1.5, -0.25, 1e3, 2E-2, .5, 1., .inf, .nan, 1e, 1e999]",
		  "[1.5,-0.25,1000,0.02,0.5,1,\".inf\",\".nan\",\"1e\","
		  "\"1e999\"]" },
		{ "[9007199254740992, -9007199254740992, 9007199254740993, "
		  "-9007199254740993, 12345678901234567890, 0x20000000000001]",
		  "[9007199254740992,-9007199254740992,\"9007199254740993\","
		  "\"-9007199254740993\",\"12345678901234567890\","
		  "\"0x20000000000001\"]" },
		{ "[\"5\", '5', !!str 5, ! 5, !!int \"7\", !!float 3, "
		  "!!null \"\", !!bool \"true\"]",
		  "[\"5\",\"5\",\"5\",\"5\",7,3,null,true]" },
		{ "{b: 1, a: {c: [], d: {}}, \"q k\": x}",
		  "{\"b\":1,\"a\":{\"c\":[],\"d\":{}},\"q k\":\"x\"}" },
		{ "- \"\\u00e9\\t\\0\"\n- >\n  folded\n  text\n",
		  "[\"\xc3\xa9\\t\\u0000\",\"folded text\\n\"]" },
	};
	struct grace_err e;
	struct grace_ynode *r;
	size_t i;

	/* an empty flow entry is a libyaml error, not a null */
	r = load(cases[0].yaml, &e);
	T_OK(r == NULL, "empty flow entry refused by libyaml");
	for (i = 1; i < sizeof cases / sizeof *cases; i++) {
		r = load(cases[i].yaml, &e);
		T_OK(r != NULL, "load %zu", i);
		if (!r) {
			printf("#   %s\n", where(&e));
			continue;
		}
		T_STREQ(dump(grace_yaml_to_jv(r)), cases[i].json, "to_jv %zu",
		    i);
		grace_yaml_free(r);
	}
}

static void
test_scalars(void)
{
	struct grace_err e;
	struct grace_ynode *r;
	const char *s = "unset", **list = (const char **)1;
	size_t count = 7;
	double d;
	int64_t v;
	int b;

	r = load("nul: \"a\\0b\"\nlist: [a, [b]]\nempty: []\n"
	    "hex: 0x7fffffffffffffff\n"
	    "hexbig: 0x8000000000000000\nneg: -9223372036854775809\n"
	    "long: xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n"
	    "False: False\nnumq: '12'\n", &e);
	T_OK(r != NULL, "load scalars");
	if (!r)
		return;
	T_INTEQ(grace_yaml_get_string(r, "nul", &s, &e), -1, "NUL in a string");
	T_STREQ(where(&e), "t.yaml:1:6: string 'a\\x00b' contains a NUL byte",
	    "NUL error");
	T_INTEQ(grace_yaml_get(r, "nul")->len, 3, "len counts the NUL");
	T_INTEQ(grace_yaml_get_strlist(r, "list", &list, &count, &e), -1,
	    "nested list");
	T_STREQ(where(&e), "t.yaml:2:11: expected a string, got a sequence",
	    "error at the element");
	T_OK(list == (const char **)1 && count == 7, "untouched");
	T_INTEQ(grace_yaml_get_strlist(r, "empty", &list, &count, &e), 1,
	    "empty list");
	T_OK(count == 0 && list && list[0] == NULL, "no strings, NULL end");
	free(list);
	T_INTEQ(grace_yaml_get_int(r, "hex", &v, &e), 1, "hex max");
	T_OK(v == INT64_MAX, "0x7fffffffffffffff");
	T_INTEQ(grace_yaml_get_int(r, "hexbig", &v, &e), -1, "hex overflow");
	T_STREQ(e.msg, "integer '0x8000000000000000' out of range",
	    "hex overflow message");
	T_INTEQ(grace_yaml_get_number(r, "hexbig", &d, &e), -1,
	    "hex overflow as number");
	T_INTEQ(grace_yaml_get_int(r, "neg", &v, &e), -1, "below INT64_MIN");
	T_INTEQ(grace_yaml_get_number(r, "neg", &d, &e), 1,
	    "a big decimal is still a number");
	T_OK(d == -9223372036854775809.0, "as a double");
	T_INTEQ(grace_yaml_get_number(r, "long", &d, &e), -1, "long text");
	T_STREQ(e.msg, "expected a number, got 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxx...'", "long value cut at 48 bytes");
	T_INTEQ(grace_yaml_get_bool(r, "False", &b, &e), -1, "False");
	T_STREQ(e.msg, "expected a boolean (true or false), got 'False'",
	    "only lowercase booleans");
	T_INTEQ(grace_yaml_get_int(r, "numq", &v, &e), -1, "quoted number");
	T_STREQ(e.msg, "expected an integer, got '12' (quoted, so a string)",
	    "quoted number message");
	grace_yaml_free(r);
}

static void
test_files(void)
{
	char path[128];
	struct grace_err e;
	struct grace_ynode *r;
	int fd;

	grace_err_clear(&e);
	r = grace_yaml_load_file(FIX "no-such-file.yaml", &e);
	T_OK(r == NULL, "missing file");
	T_STREQ(where(&e), FIX "no-such-file.yaml:0:0: cannot open: No such "
	    "file or directory", "missing file message");
	T_INTEQ(e.code, GRACE_EXIT_SYSTEM, "missing file is a system error");

	r = grace_yaml_load_file(tmpdir, &e);
	T_OK(r == NULL, "a directory");
	T_STREQ(e.msg, "cannot read: Is a directory", "directory message");

	/* over the size cap: a sparse file of 16 MiB + 1 */
	snprintf(path, sizeof path, "%s/big.yaml", tmpdir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	T_OK(fd >= 0 && ftruncate(fd, GRACE_YAML_MAX_SIZE + 1) == 0,
	    "make a 16 MiB + 1 file");
	close(fd);
	r = grace_yaml_load_file(path, &e);
	T_OK(r == NULL, "too large");
	T_STREQ(e.msg, "file too large (16777217 bytes; the limit is 16 MiB)",
	    "size message");
	T_INTEQ(e.code, GRACE_EXIT_USAGE, "size error code");
	unlink(path);

	/* a stream that never ends is read only up to the cap */
	r = grace_yaml_load_file("/dev/zero", &e);
	T_OK(r == NULL, "/dev/zero");
	T_STREQ(where(&e), "/dev/zero:0:0: file too large (more than 16 MiB)",
	    "stream size message");

	/* exactly at the cap: loads */
	{
		char *buf = malloc(GRACE_YAML_MAX_SIZE);
		size_t n = GRACE_YAML_MAX_SIZE;
		memset(buf, ' ', n);
		memcpy(buf, "a: 1\n#", 6);
		buf[n - 1] = '\n';
		r = grace_yaml_load_string("cap.yaml", buf, n, &e);
		T_OK(r != NULL && r->n == 1, "exactly 16 MiB loads");
		grace_yaml_free(r);
		r = grace_yaml_load_string("cap.yaml", buf, n + 1, &e);
		T_OK(r == NULL, "one byte more does not (checked before "
		    "reading)");
		T_STREQ(e.msg, "file too large (16777217 bytes; the limit "
		    "is 16 MiB)", "size message for strings");
		free(buf);
	}

	/* a file written by the test */
	snprintf(path, sizeof path, "%s/t.yaml", tmpdir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	T_INTEQ(write(fd, "x: [1, 2]\n", 10), 10, "write a temp file");
	close(fd);
	r = grace_yaml_load_file(path, &e);
	T_OK(r && grace_yaml_get(r, "x")->n == 2, "temp file loads");
	T_STREQ(r ? r->file : "", path, "nodes name the path");
	grace_yaml_free(r);
	unlink(path);
}

int
main(void)
{
	snprintf(tmpdir, sizeof tmpdir, "/tmp/grace-test-yaml-XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	test_tree();
	test_getters();
	test_keys();
	test_refusals();
	test_to_jv();
	test_scalars();
	test_files();
	rmdir(tmpdir);
	return T_DONE();
}
