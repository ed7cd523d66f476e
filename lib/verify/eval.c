/* eval.c - evaluating one event against the loaded contracts: the
 * contexts, choosing the contract, its jq (native or libjq) expressions,
 * the inline checks, confidence and the verdict that is spliced into the
 * event (verify.h). The contracts file is loaded by contracts.c; the checks
 * that do more than look at the event run in checks.c. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "verify.h"
#include "timeutil.h"
#include "verify_int.h"

/* ------------------------------------------------------------ contexts */

struct grace_vctx *
grace_vctx_new(const struct grace_contracts *c)
{
	struct grace_vctx *x = calloc(1, sizeof *x);

	if (!x)
		return NULL;
	x->c = c;
	x->progs = calloc(c->n ? c->n : 1, sizeof *x->progs);
	x->json = calloc(c->njson ? c->njson : 1, sizeof *x->json);
	if (!x->progs || !x->json) {
		grace_vctx_free(x);
		return NULL;
	}
	return x;
}

void
grace_vctx_free(struct grace_vctx *x)
{
	size_t i;

	if (!x)
		return;
	for (i = 0; x->progs && i < x->c->n; i++)
		grace_jq_free(x->progs[i]);
	for (i = 0; x->json && i < x->c->njson; i++)
		grace_jq_free(x->json[i]);
	free(x->progs);
	free(x->json);
	free(x->spans);
	grace_buf_free(&x->scratch);
	free(x);
}

/* --------------------------------------------------------------- events */

struct grace_vevent *
grace_vevent_new(void)
{
	return calloc(1, sizeof(struct grace_vevent));
}

void
grace_vevent_free(struct grace_vevent *v)
{
	size_t i;

	if (!v)
		return;
	for (i = 0; i < v->crcap; i++) {
		grace_buf_free(&v->cr[i].msg);
		grace_buf_free(&v->cr[i].extra);
	}
	free(v->cr);
	free(v->sv);
	grace_buf_free(&v->copy);
	grace_buf_free(&v->arena);
	grace_buf_free(&v->id);
	grace_buf_free(&v->type);
	grace_buf_free(&v->error);
	free(v);
}

const char *
grace_vstatus_name(enum grace_vstatus s)
{
	switch (s) {
	case GRACE_VS_VERIFIED: return "verified";
	case GRACE_VS_FAILED: return "failed";
	case GRACE_VS_INCONCLUSIVE: return "inconclusive";
	default: return "none";
	}
}

static const char *
bufstr(const struct grace_buf *b)
{
	return b->len ? b->p : "";
}

const char *
grace_vevent_contract(const struct grace_vevent *v)
{
	return v->k ? v->k->id : NULL;
}

const char *
grace_vevent_error(const struct grace_vevent *v)
{
	return v->has_error ? bufstr(&v->error) : NULL;
}

const char *
grace_vevent_id(const struct grace_vevent *v)
{
	return bufstr(&v->id);
}

const char *
grace_vevent_type(const struct grace_vevent *v)
{
	return bufstr(&v->type);
}

const char *
grace_vevent_event(const struct grace_vevent *v, size_t *n)
{
	*n = v->n;
	return v->ev;
}

double
grace_vevent_confidence(const struct grace_vevent *v)
{
	return v->confidence;
}

size_t
grace_vevent_nchecks(const struct grace_vevent *v)
{
	return v->k ? v->k->nchecks : 0;
}

int
grace_vevent_pending(const struct grace_vevent *v, size_t i)
{
	return v->k && i < v->k->nchecks && v->cr[i].pending;
}

void
grace_vevent_run(struct grace_vevent *v, struct grace_vctx *x, size_t i)
{
	if (grace_vevent_pending(v, i))
		grace_vcheck_run(v, x, i);
}

/* Make room for the slots and check results of k. */
static int
grow(struct grace_vevent *v, const struct contract *k)
{
	size_t i;

	if (k->nslots > v->svcap) {
		struct sval *ns = realloc(v->sv, k->nslots * sizeof *ns);

		if (!ns)
			return -1;
		v->sv = ns;
		v->svcap = k->nslots;
	}
	if (k->nchecks > v->crcap) {
		struct cres *nc = realloc(v->cr, k->nchecks * sizeof *nc);

		if (!nc)
			return -1;
		memset(nc + v->crcap, 0, (k->nchecks - v->crcap) * sizeof *nc);
		v->cr = nc;
		v->crcap = k->nchecks;
	}
	for (i = 0; i < k->nchecks; i++) {
		struct cres *r = &v->cr[i];

		grace_buf_reset(&r->msg);
		grace_buf_reset(&r->extra);
		memset(r->in_set, 0, sizeof r->in_set);
		r->pending = 0;
		r->res = VR_PASS;
		r->ms = 0;
		r->env_n = r->env_len = 0;
	}
	return 0;
}

/* Text of a string or number member of the event into out. */
static int
member_text(struct grace_buf *out, const char *ev, const struct grace_jspan *s)
{
	grace_buf_reset(out);
	if (s->kind == GRACE_J_STRING)
		return grace_json_unescape(out, ev + s->off, s->len);
	if (s->kind == GRACE_J_NUMBER)
		return grace_buf_add(out, ev + s->off, s->len);
	return grace_buf_add(out, "", 0);
}

/* Evaluate every slot of k natively. Returns 1 applies, 0 when false,
 * 2 to bail to libjq. */
static int
eval_native(struct grace_vevent *v, struct grace_vctx *x,
    const struct contract *k, const struct grace_jspan *found)
{
	size_t i, need = grace_jqn_paths_size(k->paths);

	if (need > x->spancap) {
		struct grace_jspan *ns = realloc(x->spans, need * sizeof *ns);

		if (!ns)
			return 2;
		x->spans = ns;
		x->spancap = need;
	}
	if (grace_jqn_resolve(k->paths, v->ev, v->n, found, x->spans))
		return 2;
	if (k->when >= 0) {
		struct grace_jqn_val w;

		if (grace_jqn_eval(k->slots[k->when].native, v->ev, x->spans, &w))
			return 2;
		if (!grace_jqn_truthy(&w))
			return 0;
	}
	for (i = 0; i < k->nslots; i++) {
		struct grace_jqn_val r;
		struct sval *s = &v->sv[i];

		if (grace_jqn_eval(k->slots[i].native, v->ev, x->spans, &r))
			return 2;
		s->state = SV_VAL;
		s->kind = r.kind;
		s->arena = 0;
		s->p = r.p;
		s->n = r.n;
	}
	return 1;
}

static void
sv_err(struct grace_vevent *v, struct sval *s, const char *msg)
{
	s->state = SV_ERR;
	s->arena = 1;
	s->off = v->arena.len;
	grace_buf_adds(&v->arena, msg);
	s->n = v->arena.len - s->off;
	grace_buf_add(&v->arena, "", 1);
}

/* Set slot s from one element of the program's output (consumes el). */
static void
sv_from(struct grace_vevent *v, struct sval *s, jv el)
{
	jv_kind k = jv_get_kind(el);

	if (k == JV_KIND_ARRAY) {
		int len = jv_array_length(jv_copy(el));

		if (len == 0) {
			s->state = SV_NONE;
			jv_free(el);
			return;
		}
		el = jv_array_get(el, 0);
		s->state = SV_VAL;
		s->arena = 1;
		switch (jv_get_kind(el)) {
		case JV_KIND_NULL: s->kind = GRACE_J_NULL; break;
		case JV_KIND_FALSE: s->kind = GRACE_J_FALSE; break;
		case JV_KIND_TRUE: s->kind = GRACE_J_TRUE; break;
		case JV_KIND_NUMBER: s->kind = GRACE_J_NUMBER; break;
		case JV_KIND_STRING: s->kind = GRACE_J_STRING; break;
		case JV_KIND_ARRAY: s->kind = GRACE_J_ARRAY; break;
		default: s->kind = GRACE_J_OBJECT; break;
		}
		el = jv_dump_string(el, 0);
		s->off = v->arena.len;
		grace_buf_adds(&v->arena, jv_string_value(el));
		s->n = v->arena.len - s->off;
		grace_buf_add(&v->arena, "", 1);
		jv_free(el);
		return;
	}
	if (k == JV_KIND_OBJECT) {
		jv m = jv_object_get(el, jv_string("e"));
		char buf[900];

		snprintf(buf, sizeof buf, "jq: error: %s",
		    jv_get_kind(m) == JV_KIND_STRING ? jv_string_value(m) :
		    "(unknown)");
		sv_err(v, s, buf);
		jv_free(m);
		return;
	}
	jv_free(el);
	sv_err(v, s, "jq: internal error: unexpected program output");
}

static int
truthy(const struct sval *s)
{
	return s->state == SV_VAL && s->kind != GRACE_J_NONE &&
	    s->kind != GRACE_J_NULL && s->kind != GRACE_J_FALSE;
}

/* Evaluate every slot of k with libjq. Returns 1 applies, 0 when false,
 * -1 when the `when` failed (v->error set). */
static int
eval_jq(struct grace_vevent *v, struct grace_vctx *x, size_t ki)
{
	const struct contract *k = &x->c->v[ki];
	struct grace_err e;
	jv in, out;
	size_t i;
	int r;

	if (!x->progs[ki]) {
		x->progs[ki] = grace_jq_compile_program(k->program, k->file, k->line,
		    k->col, &e);
		if (!x->progs[ki]) {
			grace_buf_reset(&v->error);
			grace_buf_addf(&v->error, "contract '%s': %s", k->id, e.msg);
			v->has_error = 1;
			return -1;
		}
	}
	in = grace_jv_parse(v->ev, v->n);
	r = grace_jq_first(x->progs[ki], in, &out, &e);
	if (r <= 0) {
		grace_buf_reset(&v->error);
		grace_buf_addf(&v->error, "contract '%s': %s", k->id,
		    r < 0 ? e.msg : "jq: no output");
		v->has_error = 1;
		return -1;
	}
	if (k->when >= 0) {
		jv w = jv_array_get(jv_copy(out), 0);

		sv_from(v, &v->sv[k->when], w);
		if (v->sv[k->when].state == SV_ERR) {
			grace_buf_reset(&v->error);
			grace_buf_addf(&v->error, "contract '%s': when: %s", k->id,
			    grace_vsv_text(v, &v->sv[k->when]));
			v->has_error = 1;
			jv_free(out);
			return -1;
		}
		if (!truthy(&v->sv[k->when])) {
			jv_free(out);
			return 0;
		}
	}
	for (i = 0; i < k->nslots; i++) {
		if ((int)i == k->when)
			continue;
		sv_from(v, &v->sv[i], jv_array_get(jv_copy(out), (int)i));
	}
	jv_free(out);
	return 1;
}

/* A jq check from its slot. */
static void
jq_check(struct grace_vevent *v, const struct check *ck, struct cres *r)
{
	const struct sval *s = &v->sv[ck->slot];
	const char *src = v->k->slots[ck->slot].src;

	if (s->state == SV_ERR) {
		r->res = VR_ERROR;
		grace_buf_adds(&r->msg, grace_vsv_text(v, s));
		return;
	}
	if (truthy(s))
		return;
	r->res = VR_FAIL;
	if (ck->message)
		grace_buf_addf(&r->msg, "%s: ", ck->message);
	grace_buf_addf(&r->msg, "%.100s%s ", src, strlen(src) > 100 ? "..." : "");
	if (s->state == SV_NONE)
		grace_buf_adds(&r->msg, "gave no output");
	else if (s->kind == GRACE_J_FALSE)
		grace_buf_adds(&r->msg, "is false");
	else
		grace_buf_adds(&r->msg, "is null");
}

/* The text of vsrc src into the arena as input slot `which` of r; an
 * unusable value makes the check an error. Returns 0 or -1. */
static int
input(struct grace_vevent *v, const struct vsrc *src, const char *what,
    struct cres *r, int which)
{
	size_t off = v->arena.len;

	if (src->slot < 0) {
		if (!src->lit)
			return 0;
		grace_buf_adds(&v->arena, src->lit);
	} else {
		const struct sval *s = &v->sv[src->slot];
		const char *expr = v->k->slots[src->slot].src;
		int is_null = 0;

		if (s->state == SV_VAL && s->kind != GRACE_J_STRING &&
		    s->kind != GRACE_J_NULL && s->kind != GRACE_J_NONE) {
			r->res = VR_ERROR;
			grace_buf_addf(&r->msg, "%s %.80s is %s, not a string", what,
			    expr, s->kind == GRACE_J_NUMBER ? "a number" :
			    grace_json_kind_name(s->kind));
			return -1;
		}
		if (grace_vslot_text(v, src->slot, &v->arena, &is_null) < 0 ||
		    is_null) {
			r->res = VR_ERROR;
			if (s->state == SV_ERR)
				grace_buf_addf(&r->msg, "%s %.80s: %s", what, expr,
				    grace_vsv_text(v, s));
			else
				grace_buf_addf(&r->msg, "%s %.80s %s", what, expr,
				    s->state == SV_NONE ? "gave no output" : "is null");
			v->arena.len = off;
			return -1;
		}
		if (memchr(v->arena.p + off, '\0', v->arena.len - off)) {
			r->res = VR_ERROR;
			grace_buf_addf(&r->msg, "%s %.80s holds a NUL byte", what,
			    expr);
			v->arena.len = off;
			return -1;
		}
	}
	r->in_set[which] = 1;
	r->in_off[which] = off;
	r->in_len[which] = v->arena.len - off;
	grace_buf_add(&v->arena, "", 1);
	return 0;
}

/* Everything a slow check needs from the event, into r's inputs. */
static void
inputs(struct grace_vevent *v, const struct check *ck, struct cres *r)
{
	size_t i;

	switch (ck->kind) {
	case VK_EXEC:
		r->env_off = v->arena.len;
		for (i = 0; i < ck->nenv; i++) {
			size_t start = v->arena.len;
			int is_null = 0;
			const struct sval *s = &v->sv[ck->env_slots[i]];

			grace_buf_addf(&v->arena, "%s=", ck->env_names[i]);
			if (grace_vslot_text(v, ck->env_slots[i], &v->arena,
			    &is_null) < 0 && s->state == SV_ERR) {
				v->arena.len = start;
				r->res = VR_ERROR;
				grace_buf_addf(&r->msg, "env %s: %s",
				    ck->env_names[i], grace_vsv_text(v, s));
				return;
			}
			if (is_null || s->state != SV_VAL) {
				v->arena.len = start; /* null: not set */
				continue;
			}
			if (memchr(v->arena.p + start, '\0', v->arena.len - start)) {
				v->arena.len = start;
				r->res = VR_ERROR;
				grace_buf_addf(&r->msg, "env %s: the value holds a NUL "
				    "byte, which an environment variable cannot "
				    "carry", ck->env_names[i]);
				return;
			}
			grace_buf_add(&v->arena, "", 1);
			r->env_n++;
		}
		r->env_len = v->arena.len - r->env_off;
		break;
	case VK_DIGEST:
		if (input(v, &ck->file, "file", r, 0) < 0 ||
		    input(v, &ck->expected, "expected", r, 1) < 0)
			return;
		break;
	case VK_SIGNATURE:
		if (input(v, &ck->file, "file", r, 0) < 0 ||
		    input(v, &ck->sigfile, "signature", r, 1) < 0)
			return;
		break;
	case VK_BASELINE: {
		const struct sval *s = &v->sv[ck->metric_slot];
		const char *expr = v->k->slots[ck->metric_slot].src;

		if (input(v, &ck->key, "key", r, 0) < 0)
			return;
		if (s->state == SV_ERR) {
			r->res = VR_ERROR;
			grace_buf_addf(&r->msg, "metric %.80s: %s", expr,
			    grace_vsv_text(v, s));
			return;
		}
		if (s->state != SV_VAL || s->kind != GRACE_J_NUMBER) {
			r->res = VR_ERROR;
			grace_buf_addf(&r->msg, "metric %.80s is %s, not a number",
			    expr, s->state != SV_VAL ? "missing (no output)" :
			    s->kind == GRACE_J_NONE ? "null" :
			    grace_json_kind_name(s->kind));
			return;
		}
		r->num = strtod(grace_vsv_text(v, s), NULL);
		break;
	}
	case VK_SCAN:
		if (ck->snippet_slot >= 0) {
			struct vsrc sn = { NULL, ck->snippet_slot };

			if (input(v, &sn, "snippet", r, 0) < 0)
				return;
		} else if (input(v, &ck->file, "file", r, 0) < 0) {
			return;
		}
		break;
	default:
		return;
	}
	r->pending = 1;
}

int
grace_vevent_prepare(struct grace_vevent *v, struct grace_vctx *x,
    const struct grace_contracts *c, const char *ev, size_t n,
    const struct grace_jspan *found, int copy, struct grace_err *e)
{
	const struct grace_jspan *ts = &found[GRACE_VKEY_TYPE];
	const struct tindex *hit = NULL;
	const char *t = NULL;
	size_t tn = 0, ie = 0, iw = 0, i;
	int has_type = ts->kind == GRACE_J_STRING;
	double t0;

	v->c = c;
	v->k = NULL;
	v->has_error = 0;
	v->status = GRACE_VS_NONE;
	v->confidence = 0;
	grace_buf_reset(&v->arena);
	grace_buf_reset(&v->error);
	if (copy) {
		grace_buf_reset(&v->copy);
		if (grace_buf_add(&v->copy, ev, n) < 0)
			return grace_err_sys(e, NULL, "unable to verify");
		ev = v->copy.p;
	}
	v->ev = ev;
	v->n = n;
	if (member_text(&v->type, ev, ts) < 0 ||
	    member_text(&v->id, ev, &found[GRACE_VKEY_ID]) < 0)
		return grace_err_sys(e, NULL, "unable to verify");
	if (has_type) {
		if (memchr(ev + ts->off, '\\', ts->len)) {
			t = v->type.p;
			tn = v->type.len;
		} else {
			t = ev + ts->off + 1;
			tn = ts->len - 2;
		}
		hit = grace_vindex_find(c, t, tn);
		if (hit && !hit->type)
			hit = NULL;
	}
	t0 = grace_mono_ms();
	/* Candidates in file order: the type's list merged with the wild. */
	for (;;) {
		size_t ki;
		const struct contract *k;
		int r = 2;

		if (hit && ie < hit->n && (iw >= c->nwild || hit->list[ie] <
		    c->wild[iw]))
			ki = hit->list[ie++];
		else if (iw < c->nwild)
			ki = c->wild[iw++];
		else
			break;
		k = &c->v[ki];
		if (k->wild && !grace_vtype_matches(k, t, tn, has_type))
			continue;
		if (grow(v, k) < 0)
			return grace_err_sys(e, NULL, "unable to verify");
		v->k = k;
		if (k->all_native)
			r = eval_native(v, x, k, found);
		if (r == 2) {
			grace_buf_reset(&v->arena);
			r = eval_jq(v, x, ki);
		}
		if (r == 0) {
			v->k = NULL;
			continue;
		}
		if (r < 0)
			return 1; /* v->error says why */
		break;
	}
	if (!v->k)
		return 0;
	{
		const struct contract *k = v->k;
		double share;

		for (i = 0; i < k->nchecks; i++) {
			const struct check *ck = &k->checks[i];

			if (ck->kind == VK_JQ)
				jq_check(v, ck, &v->cr[i]);
			else if (ck->kind == VK_CONTRACT)
				grace_vcheck_contract(v, ck, &v->cr[i]);
			else
				inputs(v, ck, &v->cr[i]);
		}
		/* jq and contract checks ran together: each gets its share. */
		share = k->ninline ? (grace_mono_ms() - t0) / (double)k->ninline : 0;
		for (i = 0; i < k->nchecks; i++)
			if (!v->cr[i].pending)
				v->cr[i].ms = share;
	}
	return 1;
}

/* ------------------------------------------------------------ verdicts */

/* Append x with at most `dec` decimals, trailing zeros dropped. */
static void
add_fixed(struct grace_buf *b, double x, int dec)
{
	double scale = 1;
	unsigned long long v, ip, fp;
	int i, neg = x < 0;
	char frac[16];

	for (i = 0; i < dec; i++)
		scale *= 10;
	if (neg)
		x = -x;
	if (!isfinite(x) || x > 1e15) {
		grace_buf_addf(b, "%s%.0f", neg ? "-" : "", isfinite(x) ? x : 0);
		return;
	}
	v = (unsigned long long)llround(x * scale);
	ip = v / (unsigned long long)scale;
	fp = v % (unsigned long long)scale;
	if (neg && v)
		grace_buf_add(b, "-", 1);
	grace_buf_addu(b, ip);
	if (!fp)
		return;
	for (i = dec - 1; i >= 0; i--) {
		frac[i] = (char)('0' + fp % 10);
		fp /= 10;
	}
	i = dec;
	while (i > 0 && frac[i - 1] == '0')
		i--;
	grace_buf_add(b, ".", 1);
	grace_buf_add(b, frac, (size_t)i);
}

static const char *const res_names[] = { "pass", "fail", "error" };

int
grace_vevent_none_json(struct grace_buf *out)
{
	return grace_buf_adds(out, "{\"status\":\"inconclusive\",\"confidence\":0,"
	    "\"checks\":[],\"contract\":null,\"error\":\"no contract applies\"}");
}

int
grace_vevent_finish(struct grace_vevent *v, struct grace_buf *out)
{
	const struct contract *k = v->k;
	double sum = 0, got = 0;
	int any_fail = 0, any_err = 0, r = 0;
	size_t i;

	if (!k)
		return GRACE_VS_NONE;
	if (v->has_error) {
		v->status = GRACE_VS_INCONCLUSIVE;
		v->confidence = 0;
		r |= grace_buf_adds(out, "{\"status\":\"inconclusive\","
		    "\"confidence\":0,\"checks\":[],\"contract\":");
		r |= grace_buf_add_jstr(out, k->id, strlen(k->id));
		r |= grace_buf_adds(out, ",\"error\":");
		r |= grace_buf_add_jstr(out, v->error.p, v->error.len);
		r |= grace_buf_adds(out, "}");
		return r ? -1 : v->status;
	}
	for (i = 0; i < k->nchecks; i++) {
		const struct cres *c = &v->cr[i];
		double w = k->checks[i].weight;

		sum += w;
		if (c->res == VR_PASS)
			got += w;
		else if (c->res == VR_ERROR)
			got += w / 2, any_err = 1;
		else
			any_fail = 1;
	}
	v->status = any_fail ? GRACE_VS_FAILED : any_err ?
	    GRACE_VS_INCONCLUSIVE : GRACE_VS_VERIFIED;
	v->confidence = sum > 0 ? round(got / sum * 10000) / 10000 : 0;
	r |= grace_buf_adds(out, "{\"status\":\"");
	r |= grace_buf_adds(out, grace_vstatus_name(v->status));
	r |= grace_buf_adds(out, "\",\"confidence\":");
	add_fixed(out, v->confidence, 4);
	r |= grace_buf_adds(out, ",\"checks\":[");
	for (i = 0; i < k->nchecks; i++) {
		const struct check *ck = &k->checks[i];
		const struct cres *c = &v->cr[i];

		r |= grace_buf_adds(out, i ? ",{\"name\":" : "{\"name\":");
		r |= grace_buf_add_jstr(out, ck->name, strlen(ck->name));
		r |= grace_buf_adds(out, ",\"kind\":\"");
		r |= grace_buf_adds(out, grace_vkind_names[ck->kind]);
		r |= grace_buf_adds(out, "\",\"result\":\"");
		r |= grace_buf_adds(out, res_names[c->res]);
		r |= grace_buf_adds(out, "\",\"duration_ms\":");
		add_fixed(out, c->ms, 3);
		r |= grace_buf_adds(out, ",\"message\":");
		r |= grace_buf_add_jstr(out, bufstr(&c->msg), c->msg.len);
		if (c->extra.len)
			r |= grace_buf_add(out, c->extra.p, c->extra.len);
		r |= grace_buf_adds(out, "}");
	}
	r |= grace_buf_adds(out, "],\"contract\":");
	r |= grace_buf_add_jstr(out, k->id, strlen(k->id));
	r |= grace_buf_adds(out, "}");
	return r ? -1 : v->status;
}

int
grace_vevent_summary(const struct grace_vevent *v, struct grace_buf *out)
{
	const struct contract *k = v->k;
	size_t i;
	int r = 0, n = 0;

	if (!k)
		return 0;
	if (v->has_error)
		return grace_buf_add(out, v->error.p, v->error.len);
	for (i = 0; i < k->nchecks; i++) {
		const struct cres *c = &v->cr[i];

		if (c->res == VR_PASS)
			continue;
		r |= grace_buf_addf(out, "%s%s %s%s%s", n++ ? "; " : "",
		    k->checks[i].name, c->res == VR_FAIL ? "failed" : "error",
		    c->msg.len ? ": " : "", bufstr(&c->msg));
	}
	return r;
}
