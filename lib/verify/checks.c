/* checks.c - the check kinds of grace-verify that do more than
 * look at the event: exec, digest, signature, baseline and scan (run by
 * grace_vevent_run(), on any thread), and the expect-vs-actual contract
 * check; plus the conversion of slot values to text. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exec.h"
#include "fileutil.h"
#include "timeutil.h"
#include "verify_int.h"

extern char **environ;

#define ENV_MAX (128 * 1024) /* Linux's longest environment string */
#define EXCERPT 160
#define SCAN_MAX_MATCHES 1000
#define MAX_MISMATCHES 5

static const char *
in_str(const struct grace_vevent *v, const struct cres *r, int i)
{
	return r->in_set[i] ? v->arena.p + r->in_off[i] : NULL;
}

/* ------------------------------------------------------- slot values */

int
grace_vslot_text(const struct grace_vevent *v, int slot,
    struct grace_buf *out, int *is_null)
{
	const struct sval *s = &v->sv[slot];
	const char *p;
	size_t off = s->off, n = s->n;

	*is_null = 0;
	if (s->state == SV_ERR)
		return -1;
	if (s->state == SV_NONE || s->kind == GRACE_J_NONE ||
	    s->kind == GRACE_J_NULL) {
		*is_null = 1;
		return 0;
	}
	if (s->kind == GRACE_J_TRUE || s->kind == GRACE_J_FALSE)
		return grace_buf_adds(out, s->kind == GRACE_J_TRUE ? "true" :
		    "false");
	/* out may be the arena the text lives in: make room first, so that
	 * the text does not move while it is copied. */
	if (grace_buf_reserve(out, n + 64) < 0)
		return -1;
	p = s->arena ? v->arena.p + off : s->p;
	if (s->kind == GRACE_J_STRING)
		return grace_json_unescape(out, p, n);
	if (s->arena)
		return grace_buf_add(out, p, n); /* jq's own dump */
	{
		/* Native: print it as jq would. */
		jv x = s->kind == GRACE_J_NUMBER ? jv_number(strtod(p, NULL)) :
		    grace_jv_parse(p, n);
		int r;

		x = jv_dump_string(x, 0);
		r = grace_buf_adds(out, jv_string_value(x));
		jv_free(x);
		return r;
	}
}

/* -------------------------------------------------------------- exec */

/* The last non-empty line of b, cut to EXCERPT bytes. */
static void
excerpt(struct grace_buf *msg, const struct grace_buf *b)
{
	size_t end = b->len, start;

	while (end && (b->p[end - 1] == '\n' || b->p[end - 1] == '\r' ||
	    b->p[end - 1] == ' '))
		end--;
	if (!end)
		return;
	start = end;
	while (start && b->p[start - 1] != '\n')
		start--;
	if (end - start > EXCERPT) {
		grace_buf_addf(msg, ": %.*s...", EXCERPT, b->p + start);
		return;
	}
	grace_buf_addf(msg, ": %.*s", (int)(end - start), b->p + start);
}

static int
env_reserved(const char *s, const struct check *ck)
{
	size_t i, n = strcspn(s, "=");

	if (strncmp(s, "GRACE_EVENT", 11) == 0 ||
	    strncmp(s, "GRACE_CHECK=", 12) == 0 ||
	    strncmp(s, "GRACE_CONTRACT=", 15) == 0)
		return 1;
	for (i = 0; i < ck->nenv; i++)
		if (strlen(ck->env_names[i]) == n &&
		    strncmp(s, ck->env_names[i], n) == 0)
			return 1;
	return 0;
}

static void
run_exec(struct grace_vevent *v, struct grace_vctx *x, const struct check *ck,
    struct cres *r)
{
	const struct grace_contracts *c = v->c;
	struct grace_exec_opts o;
	struct grace_exec_result res;
	struct grace_buf own = {0}, in = {0};
	struct grace_err e;
	size_t nenv = 0, i, k = 0, lo = 0, hi = v->n;
	size_t offs[6];
	char **envp;
	char desc[160];
	int ok_exit = 0, oom = 0, nown = 0;

	while (lo < v->n && v->ev[lo] != '{')
		lo++;
	while (hi > lo && v->ev[hi - 1] != '}')
		hi--;
	for (i = 0; environ[i]; i++)
		nenv++;
	envp = calloc(nenv + r->env_n + 8, sizeof *envp);
	if (!envp) {
		r->res = VR_ERROR;
		grace_buf_adds(&r->msg, "out of memory");
		return;
	}
	for (i = 0; environ[i]; i++)
		if (!env_reserved(environ[i], ck))
			envp[k++] = environ[i];
	/* The event's own variables, built in one buffer (offsets, since it
	 * may move while it grows). */
	/* (An id or type with a NUL byte cannot be an environment value.) */
	if (v->id.len && strlen(v->id.p) == v->id.len) {
		offs[nown++] = own.len;
		oom |= grace_buf_addf(&own, "GRACE_EVENT_ID=%s", v->id.p);
		oom |= grace_buf_add(&own, "", 1);
	}
	if (v->type.len && strlen(v->type.p) == v->type.len) {
		offs[nown++] = own.len;
		oom |= grace_buf_addf(&own, "GRACE_EVENT_TYPE=%s", v->type.p);
		oom |= grace_buf_add(&own, "", 1);
	}
	if (hi - lo + 13 <= ENV_MAX) {
		offs[nown++] = own.len;
		oom |= grace_buf_adds(&own, "GRACE_EVENT=");
		oom |= grace_buf_add(&own, v->ev + lo, hi - lo);
		oom |= grace_buf_add(&own, "", 1);
	}
	offs[nown++] = own.len;
	oom |= grace_buf_addf(&own, "GRACE_CONTRACT=%s", v->k->id);
	oom |= grace_buf_add(&own, "", 1);
	offs[nown++] = own.len;
	oom |= grace_buf_addf(&own, "GRACE_CHECK=%s", ck->name);
	oom |= grace_buf_add(&own, "", 1);
	if (oom) {
		r->res = VR_ERROR;
		grace_buf_adds(&r->msg, "out of memory");
		goto out;
	}
	for (i = 0; i < (size_t)nown; i++)
		envp[k++] = own.p + offs[i];
	{
		const char *p = v->arena.p + r->env_off;

		for (i = 0; i < r->env_n; i++) {
			envp[k++] = (char *)p;
			p += strlen(p) + 1;
		}
	}
	envp[k] = NULL;
	memset(&o, 0, sizeof o);
	o.argv = ck->argv;
	o.envp = envp;
	if (ck->stdin_event) {
		if (grace_buf_add(&in, v->ev + lo, hi - lo) < 0 ||
		    grace_buf_add(&in, "\n", 1) < 0) {
			r->res = VR_ERROR;
			grace_buf_adds(&r->msg, "out of memory");
			goto out;
		}
		o.stdin_data = in.p;
		o.stdin_len = in.len;
	}
	o.timeout_ms = ck->timeout_ms;
	o.kill_after_ms = ck->kill_after_ms;
	o.cpu_seconds = ck->cpu;
	o.memory_bytes = ck->memory;
	o.max_files = ck->files;
	o.max_output = ck->max_output;
	o.tmpdir = c->tmpdir;
	o.started = c->child_started;
	o.ended = c->child_ended;
	o.cb_arg = c->child_arg;
	grace_exec_result_init(&res);
	if (grace_exec_run(&o, &res, &e) < 0) {
		r->res = VR_ERROR;
		grace_buf_adds(&r->msg, e.msg);
		grace_exec_result_free(&res);
		goto out;
	}
	grace_exec_describe(&res, ck->timeout_ms, desc, sizeof desc);
	for (i = 0; i < ck->nexits; i++)
		if (res.exited && res.code == ck->exits[i])
			ok_exit = 1;
	grace_buf_adds(&r->msg, desc);
	if (!ok_exit || res.timed_out) {
		r->res = VR_FAIL;
		excerpt(&r->msg, res.err.len ? &res.err : &res.out);
	} else if (ck->match) {
		struct grace_pattern_match m;
		size_t nm = 0;

		if (grace_patterns_scan(ck->match, res.out.p ? res.out.p : "",
		    res.out.len, NULL, 0, &m, 1, &nm, &e) < 0) {
			r->res = VR_ERROR;
			grace_buf_addf(&r->msg, ", match: %s", e.msg);
		} else if (nm == 0) {
			r->res = VR_FAIL;
			grace_buf_addf(&r->msg, ", but stdout does not match "
			    "/%.80s/", ck->match_src);
		} else {
			grace_buf_addf(&r->msg, ", stdout matches /%.80s/",
			    ck->match_src);
		}
	}
	if (r->res == VR_PASS && ck->json >= 0) {
		struct grace_jq *q = x->json[ck->json];
		int t;

		if (!q)
			q = x->json[ck->json] = grace_jq_compile(
			    c->json_src[ck->json], c->json_file[ck->json],
			    c->json_line[ck->json], c->json_col[ck->json], &e);
		if (!q) {
			r->res = VR_ERROR;
			grace_buf_addf(&r->msg, ", json: %s", e.msg);
		} else if (res.out_total > res.out.len) {
			r->res = VR_FAIL;
			grace_buf_addf(&r->msg, ", but stdout is over %zu bytes: "
			    "not parsed as JSON", res.out.len);
		} else {
			jv doc = grace_jv_parse(res.out.p ? res.out.p : "",
			    res.out.len);

			if (!jv_is_valid(doc)) {
				jv m = jv_invalid_get_msg(doc);

				r->res = VR_FAIL;
				grace_buf_addf(&r->msg, ", but stdout is not JSON: %s",
				    jv_get_kind(m) == JV_KIND_STRING ?
				    jv_string_value(m) : "invalid");
				jv_free(m);
			} else if ((t = grace_jq_truthy(q, doc, &e)) < 0) {
				r->res = VR_ERROR;
				grace_buf_addf(&r->msg, ", json: %s", e.msg);
			} else if (t == 0) {
				r->res = VR_FAIL;
				grace_buf_addf(&r->msg, ", but on stdout %.80s is "
				    "not true", c->json_src[ck->json]);
			} else {
				grace_buf_addf(&r->msg, ", %.80s holds on stdout",
				    c->json_src[ck->json]);
			}
		}
	}
	if (res.out_total > res.out.len)
		grace_buf_addf(&r->msg, " (stdout: %llu bytes, first %zu kept)",
		    (unsigned long long)res.out_total, res.out.len);
	if (res.err_total > res.err.len)
		grace_buf_addf(&r->msg, " (stderr: %llu bytes, first %zu kept)",
		    (unsigned long long)res.err_total, res.err.len);
	if (res.cleanup_failed)
		grace_buf_adds(&r->msg, " (its working directory could not be "
		    "removed entirely)");
	grace_exec_result_free(&res);
out:
	free(envp);
	grace_buf_free(&own);
	grace_buf_free(&in);
}

/* ------------------------------------------------------ digest, sig */

static void
run_digest(struct grace_vevent *v, const struct check *ck, struct cres *r)
{
	const char *file = in_str(v, r, 0), *want = in_str(v, r, 1);
	char got[GRACE_DIGEST_HEXMAX], listed[GRACE_DIGEST_HEXMAX + 8];
	struct grace_err e;
	int m;

	if (grace_digest_file(file, ck->alg, got, &e) < 0) {
		r->res = VR_ERROR;
		grace_buf_addf(&r->msg, "%s: %s", file, e.msg);
		return;
	}
	if (!want) {
		m = grace_digest_manifest(ck->manifest, file, listed,
		    sizeof listed, &e);
		if (m <= 0) {
			r->res = m < 0 ? VR_ERROR : VR_FAIL;
			grace_buf_addf(&r->msg, "%s%s%s", e.file, e.file[0] ? ": " :
			    "", e.msg);
			return;
		}
		want = listed;
	}
	m = grace_digest_match(got, want, ck->alg, &e);
	if (m == 1) {
		grace_buf_addf(&r->msg, "%s %.16s... matches",
		    grace_digest_alg_name(ck->alg), got);
		return;
	}
	r->res = m == 0 ? VR_FAIL : VR_ERROR;
	grace_buf_addf(&r->msg, "%s: %s", file, e.msg);
}

static void
run_signature(struct grace_vevent *v, const struct check *ck, struct cres *r)
{
	const char *file = in_str(v, r, 0), *sig = in_str(v, r, 1);
	struct grace_buf def = {0};
	struct grace_err e;
	int m;

	if (!sig) {
		grace_buf_addf(&def, "%s.sig", file);
		sig = def.p;
	}
	m = grace_sig_verify_file(file, sig, ck->pubkey, ck->enc, ck->hash, &e);
	if (m == 1) {
		grace_buf_addf(&r->msg, "%s: signature verified with %s", file,
		    ck->pubkey);
	} else {
		r->res = m == 0 ? VR_FAIL : VR_ERROR;
		grace_buf_addf(&r->msg, "%s%s%s", e.file, e.file[0] ? ": " : "",
		    e.msg);
	}
	grace_buf_free(&def);
}

/* ---------------------------------------------------------- baseline */

static void
add_num(struct grace_buf *b, double x)
{
	char s[40];
	int prec;

	for (prec = 6; prec <= 17; prec++) {
		snprintf(s, sizeof s, "%.*g", prec, x);
		if (strtod(s, NULL) == x)
			break;
	}
	grace_buf_adds(b, s);
}

static void
add_pct(struct grace_buf *b, double f)
{
	char s[40];
	size_t n;

	snprintf(s, sizeof s, "%.2f", f * 100);
	n = strlen(s);
	while (n && s[n - 1] == '0')
		n--;
	if (n && s[n - 1] == '.')
		n--;
	grace_buf_add(b, s, n);
	grace_buf_add(b, "%", 1);
}

static void
run_baseline(struct grace_vevent *v, const struct check *ck, struct cres *r)
{
	const char *key = in_str(v, r, 0);
	double base, value = r->num, drift;
	int have;

	if (!ck->bl) {
		r->res = VR_ERROR;
		grace_buf_adds(&r->msg, ck->bl_error ? ck->bl_error :
		    "no baseline");
		return;
	}
	have = grace_baseline_get(ck->bl, key, &base);
	if (v->c->update_baseline) {
		if (grace_baseline_set(ck->bl, key, value) < 0) {
			r->res = VR_ERROR;
			grace_buf_adds(&r->msg, "out of memory");
			return;
		}
		grace_buf_addf(&r->msg, "%s: baseline recorded: ", key);
		add_num(&r->msg, value);
		if (have) {
			grace_buf_adds(&r->msg, " (was ");
			add_num(&r->msg, base);
			grace_buf_adds(&r->msg, ")");
		} else {
			grace_buf_adds(&r->msg, " (new)");
		}
		return;
	}
	if (!have) {
		r->res = VR_ERROR;
		grace_buf_addf(&r->msg, "%s: no baseline in %s (record one with "
		    "--update-baseline)", key, grace_baseline_path(ck->bl));
		return;
	}
	drift = grace_baseline_drift(base, value, ck->dir);
	grace_buf_addf(&r->msg, "%s: ", key);
	add_num(&r->msg, value);
	grace_buf_adds(&r->msg, " vs baseline ");
	add_num(&r->msg, base);
	grace_buf_adds(&r->msg, ": drift ");
	if (isinf(drift)) {
		grace_buf_adds(&r->msg, "from a baseline of 0");
	} else {
		grace_buf_adds(&r->msg, drift == 0 ? "" : value > base ? "+" : "-");
		add_pct(&r->msg, drift);
	}
	if (drift > ck->drift) {
		r->res = VR_FAIL;
		grace_buf_adds(&r->msg, ", above the limit of ");
	} else {
		grace_buf_adds(&r->msg, ", within ");
	}
	add_pct(&r->msg, ck->drift);
}

/* -------------------------------------------------------------- scan */

/* Findings in text order (the engine gives them rule by rule). */
static int
by_position(const void *a, const void *b)
{
	const struct grace_pattern_match *x = a, *y = b;

	if (x->off != y->off)
		return x->off < y->off ? -1 : 1;
	return x->rule < y->rule ? -1 : x->rule > y->rule;
}

static void
run_scan(struct grace_vevent *v, const struct check *ck, struct cres *r)
{
	const char *what = in_str(v, r, 0), *text, *label;
	struct grace_pattern_match *m = NULL;
	struct grace_buf lbl = {0};
	struct grace_err e;
	char *file = NULL;
	size_t len, n = 0, i, kept, bad = 0, listed = 0;

	if (ck->snippet_slot >= 0) {
		text = what;
		len = r->in_len[0];
		grace_buf_addf(&lbl, "event:%s", v->k->slots[ck->snippet_slot].src);
		label = lbl.p;
	} else {
		if (!(file = grace_read_file(what, ck->max_size, &len, &e))) {
			r->res = VR_ERROR;
			grace_buf_addf(&r->msg, "%s: %s", what, e.msg);
			return;
		}
		text = file;
		label = what;
	}
	if (!(m = calloc(SCAN_MAX_MATCHES, sizeof *m)) ||
	    grace_patterns_scan(ck->rules, text, len, NULL, 1, m,
	    SCAN_MAX_MATCHES, &n, &e) < 0) {
		r->res = VR_ERROR;
		grace_buf_adds(&r->msg, m ? e.msg : "out of memory");
		goto out;
	}
	kept = n < SCAN_MAX_MATCHES ? n : SCAN_MAX_MATCHES;
	qsort(m, kept, sizeof *m, by_position);
	for (i = 0; i < kept; i++)
		if (grace_patterns_rule(ck->rules, m[i].rule)->severity >=
		    ck->fail_on)
			bad++;
	if (n == 0) {
		grace_buf_addf(&r->msg, "%s: no findings", label);
		goto out;
	}
	if (bad)
		r->res = VR_FAIL;
	grace_buf_addf(&r->msg, "%zu finding%s, %zu at or above %s:", n,
	    n == 1 ? "" : "s", bad, grace_severity_name(ck->fail_on));
	grace_buf_adds(&r->extra, ",\"findings\":[");
	for (i = 0; i < kept; i++) {
		const struct grace_pattern_rule *rule =
		    grace_patterns_rule(ck->rules, m[i].rule);

		if (listed < 3) {
			grace_buf_addf(&r->msg, "%s %s (%s) at %s:%lu:%lu",
			    listed ? ";" : "", rule->id,
			    grace_severity_name(rule->severity), label, m[i].line,
			    m[i].col);
			listed++;
		}
		if (i >= VMAX_FINDINGS)
			continue;
		grace_buf_adds(&r->extra, i ? ",{\"rule\":" : "{\"rule\":");
		grace_buf_add_jstr(&r->extra, rule->id, strlen(rule->id));
		grace_buf_addf(&r->extra, ",\"severity\":\"%s\",\"file\":",
		    grace_severity_name(rule->severity));
		grace_buf_add_jstr(&r->extra, label, strlen(label));
		grace_buf_addf(&r->extra, ",\"line\":%lu,\"col\":%lu,"
		    "\"message\":", m[i].line, m[i].col);
		grace_buf_add_jstr(&r->extra, rule->message,
		    strlen(rule->message));
		grace_buf_adds(&r->extra, "}");
	}
	grace_buf_adds(&r->extra, "]");
	if (n > listed)
		grace_buf_addf(&r->msg, "; and %zu more", n - listed);
out:
	free(m);
	free(file);
	grace_buf_free(&lbl);
}

/* ---------------------------------------------------------- contract */

static void
dump_cut(struct grace_buf *b, jv x)
{
	jv s = jv_dump_string(x, 0);
	const char *t = jv_string_value(s);

	if (strlen(t) > 80)
		grace_buf_addf(b, "%.77s...", t);
	else
		grace_buf_adds(b, t);
	jv_free(s);
}

struct mism {
	struct grace_buf *msg;
	int n;
};

static void
mism_start(struct mism *mm, const char *path)
{
	if (mm->n < MAX_MISMATCHES)
		grace_buf_addf(mm->msg, "%s%s: ", mm->n ? "; " : "", path);
}

/* Elements of a not found in b, as a JSON-ish list into msg; count. */
static int
missing_from(jv a, jv b, struct grace_buf *out)
{
	int i, j, la = jv_array_length(jv_copy(a)), lb = jv_array_length(jv_copy(b));
	int n = 0;

	for (i = 0; i < la; i++) {
		jv x = jv_array_get(jv_copy(a), i);
		int found = 0;

		for (j = 0; j < lb && !found; j++)
			found = jv_equal(jv_copy(x), jv_array_get(jv_copy(b), j));
		if (!found) {
			if (out) {
				grace_buf_adds(out, n ? ", " : "");
				dump_cut(out, jv_copy(x));
			}
			n++;
		}
		jv_free(x);
	}
	return n;
}

/* Compare expected e with actual a at path; both consumed. */
static void
compare(jv e, jv a, int ordered, const char *path, struct mism *mm)
{
	jv_kind ke = jv_get_kind(e), ka = jv_get_kind(a);

	if (ka == JV_KIND_INVALID) {
		mism_start(mm, path);
		if (mm->n++ < MAX_MISMATCHES)
			grace_buf_adds(mm->msg, "missing");
	} else if (ke == JV_KIND_OBJECT && ka == JV_KIND_OBJECT) {
		jv keys = jv_keys(jv_copy(e));
		int i, n = jv_array_length(jv_copy(keys));

		for (i = 0; i < n; i++) {
			jv k = jv_array_get(jv_copy(keys), i);
			struct grace_buf sub = {0};

			grace_buf_addf(&sub, "%s.%s", path, jv_string_value(k));
			compare(jv_object_get(jv_copy(e), jv_copy(k)),
			    jv_object_get(jv_copy(a), k), ordered, sub.p, mm);
			grace_buf_free(&sub);
		}
		jv_free(keys);
	} else if (ke == JV_KIND_ARRAY && ka == JV_KIND_ARRAY && !ordered) {
		int miss = missing_from(e, a, NULL);
		int extra = missing_from(a, e, NULL);

		if (miss || extra) {
			mism_start(mm, path);
			if (mm->n++ < MAX_MISMATCHES) {
				if (miss) {
					grace_buf_adds(mm->msg, "missing [");
					missing_from(e, a, mm->msg);
					grace_buf_adds(mm->msg, "]");
				}
				if (extra) {
					grace_buf_adds(mm->msg, miss ?
					    ", unexpected [" : "unexpected [");
					missing_from(a, e, mm->msg);
					grace_buf_adds(mm->msg, "]");
				}
			}
		}
	} else if (!jv_equal(jv_copy(e), jv_copy(a))) {
		mism_start(mm, path);
		if (mm->n++ < MAX_MISMATCHES) {
			grace_buf_adds(mm->msg, "expected ");
			dump_cut(mm->msg, jv_copy(e));
			grace_buf_adds(mm->msg, ", got ");
			dump_cut(mm->msg, jv_copy(a));
		}
	}
	jv_free(e);
	jv_free(a);
}

/* The value of slot s as a jv object, or an invalid with r set. */
static jv
slot_object(struct grace_vevent *v, int slot, const char *what,
    struct cres *r)
{
	const struct sval *s = &v->sv[slot];
	const char *src = v->k->slots[slot].src;
	jv x;

	if (s->state == SV_ERR) {
		r->res = VR_ERROR;
		grace_buf_addf(&r->msg, "%s %.60s: %s", what, src,
		    grace_vsv_text(v, s));
		return jv_invalid();
	}
	if (s->state == SV_NONE || s->kind == GRACE_J_NONE ||
	    s->kind == GRACE_J_NULL) {
		r->res = VR_ERROR;
		grace_buf_addf(&r->msg, "the event states no %s (%.60s is %s)",
		    what, src, s->state == SV_NONE ? "empty" : "null");
		return jv_invalid();
	}
	if (s->kind != GRACE_J_OBJECT) {
		r->res = VR_ERROR;
		grace_buf_addf(&r->msg, "%s %.60s is %s, not an object", what, src,
		    s->kind == GRACE_J_TRUE || s->kind == GRACE_J_FALSE ?
		    "a boolean" : grace_json_kind_name(s->kind));
		return jv_invalid();
	}
	x = grace_jv_parse(grace_vsv_text(v, s), s->n);
	if (!jv_is_valid(x)) {
		jv_free(x);
		r->res = VR_ERROR;
		grace_buf_addf(&r->msg, "%s: not JSON", what);
		return jv_invalid();
	}
	return x;
}

int
grace_vcheck_contract(struct grace_vevent *v, const struct check *ck,
    struct cres *r)
{
	jv e, a;
	struct mism mm;
	int n;

	e = slot_object(v, ck->expect_slot, "expect", r);
	if (!jv_is_valid(e)) {
		jv_free(e);
		return 0;
	}
	a = slot_object(v, ck->actual_slot, "actual", r);
	if (!jv_is_valid(a)) {
		jv_free(e);
		jv_free(a);
		return 0;
	}
	n = jv_object_length(jv_copy(e));
	mm.msg = &r->msg;
	mm.n = 0;
	compare(e, a, ck->ordered, v->k->slots[ck->actual_slot].src, &mm);
	if (mm.n) {
		r->res = VR_FAIL;
		if (mm.n > MAX_MISMATCHES)
			grace_buf_addf(&r->msg, "; and %d more", mm.n - MAX_MISMATCHES);
		if (ck->message)
			grace_vcheck_message(ck, r);
	} else {
		grace_buf_addf(&r->msg, "%d expected member%s match", n,
		    n == 1 ? "" : "s");
	}
	return 0;
}

/* -------------------------------------------------------------- run */

void
grace_vcheck_message(const struct check *ck, struct cres *r)
{
	struct grace_buf m = {0};

	if (grace_buf_addf(&m, "%s%s%.*s", ck->message, r->msg.len ? ": " : "",
	    (int)r->msg.len, r->msg.len ? r->msg.p : "") < 0) {
		grace_buf_free(&m);
		return;
	}
	grace_buf_free(&r->msg);
	r->msg = m;
}

void
grace_vcheck_run(struct grace_vevent *v, struct grace_vctx *x, size_t i)
{
	const struct check *ck = &v->k->checks[i];
	struct cres *r = &v->cr[i];
	double t0 = grace_mono_ms();

	switch (ck->kind) {
	case VK_EXEC: run_exec(v, x, ck, r); break;
	case VK_DIGEST: run_digest(v, ck, r); break;
	case VK_SIGNATURE: run_signature(v, ck, r); break;
	case VK_BASELINE: run_baseline(v, ck, r); break;
	case VK_SCAN: run_scan(v, ck, r); break;
	default: break;
	}
	if (ck->message && r->res == VR_FAIL)
		grace_vcheck_message(ck, r);
	r->ms = grace_mono_ms() - t0;
	r->pending = 0;
}
