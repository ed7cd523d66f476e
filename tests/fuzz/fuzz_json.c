/* fuzz_json.c - the JSON scanner, the grace splicer, string unescaping and
 * string escaping (lib/json.h, lib/buf.h), checked against libjq's parser.
 *
 * Input: one line, taken as an event. When grace_json_scan() accepts it,
 * jq must parse it to an object whose members "grace", "type", "id" and
 * "data" are the values at the spans the scanner found (absent when it
 * found none); each string span must unescape to jq's string; splicing
 * grace.fz into it must give an object that scans, has grace.fz as given,
 * and is otherwise the original (less
 * its own grace.fz). Whatever the input, escaping its bytes
 * with grace_buf_add_jstr() must give a string the scanner accepts, and
 * the scanner (strings a block at a time) must give the same answer as
 * its byte-by-byte reference grace_json_scan_ref(): status, column,
 * message and spans. grace_json_scan_deep() must validate alike, and
 * on a valid object the members of its tree (data.a, data.b.c,
 * grace.heal) must be jq's values at those paths, absent where jq has
 * none or a parent is not an object. */
#include <errno.h>
#include <string.h>

#include <jv.h>

#include "buf.h"
#include "fuzz.h"
#include "json.h"
#include "jqx.h"

static const char *const keys[] = { "grace", "type", "id", "data",
	"specversion" };
#define NKEYS (sizeof keys / sizeof keys[0])

/* keys compiled alone, and with the tree of check_deep */
static struct grace_jkeys jk, jkd;

/* Value of member k of object o (borrows o), or invalid if absent. */
static jv
member(jv o, const char *k)
{
	jv v;

	if (!jv_object_has(jv_copy(o), jv_string(k)))
		return jv_invalid();
	v = jv_object_get(jv_copy(o), jv_string(k));
	return v;
}

static void
check_escape(const uint8_t *data, size_t size)
{
	struct grace_buf b = {0};
	struct grace_jspan f;
	static const char *const k[] = { "k" };

	if (grace_buf_adds(&b, "{\"k\":") < 0 ||
	    grace_buf_add_jstr(&b, (const char *)data, size) < 0 ||
	    grace_buf_adds(&b, "}") < 0) {
		grace_buf_free(&b);
		return;
	}
	if (grace_json_scan(b.p, b.len, k, 1, &f, "fuzz", 1, NULL) < 0 ||
	    f.kind != GRACE_J_STRING)
		abort();
	grace_buf_free(&b);
}

static void
check_splice(const char *p, size_t n, const struct grace_jspan *g, jv orig)
{
	static const char val[] = "{\"a\":[1,\"x\"]}";
	struct grace_buf out = {0};
	struct grace_jspan f;
	jv got, gr, fz;
	static const char *const k[] = { "grace" };

	if (grace_json_splice_grace(&out, p, n, g, "fz", val, sizeof val - 1) < 0) {
		/* Only a grace that is not an object is refused. */
		if (errno != EINVAL && errno != ENOMEM)
			abort();
		if (errno == EINVAL && (g->kind == GRACE_J_NONE ||
		    g->kind == GRACE_J_OBJECT))
			abort();
		grace_buf_free(&out);
		return;
	}
	if (g->kind != GRACE_J_NONE && g->kind != GRACE_J_OBJECT)
		abort();
	if (grace_json_scan(out.p, out.len, k, 1, &f, "fuzz", 1, NULL) < 0 ||
	    f.kind != GRACE_J_OBJECT)
		abort();
	got = grace_jv_parse(out.p, out.len);
	if (jv_get_kind(got) != JV_KIND_OBJECT)
		abort();
	gr = jv_object_get(jv_copy(got), jv_string("grace"));
	fz = jv_object_get(jv_copy(gr), jv_string("fz"));
	if (!jv_equal(fz, grace_jv_parse(val, sizeof val - 1)))
		abort();
	/* Everything else as it was. */
	gr = jv_object_delete(gr, jv_string("fz"));
	if (g->kind == GRACE_J_NONE) {
		if (jv_object_length(jv_copy(gr)) != 0)
			abort();
		got = jv_object_delete(got, jv_string("grace"));
	} else {
		got = jv_object_set(got, jv_string("grace"), gr);
		gr = jv_invalid();
	}
	jv_free(gr);
	/* ... where the original's own grace.fz, if any, is replaced. */
	if (g->kind == GRACE_J_OBJECT) {
		jv og = jv_object_get(jv_copy(orig), jv_string("grace"));

		og = jv_object_delete(og, jv_string("fz"));
		orig = jv_object_set(jv_copy(orig), jv_string("grace"), og);
	} else {
		orig = jv_copy(orig);
	}
	if (!jv_equal(got, orig))
		abort();
	grace_buf_free(&out);
}

/* The same NKEYS spans (kind, and where when present). */
static int
same_found(const struct grace_jspan *a, const struct grace_jspan *b)
{
	size_t i;

	for (i = 0; i < NKEYS; i++)
		if (a[i].kind != b[i].kind || (a[i].kind != GRACE_J_NONE &&
		    (a[i].off != b[i].off || a[i].len != b[i].len)))
			return 0;
	return 1;
}

/* The block scan and the reference agree on p[0..n). */
static void
check_ref(const char *p, size_t n)
{
	struct grace_jspan f1[NKEYS], f2[NKEYS];
	struct grace_err e1, e2;
	int r1, r2;

	grace_err_clear(&e1);
	grace_err_clear(&e2);
	r1 = grace_json_scan(p, n, keys, NKEYS, f1, "fuzz", 1, &e1);
	r2 = grace_json_scan_ref(p, n, keys, NKEYS, f2, "fuzz", 1, &e2);
	if (r1 != r2)
		abort();
	if (r1 < 0) {
		if (e1.col != e2.col || e1.code != e2.code ||
		    strcmp(e1.msg, e2.msg) != 0)
			abort();
	} else if (!same_found(f1, f2)) {
		abort();
	}
	/* the names compiled, as the filter scans: the same again */
	if (!jk.ok)
		grace_jkeys_init(&jk, keys, NKEYS, NULL);
	grace_err_clear(&e1);
	r1 = grace_json_scan_keys(p, n, &jk, f1, NULL, "fuzz", 1, &e1);
	if (r1 != r2 || (r1 < 0 && (e1.col != e2.col ||
	    strcmp(e1.msg, e2.msg) != 0)))
		abort();
	if (r1 == 0 && !same_found(f1, f2))
		abort();
}

/* The tree of check_deep: data.a, data.b.c, grace.heal (ids 0-5). */
static struct grace_jtrie t_c[] = { { "c", 1, NULL, 0, 4, 0 } };
static struct grace_jtrie t_data[] = { { "a", 1, NULL, 0, 1, 0 },
	{ "b", 1, t_c, 1, 3, 0 } };
static struct grace_jtrie t_heal[] = { { "heal", 4, NULL, 0, 5, 0 } };
static struct grace_jtrie t_top[] = { { "data", 4, t_data, 2, 0, 0 },
	{ "grace", 5, t_heal, 1, 2, 0 } };
static const struct grace_jtrie t_root = { NULL, 0, t_top, 2, 99, 0 };

/* jq's value at path segs[0..n) of o (borrows o), invalid when absent or
 * under something that is not an object. */
static jv
at_path(jv o, const char *const *segs, size_t n)
{
	jv v = jv_copy(o);
	size_t i;

	for (i = 0; i < n; i++) {
		jv next;

		if (jv_get_kind(v) != JV_KIND_OBJECT) {
			jv_free(v);
			return jv_invalid();
		}
		next = member(v, segs[i]);
		jv_free(v);
		if (!jv_is_valid(next))
			return next;
		v = next;
	}
	return v;
}

static void
check_deep(const char *p, size_t n, jv o)
{
	static const char *const pa[] = { "data", "a" }, *const pb[] = { "data",
		"b" }, *const pc[] = { "data", "b", "c" }, *const pg[] = {
		"grace" }, *const ph[] = { "grace", "heal" }, *const pd[] = {
		"data" };
	static const struct { const char *const *segs; size_t n; size_t id; }
	    want[] = { { pd, 1, 0 }, { pa, 2, 1 }, { pg, 1, 2 }, { pb, 2, 3 },
	    { pc, 3, 4 }, { ph, 2, 5 } };
	struct grace_jspan f[NKEYS], f3[NKEYS], sp[6], sp3[6];
	int esc[6], esc3[6];
	struct grace_jdeep d = { &t_root, sp, esc, 6, 0 };
	struct grace_jdeep d3 = { &t_root, sp3, esc3, 6, 0 };
	struct grace_err e1, e2;
	int r1, r2, r3;
	size_t i;

	if (!t_top[0].w8) {
		struct grace_jtrie *all[] = { &t_c[0], &t_data[0], &t_data[1],
			&t_heal[0], &t_top[0], &t_top[1] };

		for (i = 0; i < sizeof all / sizeof *all; i++)
			all[i]->w8 = grace_json_word(all[i]->name, all[i]->len);
	}
	grace_err_clear(&e1);
	grace_err_clear(&e2);
	r1 = grace_json_scan(p, n, keys, NKEYS, f, "fuzz", 1, &e1);
	r2 = grace_json_scan_deep(p, n, keys, NKEYS, f, &d, "fuzz", 1, &e2);
	if (r1 != r2 || (r1 < 0 && (e1.col != e2.col ||
	    strcmp(e1.msg, e2.msg) != 0)))
		abort();
	/* the same with the names and the tree's top compiled */
	if (!jkd.ok)
		grace_jkeys_init(&jkd, keys, NKEYS, &t_root);
	grace_err_clear(&e1);
	r3 = grace_json_scan_keys(p, n, &jkd, f3, &d3, "fuzz", 1, &e1);
	if (r3 != r2 || (r3 < 0 && (e1.col != e2.col ||
	    strcmp(e1.msg, e2.msg) != 0)))
		abort();
	if (r3 == 0 && !same_found(f3, f))
		abort();
	for (i = 0; r3 == 0 && i < 6; i++)
		if (sp3[i].kind != sp[i].kind || (sp[i].kind != GRACE_J_NONE &&
		    (sp3[i].off != sp[i].off || sp3[i].len != sp[i].len ||
		    esc3[i] != esc[i])))
			abort();
	if (r1 < 0 || jv_get_kind(o) != JV_KIND_OBJECT)
		return;
	for (i = 0; i < sizeof want / sizeof *want; i++) {
		jv w = at_path(o, want[i].segs, want[i].n);
		const struct grace_jspan *s = &sp[want[i].id];

		if (!jv_is_valid(w)) {
			jv_free(w);
			if (s->kind != GRACE_J_NONE)
				abort();
			continue;
		}
		if (s->kind == GRACE_J_NONE || s->off + s->len > n ||
		    !jv_equal(w, grace_jv_parse(p + s->off, s->len)))
			abort();
		if (s->kind == GRACE_J_STRING &&
		    !esc[want[i].id] != !memchr(p + s->off, '\\', s->len))
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	struct grace_jspan f[NKEYS];
	struct grace_err e;
	jv o;
	size_t i;

	check_escape(data, size);
	check_ref(p, size);
	(void)grace_json_blank(p, size);
	if (grace_json_scan(p, size, keys, NKEYS, f, "fuzz", 1, &e) < 0) {
		if (e.col < 1 || e.col > size + 1)
			abort();
		check_deep(p, size, jv_invalid());
		return 0;
	}
	o = grace_jv_parse(p, size);
	if (!jv_is_valid(o)) {
		/* jq 1.6 stops at 256 levels of nesting; the scanner
		 * allows GRACE_JSON_MAXDEPTH. Nothing else may differ. */
		jv msg = jv_invalid_get_msg(o);
		int depth = jv_get_kind(msg) == JV_KIND_STRING &&
		    strstr(jv_string_value(msg), "depth") != NULL;

		jv_free(msg);
		if (!depth)
			abort();
		return 0;
	}
	if (jv_get_kind(o) != JV_KIND_OBJECT)
		abort();
	for (i = 0; i < NKEYS; i++) {
		jv want = member(o, keys[i]);

		if (f[i].kind == GRACE_J_NONE) {
			if (jv_is_valid(want))
				abort();
			jv_free(want);
			continue;
		}
		if (!jv_is_valid(want) || f[i].off + f[i].len > size)
			abort();
		if (!jv_equal(jv_copy(want), grace_jv_parse(p + f[i].off,
		    f[i].len)))
			abort();
		if (f[i].kind == GRACE_J_STRING) {
			struct grace_buf u = {0};

			if (grace_json_unescape(&u, p + f[i].off, f[i].len) == 0) {
				int len = jv_string_length_bytes(jv_copy(want));

				if ((size_t)len != u.len ||
				    memcmp(u.p, jv_string_value(want), u.len) != 0)
					abort();
			}
			grace_buf_free(&u);
		}
		jv_free(want);
	}
	check_splice(p, size, &f[0], o);
	check_deep(p, size, o);
	jv_free(o);
	return 0;
}
