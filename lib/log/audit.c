/* audit.c - grace-log report: one self-contained HTML page about a log,
 * for an auditor's browser (grace-log(1), REPORT). No script, no network,
 * no external asset: styles inline, the chart an inline SVG, and a
 * Content-Security-Policy that forbids loading anything. Every piece of
 * event data is escaped; the records behind each row are named by seq and
 * hash, so any line can be checked by hand with sha256sum.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "jpath.h"
#include "lines.h"
#include "log.h"
#include "timeutil.h"

#define MAX_ROWS 2000            /* rows of a table shown; the rest counted */
#define NBUCKETS 24              /* bars of the chart */

enum { V_ALLOW, V_WARN, V_REVIEW, V_DENY, V_APPROVE, V_HOLD, V_ESCALATE,
	V_REJECT, V_N };
static const char *const vnames[V_N] = { "allow", "warn", "review", "deny",
	"approve", "hold", "escalate", "reject" };
static const char *const vcolors[V_N] = { "#2e7d32", "#f9a825", "#ef6c00",
	"#c62828", "#1b5e20", "#6a1b9a", "#283593", "#b71c1c" };

struct row {
	uint64_t seq;
	char hash[GRACE_SHA256_HEXLEN + 1];
	char time[GRACE_LOG_TIMELEN + 1];
	char *cells[5];
};

struct table {
	struct row *v;
	size_t n, cap;
	uint64_t total;
};

struct acc {
	struct table reviews, timeline;
	uint64_t counts[V_N];
	/* time span and the chart's points: (t, verdict) */
	int64_t *pt;
	unsigned char *pv;
	size_t npt, cappt;
	uint64_t records;
	struct grace_buf tmp;
};

/* HTML-escape s[0..n) into out. */
static int
esc(struct grace_buf *out, const char *s, size_t n)
{
	size_t i, from = 0;
	int x = 0;

	for (i = 0; i < n; i++) {
		const char *r = NULL;

		switch (s[i]) {
		case '&': r = "&amp;"; break;
		case '<': r = "&lt;"; break;
		case '>': r = "&gt;"; break;
		case '"': r = "&quot;"; break;
		case '\'': r = "&#39;"; break;
		default:
			if ((unsigned char)s[i] < 0x20 && s[i] != '\t')
				r = " ";
		}
		if (r) {
			x |= grace_buf_add(out, s + from, i - from);
			x |= grace_buf_adds(out, r);
			from = i + 1;
		}
	}
	x |= grace_buf_add(out, s + from, n - from);
	return x;
}

static int
escs(struct grace_buf *out, const char *s)
{
	return esc(out, s, strlen(s));
}

/* The text at a dotted path of the event (a string unescaped, an array
 * of strings joined by "; ", anything else as written), into b. */
static void
text_at(const char *p, size_t n, const char *path, struct grace_buf *b,
    struct grace_buf *tmp)
{
	char buf[96], *segs[6], *s, *save;
	size_t k = 0;

	snprintf(buf, sizeof buf, "%s", path);
	for (s = strtok_r(buf, ".", &save); s && k < 6;
	    s = strtok_r(NULL, ".", &save))
		segs[k++] = s;
	if (grace_jpath_join(p, n, segs, k, "; ", b, tmp) < 0) {
		grace_buf_reset(b);
		grace_buf_add(b, "", 0);
	}
}

static int
row_add(struct table *t, const struct grace_log_rec *r, const char *time,
    char *const cells[5])
{
	struct row *w;
	size_t i;

	t->total++;
	if (t->n == MAX_ROWS)
		return 0;
	if (t->n == t->cap) {
		size_t nc = t->cap ? t->cap * 2 : 64;
		struct row *nv = realloc(t->v, nc * sizeof *nv);

		if (!nv)
			return -1;
		t->v = nv;
		t->cap = nc;
	}
	w = &t->v[t->n];
	memset(w, 0, sizeof *w);
	w->seq = r->seq;
	memcpy(w->hash, r->hash, GRACE_SHA256_HEXLEN);
	snprintf(w->time, sizeof w->time, "%s", time);
	for (i = 0; i < 5; i++)
		if (!(w->cells[i] = strdup(cells[i] ? cells[i] : "")))
			return -1;
	t->n++;
	return 0;
}

static void
table_free(struct table *t)
{
	size_t i, j;

	for (i = 0; i < t->n; i++)
		for (j = 0; j < 5; j++)
			free(t->v[i].cells[j]);
	free(t->v);
}

static int
point(struct acc *a, int64_t t, int v)
{
	if (a->npt == a->cappt) {
		size_t nc = a->cappt ? a->cappt * 2 : 256;
		int64_t *np = realloc(a->pt, nc * sizeof *np);
		unsigned char *nv;

		if (!np)
			return -1;
		a->pt = np;
		if (!(nv = realloc(a->pv, nc)))
			return -1;
		a->pv = nv;
		a->cappt = nc;
	}
	a->pt[a->npt] = t;
	a->pv[a->npt++] = (unsigned char)v;
	return 0;
}

static int
verdict_index(const char *s)
{
	int i;

	for (i = 0; i < V_N; i++)
		if (strcmp(s, vnames[i]) == 0)
			return i;
	return -1;
}

static int
has_prefix(const char *s, const char *pre)
{
	return strncmp(s, pre, strlen(pre)) == 0;
}

/* One record. */
static int
take(struct acc *a, const struct grace_log_rec *r)
{
	const char *p = r->event;
	size_t n = r->event_len;
	struct grace_buf type = {0}, id = {0}, actor = {0}, gate = {0},
	    dec = {0}, why = {0}, what = {0};
	char time[GRACE_LOG_TIMELEN + 1];
	struct timespec ts;
	int64_t t;
	int g, d, rc = 0;

	a->records++;
	memcpy(time, r->time, GRACE_LOG_TIMELEN);
	time[GRACE_LOG_TIMELEN] = '\0';
	/* over time: the event's own time, else when it was logged */
	text_at(p, n, "time", &type, &a->tmp);
	if (grace_time_parse(type.p, type.len, &ts, NULL) == 0 ||
	    grace_time_parse(r->time, GRACE_LOG_TIMELEN, &ts, NULL) == 0)
		t = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	else
		t = 0;
	text_at(p, n, "type", &type, &a->tmp);
	text_at(p, n, "id", &id, &a->tmp);
	text_at(p, n, "actor", &actor, &a->tmp);
	text_at(p, n, "grace.gate.decision", &gate, &a->tmp);
	text_at(p, n, "grace.decision.verdict", &dec, &a->tmp);
	g = verdict_index(gate.p);
	d = verdict_index(dec.p);
	if (g >= V_APPROVE)
		g = -1;
	if (d >= 0 && d < V_APPROVE)
		d = -1;
	if (g >= 0) {
		a->counts[g]++;
		rc |= point(a, t, g);
	}
	if (d >= 0) {
		a->counts[d]++;
		rc |= point(a, t, d);
	}
	if (g == V_DENY || g == V_REVIEW || d == V_REJECT || d == V_HOLD ||
	    d == V_ESCALATE) {
		char *cells[5];
		struct grace_buf v = {0};

		text_at(p, n, g == V_DENY || g == V_REVIEW ? "grace.gate.reasons" :
		    "grace.decision.reasons", &why, &a->tmp);
		if (g == V_DENY || g == V_REVIEW)
			grace_buf_addf(&v, "gate %s", gate.p);
		if (d >= 0)
			grace_buf_addf(&v, "%sdecision %s", v.len ? ", " : "",
			    dec.p);
		cells[0] = id.p;
		cells[1] = type.p;
		cells[2] = actor.p;
		cells[3] = v.p;
		cells[4] = why.p;
		rc |= row_add(&a->reviews, r, time, cells);
		grace_buf_free(&v);
	}
	if (has_prefix(type.p, "anomaly.") || has_prefix(type.p, "healing.") ||
	    has_prefix(type.p, "trust.adjusted")) {
		char *cells[5];
		struct grace_buf comp = {0}, det = {0};

		text_at(p, n, "data.component", &comp, &a->tmp);
		if (!comp.len)
			text_at(p, n, "subject", &comp, &a->tmp);
		if (has_prefix(type.p, "anomaly.")) {
			text_at(p, n, "data.anomaly", &what, &a->tmp);
			text_at(p, n, "data.severity", &det, &a->tmp);
			grace_buf_reset(&why);
			grace_buf_addf(&why, "%s%s%s", what.p, det.len ? ", " : "",
			    det.p);
		} else if (has_prefix(type.p, "trust.")) {
			text_at(p, n, "data.from", &what, &a->tmp);
			text_at(p, n, "data.to", &det, &a->tmp);
			grace_buf_reset(&why);
			grace_buf_addf(&why, "trust %s to %s", what.p, det.p);
		} else {
			text_at(p, n, "data.playbook", &what, &a->tmp);
			text_at(p, n, "data.reason", &det, &a->tmp);
			grace_buf_reset(&why);
			grace_buf_addf(&why, "%s%s%s", what.p, det.len ? ": " : "",
			    det.p);
		}
		cells[0] = id.p;
		cells[1] = type.p;
		cells[2] = comp.p;
		cells[3] = why.p;
		cells[4] = "";
		rc |= row_add(&a->timeline, r, time, cells);
		grace_buf_free(&comp);
		grace_buf_free(&det);
	}
	grace_buf_free(&type);
	grace_buf_free(&id);
	grace_buf_free(&actor);
	grace_buf_free(&gate);
	grace_buf_free(&dec);
	grace_buf_free(&why);
	grace_buf_free(&what);
	return rc ? -1 : 0;
}

/* Read every record of file (verified before, or said not to be). */
static int
read_all(const char *file, struct acc *a, struct grace_err *e)
{
	struct grace_lines rd;
	const char *line;
	size_t n;
	int fd, t, rc = 0;

	if ((fd = open(file, O_RDONLY | O_CLOEXEC)) < 0)
		return grace_err_sys(e, file, "unable to open");
	if (grace_lines_init(&rd, fd, file, 0) < 0) {
		close(fd);
		return grace_err_sys(e, file, "unable to read");
	}
	while ((t = grace_lines_next(&rd, &line, &n, e)) != GRACE_LINE_EOF) {
		struct grace_log_rec r;
		const char *why;

		if (t < 0) {
			rc = -1;
			break;
		}
		if (t == GRACE_LINE_TOOLONG || grace_log_parse(line, n, &r,
		    &why) < 0)
			continue;   /* the verification said so already */
		if (take(a, &r) < 0) {
			rc = grace_err_sys(e, NULL, "out of memory");
			break;
		}
	}
	grace_lines_free(&rd);
	close(fd);
	return rc;
}

static const char style[] =
    "body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}"
    "h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em}"
    "table{border-collapse:collapse;width:100%}"
    "td,th{border-bottom:1px solid #ddd;padding:.3em .5em;text-align:left;"
    "vertical-align:top}th{background:#f5f5f5}"
    "code{font:12px ui-monospace,monospace;word-break:break-all}"
    ".ok{color:#2e7d32;font-weight:bold}.bad{color:#c62828;font-weight:bold}"
    ".legend span{display:inline-block;margin-right:1em}"
    ".sw{display:inline-block;width:.8em;height:.8em;margin-right:.3em}";

static int
table_html(struct grace_buf *o, const char *id, const char *const head[5],
    const struct table *t)
{
	size_t i, j;
	int x = 0;

	x |= grace_buf_addf(o, "<table id=\"%s\"><thead><tr><th>seq</th>"
	    "<th>time</th>", id);
	for (j = 0; j < 5; j++)
		if (*head[j])
			x |= grace_buf_addf(o, "<th>%s</th>", head[j]);
	x |= grace_buf_adds(o, "<th>hash</th></tr></thead><tbody>\n");
	for (i = 0; i < t->n; i++) {
		const struct row *r = &t->v[i];

		x |= grace_buf_addf(o, "<tr data-seq=\"%llu\"><td>%llu</td><td>",
		    (unsigned long long)r->seq, (unsigned long long)r->seq);
		x |= escs(o, r->time);
		x |= grace_buf_adds(o, "</td>");
		for (j = 0; j < 5; j++) {
			if (!*head[j])
				continue;
			x |= grace_buf_adds(o, "<td>");
			x |= escs(o, r->cells[j]);
			x |= grace_buf_adds(o, "</td>");
		}
		x |= grace_buf_addf(o, "<td><code>%s</code></td></tr>\n", r->hash);
	}
	x |= grace_buf_adds(o, "</tbody></table>\n");
	if (t->total > t->n)
		x |= grace_buf_addf(o, "<p>%llu more not shown.</p>\n",
		    (unsigned long long)(t->total - t->n));
	if (!t->total)
		x |= grace_buf_adds(o, "<p class=\"none\">None.</p>\n");
	return x;
}

/* The chart: decisions per time bucket, stacked, as an inline SVG. */
static int
chart(struct grace_buf *o, const struct acc *a)
{
	uint64_t b[NBUCKETS][V_N];
	int64_t lo = INT64_MAX, hi = INT64_MIN, span;
	uint64_t max = 1;
	size_t i;
	int k, v, x = 0;
	const int W = 720, H = 200, bw = W / NBUCKETS;

	memset(b, 0, sizeof b);
	for (i = 0; i < a->npt; i++) {
		if (a->pt[i] < lo)
			lo = a->pt[i];
		if (a->pt[i] > hi)
			hi = a->pt[i];
	}
	span = a->npt ? hi - lo + 1 : 1;
	for (i = 0; i < a->npt; i++) {
		k = (int)((double)(a->pt[i] - lo) / (double)span * NBUCKETS);
		if (k >= NBUCKETS)
			k = NBUCKETS - 1;
		b[k][a->pv[i]]++;
	}
	for (k = 0; k < NBUCKETS; k++) {
		uint64_t s = 0;

		for (v = 0; v < V_N; v++)
			s += b[k][v];
		if (s > max)
			max = s;
	}
	x |= grace_buf_addf(o, "<svg id=\"chart\" xmlns=\"http://www.w3.org/2000/"
	    "svg\" width=\"%d\" height=\"%d\" role=\"img\" aria-label=\"decisions "
	    "over time\"><rect width=\"%d\" height=\"%d\" fill=\"#fafafa\"/>\n",
	    W, H + 20, W, H);
	for (k = 0; k < NBUCKETS; k++) {
		double y = H;

		for (v = 0; v < V_N; v++) {
			double h = (double)b[k][v] / (double)max * (H - 10);

			if (!b[k][v])
				continue;
			y -= h;
			x |= grace_buf_addf(o, "<rect class=\"bar %s\" x=\"%d\" "
			    "y=\"%.1f\" width=\"%d\" height=\"%.1f\" fill=\"%s\">"
			    "<title>%llu %s</title></rect>\n", vnames[v], k * bw + 1,
			    y, bw - 2, h, vcolors[v], (unsigned long long)b[k][v],
			    vnames[v]);
		}
	}
	if (a->npt) {
		char t0[GRACE_TIME_LEN], t1[GRACE_TIME_LEN];
		struct timespec s0 = { (time_t)(lo / 1000), 0 };
		struct timespec s1 = { (time_t)(hi / 1000), 0 };

		if (grace_time_format(NULL, &s0, t0) < 0)
			t0[0] = '\0';
		if (grace_time_format(NULL, &s1, t1) < 0)
			t1[0] = '\0';
		x |= grace_buf_addf(o, "<text x=\"2\" y=\"%d\" font-size=\"11\">%.19s"
		    "</text><text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor="
		    "\"end\">%.19s</text>\n", H + 15, t0, W - 2, H + 15, t1);
	}
	x |= grace_buf_adds(o, "</svg>\n<p class=\"legend\">");
	for (v = 0; v < V_N; v++)
		x |= grace_buf_addf(o, "<span><i class=\"sw\" style=\"background:"
		    "%s\"></i>%s <b id=\"n-%s\">%llu</b></span>", vcolors[v],
		    vnames[v], vnames[v], (unsigned long long)a->counts[v]);
	x |= grace_buf_adds(o, "</p>\n");
	return x;
}

int
grace_log_report_html(struct grace_chain *ch, struct grace_buf *o,
    struct grace_err *e)
{
	static const char *const rhead[5] = { "id", "type", "actor", "verdict",
		"reasons" };
	static const char *const thead[5] = { "id", "type", "component",
		"what", "" };
	struct acc a;
	size_t i;
	int x = 0, rc = -1;

	memset(&a, 0, sizeof a);
	for (i = 0; i < ch->nfiles; i++)
		if (read_all(ch->files[i], &a, e) < 0)
			goto out;
	x |= grace_buf_adds(o, "<!DOCTYPE html>\n<html lang=\"en\"><head>"
	    "<meta charset=\"utf-8\">\n<meta http-equiv=\"Content-Security-"
	    "Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
	    "img-src data:\">\n<title>Grace audit report: ");
	x |= escs(o, ch->files[0]);
	x |= grace_buf_addf(o, "</title>\n<style>%s</style></head><body>\n"
	    "<h1>Audit report: <code>", style);
	x |= escs(o, ch->files[ch->nfiles - 1]);
	x |= grace_buf_adds(o, "</code></h1>\n<h2>The chain</h2>\n<p id=\"chain\" "
	    "class=\"");
	if (ch->res.intact) {
		x |= grace_buf_addf(o, "ok\">intact: %llu records, seq %llu to "
		    "%llu, head <code>%s</code></p>\n",
		    (unsigned long long)ch->res.records,
		    (unsigned long long)ch->res.first_seq,
		    (unsigned long long)ch->res.last_seq, ch->res.head);
	} else {
		x |= grace_buf_adds(o, "bad\">NOT INTACT: ");
		if (ch->res.fail.file[0]) {
			x |= escs(o, ch->res.fail.file);
			if (ch->res.fail.line)
				x |= grace_buf_addf(o, ":%lu", ch->res.fail.line);
			x |= grace_buf_adds(o, ": ");
		}
		x |= escs(o, ch->res.fail.msg);
		x |= grace_buf_addf(o, " (%llu records verified before it). What "
		    "follows is read from the file as it is: do not trust it.</p>\n",
		    (unsigned long long)ch->res.records);
	}
	for (i = 0; i < ch->ncheckpoints; i++) {
		const struct grace_chain_cp *c = &ch->cps[i];
		int ok = c->opened && ch->ex[c->ex].checked == 1;

		x |= grace_buf_addf(o, "<p class=\"checkpoint %s\">checkpoint <code>",
		    ok ? "ok" : "bad");
		x |= escs(o, c->path);
		x |= grace_buf_adds(o, "</code>: ");
		if (!c->opened) {
			x |= grace_buf_adds(o, "not verified: ");
			x |= escs(o, c->why);
		} else {
			x |= grace_buf_addf(o, "%s, %llu records signed by ",
			    ok ? "matches the log" : ch->ex[c->ex].checked == -2 ?
			    "covers more records than the log holds (truncated?)" :
			    "does NOT match the log (rewritten?)",
			    (unsigned long long)c->cp.size);
			x |= escs(o, c->cp.origin);
		}
		x |= grace_buf_adds(o, "</p>\n");
	}
	x |= grace_buf_adds(o, "<p>Check any record by hand: <code>sed -n SEQp ");
	x |= escs(o, ch->files[ch->nfiles - 1]);
	x |= grace_buf_adds(o, " | head -c -76 | sha256sum</code> prints the hash "
	    "shown (SEQ counted from the first line of the file).</p>\n"
	    "<h2>Decisions over time</h2>\n");
	x |= chart(o, &a);
	x |= grace_buf_adds(o, "<h2>Denials and reviews</h2>\n");
	x |= table_html(o, "reviews", rhead, &a.reviews);
	x |= grace_buf_adds(o, "<h2>Anomalies and healings</h2>\n");
	x |= table_html(o, "timeline", thead, &a.timeline);
	x |= grace_buf_addf(o, "<p id=\"records\">%llu records read.</p>\n"
	    "</body></html>\n", (unsigned long long)a.records);
	rc = x ? grace_err_sys(e, NULL, "out of memory") : 0;
out:
	table_free(&a.reviews);
	table_free(&a.timeline);
	free(a.pt);
	free(a.pv);
	grace_buf_free(&a.tmp);
	return rc;
}
