/* votes.c - approvals: governance.vote events read from a file or a
 * grace-log(5) log, kept by request id, counted against a quorum. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gate_int.h"
#include "lines.h"
#include "timeutil.h"

struct vote {
	char *voter;
	int approve;
	int64_t t;        /* Unix ms */
	size_t seq;       /* order read: breaks ties between equal times */
};

struct vreq {
	char *request;    /* NULL: empty slot */
	size_t len;
	struct vote *v;
	size_t n, cap;
};

struct grace_votes {
	struct vreq *t;
	size_t cap, used, seq;
	const struct grace_votes *next;   /* counted along with these */
};

void
grace_votes_chain(struct grace_votes *v, const struct grace_votes *next)
{
	v->next = next;
}

struct grace_votes *
grace_votes_new(void)
{
	struct grace_votes *v = calloc(1, sizeof *v);

	if (v && !(v->t = calloc(16, sizeof *v->t))) {
		free(v);
		return NULL;
	}
	if (v)
		v->cap = 16;
	return v;
}

void
grace_votes_free(struct grace_votes *v)
{
	size_t i, j;

	if (!v)
		return;
	for (i = 0; i < v->cap; i++) {
		for (j = 0; j < v->t[i].n; j++)
			free(v->t[i].v[j].voter);
		free(v->t[i].v);
		free(v->t[i].request);
	}
	free(v->t);
	free(v);
}

static struct vreq *
slot(struct vreq *t, size_t cap, const char *r, size_t len)
{
	size_t i = gov_hash(r, len, 7) & (cap - 1);

	while (t[i].request && !(t[i].len == len &&
	    memcmp(t[i].request, r, len) == 0))
		i = (i + 1) & (cap - 1);
	return &t[i];
}

static int
grow(struct grace_votes *v)
{
	size_t ncap = v->cap * 2, i;
	struct vreq *nt = calloc(ncap, sizeof *nt);

	if (!nt)
		return -1;
	for (i = 0; i < v->cap; i++)
		if (v->t[i].request)
			*slot(nt, ncap, v->t[i].request, v->t[i].len) = v->t[i];
	free(v->t);
	v->t = nt;
	v->cap = ncap;
	return 0;
}

int
grace_votes_add(struct grace_votes *v, const char *request,
    const char *voter, int approve, int64_t time_ms, struct grace_err *e)
{
	size_t len = strlen(request);
	struct vreq *q;
	struct vote *x;

	if ((v->used + 1) * 2 > v->cap && grow(v) < 0)
		return grace_err_sys(e, NULL, "out of memory");
	q = slot(v->t, v->cap, request, len);
	if (!q->request) {
		if (!(q->request = strdup(request)))
			return grace_err_sys(e, NULL, "out of memory");
		q->len = len;
		v->used++;
	}
	if (q->n == q->cap) {
		size_t ncap = q->cap ? q->cap * 2 : 4;
		struct vote *nv = realloc(q->v, ncap * sizeof *nv);

		if (!nv)
			return grace_err_sys(e, NULL, "out of memory");
		q->v = nv;
		q->cap = ncap;
	}
	x = &q->v[q->n];
	if (!(x->voter = strdup(voter)))
		return grace_err_sys(e, NULL, "out of memory");
	x->approve = approve;
	x->t = time_ms;
	x->seq = v->seq++;
	q->n++;
	return 0;
}

static int
vote_err(struct grace_err *e, const char *name, unsigned long line,
    const char *msg)
{
	grace_err_set(e, name, line, 0, "%s", msg);
	e->code = GRACE_EXIT_USAGE;
	return -1;
}

/* A string member's decoded text into b; 0, or -1 if not a string. */
static int
str_of(const char *p, const struct grace_jspan *s, struct grace_buf *b)
{
	grace_buf_reset(b);
	if (s->kind != GRACE_J_STRING ||
	    grace_json_unescape(b, p + s->off, s->len) < 0)
		return -1;
	return memchr(b->p, '\0', b->len) ? -1 : 0;
}

static int
time_of(const char *s, size_t n, int64_t *ms)
{
	struct timespec ts;

	if (grace_time_parse(s, n, &ts, NULL) < 0)
		return -1;
	*ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	return 0;
}

static int
add_json(struct grace_votes *v, const char *p, size_t n, const char *name,
    unsigned long line, const char *rectime, struct grace_err *e)
{
	static const char *const keys[] = {
		"type", "actor", "time", "data", "event", "prev",
	};
	static const char *const dkeys[] = { "request", "vote" };
	struct grace_jspan f[6], d[2];
	struct grace_buf req = {0}, voter = {0}, vote = {0}, tb = {0};
	int64_t ms = 0;
	int r = -1;

	if (grace_json_scan(p, n, keys, 6, f, name, line, e) < 0) {
		e->code = GRACE_EXIT_USAGE;
		return -1;
	}
	if (f[4].kind == GRACE_J_OBJECT && f[5].kind == GRACE_J_STRING) {
		/* A grace-log record: the vote is its event. */
		char t[GRACE_TIME_LEN];

		if (f[2].kind != GRACE_J_STRING || f[2].len - 2 >= sizeof t)
			t[0] = '\0';
		else {
			memcpy(t, p + f[2].off + 1, f[2].len - 2);
			t[f[2].len - 2] = '\0';
		}
		return add_json(v, p + f[4].off, f[4].len, name, line,
		    t[0] ? t : NULL, e);
	}
	if (f[0].kind != GRACE_J_STRING || f[0].len != 17 ||
	    memcmp(p + f[0].off, "\"governance.vote\"", 17) != 0)
		return 0;
	if (f[3].kind != GRACE_J_OBJECT) {
		r = vote_err(e, name, line, "governance.vote without a data "
		    "object (data.request, data.vote)");
		goto out;
	}
	grace_json_scan(p + f[3].off, f[3].len, dkeys, 2, d, NULL, 0, NULL);
	if (str_of(p + f[3].off, &d[0], &req) < 0 || req.len == 0) {
		r = vote_err(e, name, line, "governance.vote: data.request must "
		    "be the id (a string) of the event voted on");
		goto out;
	}
	if (str_of(p + f[3].off, &d[1], &vote) < 0 ||
	    (strcmp(vote.p, "approve") != 0 && strcmp(vote.p, "reject") != 0)) {
		r = vote_err(e, name, line, "governance.vote: data.vote must be "
		    "\"approve\" or \"reject\"");
		goto out;
	}
	if (str_of(p, &f[1], &voter) < 0 || voter.len == 0) {
		r = vote_err(e, name, line, "governance.vote: actor (the voter) "
		    "must be a string");
		goto out;
	}
	if (f[2].kind == GRACE_J_NONE && rectime) {
		if (time_of(rectime, strlen(rectime), &ms) < 0) {
			r = vote_err(e, name, line, "governance.vote: bad record "
			    "time");
			goto out;
		}
	} else if (str_of(p, &f[2], &tb) < 0 || time_of(tb.p, tb.len, &ms) < 0) {
		r = vote_err(e, name, line, "governance.vote: time must be an "
		    "RFC 3339 time such as 2026-11-21T10:00:00Z");
		goto out;
	}
	if (grace_votes_add(v, req.p, voter.p, vote.p[0] == 'a', ms, e) < 0)
		goto out;
	r = 1;
out:
	grace_buf_free(&req);
	grace_buf_free(&voter);
	grace_buf_free(&vote);
	grace_buf_free(&tb);
	return r;
}

int
grace_votes_add_json(struct grace_votes *v, const char *p, size_t n,
    const char *name, unsigned long line, struct grace_err *e)
{
	return add_json(v, p, n, name, line, NULL, e);
}

long
grace_votes_load_file(struct grace_votes *v, const char *path,
    struct grace_err *e)
{
	struct grace_lines rd;
	const char *line;
	size_t n;
	long count = 0;
	int fd, t;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return grace_err_sys(e, path, "unable to open");
	if (grace_lines_init(&rd, fd, path, 0) < 0) {
		close(fd);
		return grace_err_sys(e, path, "unable to read");
	}
	while ((t = grace_lines_next(&rd, &line, &n, e)) != GRACE_LINE_EOF) {
		int r;

		if (t < 0) {
			count = -1;
			break;
		}
		if (t == GRACE_LINE_TOOLONG) {
			grace_err_set(e, path, rd.lineno, 0, "line longer than "
			    "%zu bytes", rd.max);
			e->code = GRACE_EXIT_USAGE;
			count = -1;
			break;
		}
		if (grace_json_blank(line, n))
			continue;
		if ((r = add_json(v, line, n, path, rd.lineno, NULL, e)) < 0) {
			count = -1;
			break;
		}
		count += r;
	}
	grace_lines_free(&rd);
	close(fd);
	return count;
}

void
gov_votes_count(const struct grace_votes *v, const char *request,
    size_t len, const struct gov_quorum *q, int64_t now_ms, size_t *have,
    unsigned char *missing, const char **rejected_by, struct grace_buf *x)
{
	const struct grace_votes *w;
	size_t i, j;

	*have = 0;
	*rejected_by = NULL;
	for (i = 0; i < q->nfrom; i++) {
		const struct vote *last = NULL;

		missing[i] = 1;
		for (w = request ? v : NULL; w; w = w->next) {
			const struct vreq *r = slot(w->t, w->cap, request, len);

			for (j = 0; r->request && j < r->n; j++) {
				const struct vote *vt = &r->v[j];

				if (strcmp(vt->voter, q->from[i]) != 0)
					continue;
				if (vt->t > now_ms) {
					/* No age, so it would never expire:
					 * a vote from the future does not
					 * count (no clock skew allowed). */
					char d[GRACE_DURATION_LEN];

					if (!x)
						continue;
					if (grace_duration_format(vt->t - now_ms,
					    d, sizeof d) < 0)
						d[0] = '\0';
					grace_buf_addf(x, "  vote by %s on %.*s "
					    "ignored: dated %s after now (a vote "
					    "from the future does not count)\n",
					    vt->voter, (int)len, request, d);
					continue;
				}
				if (q->expires_ms && now_ms - vt->t > q->expires_ms)
					continue;   /* expired */
				if (!last || vt->t > last->t ||
				    (vt->t == last->t && vt->seq > last->seq))
					last = vt;
			}
		}
		if (!last)
			continue;
		if (last->approve) {
			missing[i] = 0;
			(*have)++;
		} else if (!*rejected_by) {
			*rejected_by = q->from[i];
		}
	}
}
