/* pending.c - the requests held for review (grace-gate --pending): what
 * an approver, or a chat bot, reads to know what waits for whom.
 *
 * Requests and votes come in one stream, from events or from the records
 * of a grace-log log, in any order: every request is judged once when it
 * comes (to keep only those that can be held), and those that were held
 * are judged again at the end, with every vote of the stream counted.
 * The last request of an id stands for it.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gate_int.h"
#include "timeutil.h"

struct held {
	char *id;
	char *ev;                   /* the request, its own bytes */
	size_t n;
	char *input;
	unsigned long line;
};

struct grace_pending {
	struct grace_gov *gov;
	struct grace_votes *live;   /* votes of the stream, then the files' */
	struct held *v;
	size_t n, cap;
	struct grace_gov_verdict verdict;
};

struct grace_pending *
grace_pending_new(struct grace_gov *g, const struct grace_votes *files)
{
	struct grace_pending *pd = calloc(1, sizeof *pd);

	if (!pd || !(pd->live = grace_votes_new())) {
		free(pd);
		return NULL;
	}
	pd->gov = g;
	grace_votes_chain(pd->live, files);
	grace_gov_verdict_init(&pd->verdict);
	return pd;
}

void
grace_pending_free(struct grace_pending *pd)
{
	size_t i;

	if (!pd)
		return;
	for (i = 0; i < pd->n; i++) {
		free(pd->v[i].id);
		free(pd->v[i].ev);
		free(pd->v[i].input);
	}
	free(pd->v);
	grace_votes_free(pd->live);
	grace_gov_verdict_free(&pd->verdict);
	free(pd);
}

static int
hold(struct grace_pending *pd, const char *id, size_t idlen, const char *p,
    size_t n, const char *input, unsigned long line)
{
	struct held *h;
	size_t i;

	/* the latest request of an id stands for it, in its place */
	for (i = 0; i < pd->n; i++)
		if (strlen(pd->v[i].id) == idlen &&
		    memcmp(pd->v[i].id, id, idlen) == 0) {
			free(pd->v[i].id);
			free(pd->v[i].ev);
			free(pd->v[i].input);
			memmove(&pd->v[i], &pd->v[i + 1],
			    (pd->n - i - 1) * sizeof *pd->v);
			pd->n--;
			break;
		}
	if (pd->n == pd->cap) {
		size_t nc = pd->cap ? pd->cap * 2 : 16;
		struct held *nv = realloc(pd->v, nc * sizeof *nv);

		if (!nv)
			return -1;
		pd->v = nv;
		pd->cap = nc;
	}
	h = &pd->v[pd->n];
	memset(h, 0, sizeof *h);
	if (!(h->id = malloc(idlen + 1)) || !(h->ev = malloc(n + 1)) ||
	    !(h->input = strdup(input))) {
		free(h->id);
		free(h->ev);
		return -1;
	}
	memcpy(h->id, id, idlen);
	h->id[idlen] = '\0';
	memcpy(h->ev, p, n);
	h->ev[n] = '\0';
	h->n = n;
	h->line = line;
	pd->n++;
	return 0;
}

int
grace_pending_add(struct grace_pending *pd, const struct grace_gov_opts *o,
    const char *p, size_t n, const char *input, unsigned long line,
    struct grace_err *e)
{
	static const char *const keys[] = { "event", "prev", "type", "id" };
	struct grace_jspan f[4];
	struct grace_buf id = {0};
	struct grace_gov_opts lo;
	int r;

	if (grace_json_scan(p, n, keys, 4, f, input, line, e) < 0)
		return -1;
	if (f[0].kind == GRACE_J_OBJECT && f[1].kind == GRACE_J_STRING)
		/* a grace-log record: its event is the request (or vote) */
		return grace_pending_add(pd, o, p + f[0].off, f[0].len, input,
		    line, e);
	if ((r = grace_votes_add_json(pd->live, p, n, input, line, e)) != 0)
		return r < 0 ? -1 : 0;
	if (f[3].kind != GRACE_J_STRING)
		return 0;           /* no id: it could never be approved */
	lo = *o;
	lo.votes = pd->live;        /* the stream's votes, then the files' */
	if (grace_gov_judge(pd->gov, &lo, p, n, &pd->verdict, e) < 0)
		return -1;
	if (pd->verdict.decision != GRACE_GOV_REVIEW)
		return 0;
	if (grace_json_unescape(&id, p + f[3].off, f[3].len) < 0 ||
	    hold(pd, id.p, id.len, p, n, input, line) < 0) {
		grace_buf_free(&id);
		return grace_err_sys(e, NULL, "out of memory");
	}
	grace_buf_free(&id);
	return 0;
}

/* names: count NUL-terminated names, as a JSON array or "a, b". */
static int
names(struct grace_buf *out, const struct grace_buf *b, size_t count,
    int json)
{
	const char *s = b->p;
	size_t i;
	int x = 0;

	if (json)
		x |= grace_buf_adds(out, "[");
	else if (!count)
		x |= grace_buf_adds(out, "none");
	for (i = 0; i < count; i++) {
		size_t l = strlen(s);

		if (i)
			x |= grace_buf_adds(out, json ? "," : ", ");
		x |= json ? grace_buf_add_jstr(out, s, l) : grace_buf_add(out, s, l);
		s += l + 1;
	}
	if (json)
		x |= grace_buf_adds(out, "]");
	return x;
}

/* The text of the member k of p[0..n) (a string unescaped; else as
 * written; "" when absent). */
static void
member_text(const char *p, size_t n, const char *k, struct grace_buf *b)
{
	const char *keys[1] = { k };
	struct grace_jspan f;

	grace_buf_reset(b);
	if (grace_json_scan(p, n, keys, 1, &f, NULL, 0, NULL) == 0 &&
	    f.kind == GRACE_J_STRING)
		grace_json_unescape(b, p + f.off, f.len);
	else
		grace_buf_add(b, "", 0);
}

int
grace_pending_list(struct grace_pending *pd, const struct grace_gov_opts *o,
    int json, struct grace_buf *out, size_t *count, struct grace_err *e)
{
	struct grace_buf type = {0}, actor = {0}, exp = {0};
	static const char *const dk[] = { "data" };
	struct grace_gov_verdict *v = &pd->verdict;
	struct grace_gov_opts lo;
	char valid[GRACE_DURATION_LEN];
	size_t i;
	int x = 0;

	*count = 0;
	lo = *o;
	lo.votes = pd->live;
	for (i = 0; i < pd->n; i++) {
		const struct held *h = &pd->v[i];
		struct grace_jspan d;
		int expired;

		if (grace_gov_judge(pd->gov, &lo, h->ev, h->n, v, e) < 0)
			return -1;
		if (v->decision != GRACE_GOV_REVIEW)
			continue;   /* the votes of the stream settled it */
		(*count)++;
		member_text(h->ev, h->n, "type", &type);
		member_text(h->ev, h->n, "actor", &actor);
		grace_buf_reset(&exp);
		if (grace_json_scan(h->ev, h->n, dk, 1, &d, NULL, 0, NULL) == 0 &&
		    d.kind == GRACE_J_OBJECT)
			member_text(h->ev + d.off, d.len, "expires", &exp);
		{
			struct timespec ts;

			expired = exp.len && grace_time_parse(exp.p, exp.len, &ts,
			    NULL) == 0 && (int64_t)ts.tv_sec * 1000 +
			    ts.tv_nsec / 1000000 <= o->now_ms;
		}
		if (v->votes_valid_ms <= 0 || grace_duration_format(
		    v->votes_valid_ms, valid, sizeof valid) < 0)
			strcpy(valid, "");
		if (json) {
			x |= grace_buf_adds(out, "{\"id\":");
			x |= grace_buf_add_jstr(out, h->id, strlen(h->id));
			x |= grace_buf_adds(out, ",\"type\":");
			x |= grace_buf_add_jstr(out, type.p, type.len);
			x |= grace_buf_adds(out, ",\"actor\":");
			x |= grace_buf_add_jstr(out, actor.p, actor.len);
			x |= grace_buf_adds(out, ",\"input\":");
			x |= grace_buf_add_jstr(out, h->input, strlen(h->input));
			x |= grace_buf_addf(out, ",\"line\":%lu,\"needed\":%zu,"
			    "\"have\":%zu,\"voted\":", h->line, v->needed, v->have);
			x |= names(out, &v->voted, v->nvoted, 1);
			x |= grace_buf_adds(out, ",\"missing\":");
			x |= names(out, &v->missing, v->nmissing, 1);
			x |= grace_buf_adds(out, ",\"votes_count_for\":");
			if (*valid)
				x |= grace_buf_addf(out, "\"%s\"", valid);
			else
				x |= grace_buf_adds(out, "null");
			x |= grace_buf_adds(out, ",\"expires\":");
			if (exp.len)
				x |= grace_buf_add_jstr(out, exp.p, exp.len);
			else
				x |= grace_buf_adds(out, "null");
			x |= grace_buf_addf(out, ",\"expired\":%s", expired ?
			    "true" : "false");
			x |= grace_buf_adds(out, ",\"gate\":");
			x |= grace_buf_add(out, v->json.p, v->json.len);
			x |= grace_buf_adds(out, "}\n");
		} else {
			x |= grace_buf_addf(out, "%s: %s", h->id,
			    type.len ? type.p : "(no type)");
			if (actor.len)
				x |= grace_buf_addf(out, " by %s", actor.p);
			x |= grace_buf_addf(out, ": %zu of %zu approval%s; voted: ",
			    v->have, v->needed, v->needed == 1 ? "" : "s");
			x |= names(out, &v->voted, v->nvoted, 0);
			x |= grace_buf_adds(out, "; waiting for: ");
			x |= names(out, &v->missing, v->nmissing, 0);
			if (*valid)
				x |= grace_buf_addf(out, "; a vote counts for %s",
				    valid);
			if (exp.len)
				x |= grace_buf_addf(out, "; %s %s", expired ?
				    "expired" : "expires", exp.p);
			x |= grace_buf_addf(out, " (%s:%lu: %s)\n", h->input,
			    h->line, v->reason.p ? v->reason.p : "");
		}
	}
	grace_buf_free(&type);
	grace_buf_free(&actor);
	grace_buf_free(&exp);
	return x ? grace_err_sys(e, NULL, "out of memory") : 0;
}
