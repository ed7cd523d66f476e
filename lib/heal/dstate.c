/* dstate.c - detection state saved to and restored from --state DIR
 * (detect.json, man/grace-heal.1): every (detector, component) entry
 * with its open anomaly, baseline, ring and timer, so that a restarted
 * grace-heal carries on where it stopped. Not on the hot path: saving
 * writes text, restoring parses with libjq. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect_int.h"

#define NONE UINT32_MAX

static int
add_d(struct grace_buf *b, double x)
{
	if (!isfinite(x))
		return grace_buf_adds(b, "0");
	return grace_buf_addf(b, "%.17g", x);
}

static size_t
ring_size(const struct hd_det *dt)
{
	return dt->ring;
}

int
grace_detect_save(const struct grace_detect *s, struct grace_buf *out,
    struct grace_err *e)
{
	const struct grace_detectors *d = s->d;
	size_t i, k, j;
	int r = 0;

	r |= grace_buf_adds(out, "{\"version\":1,\"detectors\":[");
	for (i = 0; i < d->n; i++) {
		const struct hd_det *dt = &d->v[i];
		int firstent = 1;

		r |= grace_buf_adds(out, i ? ",{\"id\":" : "{\"id\":");
		r |= grace_buf_add_jstr(out, dt->id, strlen(dt->id));
		r |= grace_buf_addf(out, ",\"kind\":\"%s\",\"entries\":[",
		    hd_kind_names[dt->kind]);
		for (k = 0; k < s->nent; k++) {
			const struct hd_entry *x = &s->ent[k];
			const struct hd_comp *cp = &s->comp[x->comp];
			size_t rs = ring_size(dt);

			if (x->det != i)
				continue;
			r |= grace_buf_adds(out, firstent ? "{\"component\":" :
			    ",{\"component\":");
			firstent = 0;
			r |= grace_buf_add_jstr(out, cp->name, cp->len);
			r |= grace_buf_addf(out, ",\"open\":%d,\"pending\":%d,"
			    "\"clearing\":%d,\"cond\":%d,\"seen\":%d,\"fired\":%lld,"
			    "\"since\":%lld,\"clear\":%lld,\"last\":%lld,\"n\":%llu,"
			    "\"due\":", x->open, x->pending, x->clearing, x->cond,
			    x->seen, (long long)x->fired_ms, (long long)x->since_ms,
			    (long long)x->clear_ms, (long long)x->last_ms,
			    (unsigned long long)x->n);
			if (x->heap >= 0)
				r |= grace_buf_addf(out, "%lld",
				    (long long)x->due_ms);
			else
				r |= grace_buf_adds(out, "null");
			r |= grace_buf_adds(out, ",\"mean\":");
			r |= add_d(out, x->mean);
			r |= grace_buf_adds(out, ",\"var\":");
			r |= add_d(out, x->var);
			r |= grace_buf_adds(out, ",\"value\":");
			r |= add_d(out, x->last);
			r |= grace_buf_adds(out, ",\"ring\":[");
			/* oldest first */
			for (j = 0; rs && j < x->rlen; j++) {
				size_t at = x->rlen < rs ? j : (x->rhead + j) % rs;

				if (j)
					r |= grace_buf_add(out, ",", 1);
				if (dt->kind == HD_SPIKE)
					r |= add_d(out, ((double *)x->ring)[at]);
				else
					r |= grace_buf_addf(out, "%lld", (long long)
					    ((int64_t *)x->ring)[at]);
			}
			r |= grace_buf_adds(out, "]}");
		}
		r |= grace_buf_adds(out, "]}");
	}
	r |= grace_buf_adds(out, "]}\n");
	return r ? grace_err_sys(e, NULL, "out of memory") : 0;
}

/* A time or count from the document, clamped to +-2^53 (what a double
 * holds exactly; far beyond any event's time in ms), so that the sums
 * detection does with it never overflow. */
static int64_t
clamp_i64(double x)
{
	const double lim = 9007199254740992.0;

	if (!(x == x))
		return 0;
	return (int64_t)(x > lim ? lim : x < -lim ? -lim : x);
}

static int
bad(struct grace_err *e, const char *file, const char *what)
{
	grace_err_set(e, file, 0, 0, "malformed detection state: %s", what);
	e->code = GRACE_EXIT_USAGE;
	return -1;
}

/* Member key of object o (borrowed) as a number: 1 with *out, or 0 for
 * a value of another kind (or absent). */
static int
num(jv o, const char *key, double *out)
{
	jv v = jv_object_get(jv_copy(o), jv_string(key));
	int ok = jv_get_kind(v) == JV_KIND_NUMBER;

	if (ok)
		*out = jv_number_value(v);
	jv_free(v);
	return ok;
}

static int
restore_entry(struct grace_detect *s, uint32_t det, jv x, const char *file,
    struct grace_err *e)
{
	const struct hd_det *dt = &s->d->v[det];
	static const char *const keys[] = { "open", "pending", "clearing",
		"cond", "seen", "fired", "since", "clear", "last", "n", "mean",
		"var", "value" };
	double f[13], due = 0;
	jv c, ring, dv;
	struct hd_entry *en;
	uint32_t comp;
	long ei;
	size_t i, rs = ring_size(dt), nr, from;
	int has_due;

	if (jv_get_kind(x) != JV_KIND_OBJECT)
		return bad(e, file, "an entry is not an object");
	c = jv_object_get(jv_copy(x), jv_string("component"));
	if (jv_get_kind(c) != JV_KIND_STRING ||
	    jv_string_length_bytes(jv_copy(c)) == 0) {
		jv_free(c);
		return bad(e, file, "an entry has no component");
	}
	for (i = 0; i < 13; i++)
		if (!num(x, keys[i], &f[i])) {
			jv_free(c);
			grace_err_set(e, file, 0, 0, "malformed detection state: "
			    "entry member '%s' is not a number", keys[i]);
			e->code = GRACE_EXIT_USAGE;
			return -1;
		}
	dv = jv_object_get(jv_copy(x), jv_string("due"));
	has_due = jv_get_kind(dv) == JV_KIND_NUMBER;
	if (has_due)
		due = jv_number_value(dv);
	else if (jv_get_kind(dv) != JV_KIND_NULL) {
		jv_free(dv);
		jv_free(c);
		return bad(e, file, "entry member 'due' is not a number or null");
	}
	jv_free(dv);
	ring = jv_object_get(jv_copy(x), jv_string("ring"));
	if (jv_get_kind(ring) != JV_KIND_ARRAY) {
		jv_free(ring);
		jv_free(c);
		return bad(e, file, "entry member 'ring' is not an array");
	}
	comp = hd_comp_get(s, jv_string_value(c),
	    (size_t)jv_string_length_bytes(jv_copy(c)));
	jv_free(c);
	if (comp == NONE || hd_heap_room(s, 1) < 0 ||
	    (ei = hd_entry_get(s, det, comp)) < 0) {
		jv_free(ring);
		return grace_err_sys(e, file, "out of memory");
	}
	en = &s->ent[ei];
	if (en->open || en->seen || en->n) {
		jv_free(ring);
		return bad(e, file, "an entry appears twice");
	}
	en->open = f[0] != 0;
	en->pending = f[1] != 0;
	en->clearing = f[2] != 0;
	en->cond = f[3] != 0;
	en->seen = f[4] != 0;
	en->fired_ms = clamp_i64(f[5]);
	en->since_ms = clamp_i64(f[6]);
	en->clear_ms = clamp_i64(f[7]);
	en->last_ms = clamp_i64(f[8]);
	en->n = f[9] > 0 ? (uint64_t)clamp_i64(f[9]) : 0; /* <= HD_MAX_N */
	en->mean = isfinite(f[10]) ? f[10] : 0;
	en->var = isfinite(f[11]) && f[11] > 0 ? f[11] : 0;
	en->last = isfinite(f[12]) ? f[12] : 0;
	nr = (size_t)jv_array_length(jv_copy(ring));
	from = rs && nr > rs ? nr - rs : 0;
	for (i = from; rs && i < nr; i++) {
		jv v = jv_array_get(jv_copy(ring), (int)i);

		if (jv_get_kind(v) != JV_KIND_NUMBER) {
			jv_free(v);
			jv_free(ring);
			return bad(e, file, "a ring holds something not a number");
		}
		if (dt->kind == HD_SPIKE)
			((double *)en->ring)[i - from] = jv_number_value(v);
		else
			((int64_t *)en->ring)[i - from] =
			    clamp_i64(jv_number_value(v));
		jv_free(v);
	}
	jv_free(ring);
	if (rs) {
		en->rlen = (uint32_t)(nr - from);
		en->rhead = (uint32_t)((nr - from) % rs);
	}
	if (en->open)
		hd_open_link(s, (uint32_t)ei);
	if (has_due)
		hd_timer_set(s, (uint32_t)ei, clamp_i64(due));
	return 0;
}

int
grace_detect_restore(struct grace_detect *s, const char *p, size_t n,
    const char *file, struct grace_err *e)
{
	jv doc = grace_jv_parse(p, n), dets, ver;
	int i, nd, rc = 0;

	if (!jv_is_valid(doc)) {
		jv msg = jv_invalid_get_msg(doc);

		grace_err_set(e, file, 0, 0, "malformed detection state: %s",
		    jv_get_kind(msg) == JV_KIND_STRING ? jv_string_value(msg) :
		    "not JSON");
		e->code = GRACE_EXIT_USAGE;
		jv_free(msg);
		return -1;
	}
	if (jv_get_kind(doc) != JV_KIND_OBJECT) {
		jv_free(doc);
		return bad(e, file, "not a JSON object");
	}
	ver = jv_object_get(jv_copy(doc), jv_string("version"));
	if (jv_get_kind(ver) != JV_KIND_NUMBER || jv_number_value(ver) != 1) {
		jv_free(ver);
		jv_free(doc);
		return bad(e, file, "version is not 1");
	}
	jv_free(ver);
	dets = jv_object_get(doc, jv_string("detectors"));
	if (jv_get_kind(dets) != JV_KIND_ARRAY) {
		jv_free(dets);
		return bad(e, file, "'detectors' is not an array");
	}
	nd = jv_array_length(jv_copy(dets));
	for (i = 0; i < nd && rc == 0; i++) {
		jv dj = jv_array_get(jv_copy(dets), i), id, kind, ents;
		size_t k;
		int j, ne;

		if (jv_get_kind(dj) != JV_KIND_OBJECT) {
			jv_free(dj);
			rc = bad(e, file, "a detector is not an object");
			break;
		}
		id = jv_object_get(jv_copy(dj), jv_string("id"));
		kind = jv_object_get(jv_copy(dj), jv_string("kind"));
		ents = jv_object_get(dj, jv_string("entries"));
		if (jv_get_kind(id) != JV_KIND_STRING ||
		    jv_get_kind(kind) != JV_KIND_STRING ||
		    jv_get_kind(ents) != JV_KIND_ARRAY) {
			rc = bad(e, file, "a detector lacks id, kind or entries");
			goto next;
		}
		/* what still applies: the same id and kind */
		for (k = 0; k < s->d->n; k++)
			if (strcmp(s->d->v[k].id, jv_string_value(id)) == 0 &&
			    strcmp(hd_kind_names[s->d->v[k].kind],
			    jv_string_value(kind)) == 0)
				break;
		if (k == s->d->n)
			goto next;
		ne = jv_array_length(jv_copy(ents));
		for (j = 0; j < ne && rc == 0; j++) {
			jv ej = jv_array_get(jv_copy(ents), j);

			rc = restore_entry(s, (uint32_t)k, ej, file, e);
			jv_free(ej);
		}
next:
		jv_free(id);
		jv_free(kind);
		jv_free(ents);
	}
	jv_free(dets);
	return rc;
}
