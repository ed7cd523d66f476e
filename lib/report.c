/* report.c - text, TAP, JUnit and GitHub annotation output. */
#include <stdlib.h>
#include <string.h>

#include "report.h"

struct grace_report {
	enum grace_report_fmt fmt;
	const char *prog;
	int color;
	unsigned long n, fail, error, warn;
	struct grace_buf cases;   /* JUnit test cases until finish */
};

int
grace_report_fmt_parse(const char *s, enum grace_report_fmt *f)
{
	static const char *const names[] = {
		"ndjson", "text", "tap", "junit", "github",
	};
	int i;

	for (i = 0; i < 5; i++) {
		if (strcmp(s, names[i]) == 0) {
			*f = (enum grace_report_fmt)i;
			return 0;
		}
	}
	return -1;
}

struct grace_report *
grace_report_new(enum grace_report_fmt f, const char *prog, int color)
{
	struct grace_report *r = calloc(1, sizeof *r);

	if (!r)
		return NULL;
	r->fmt = f;
	r->prog = prog;
	r->color = color;
	return r;
}

void
grace_report_free(struct grace_report *r)
{
	if (!r)
		return;
	grace_buf_free(&r->cases);
	free(r);
}

static const char *
nz(const char *s)
{
	return s ? s : "";
}

/* Text on one line: newlines and tabs become spaces, other control
 * characters are dropped (an event's id is hostile data). */
static int
add_line_text(struct grace_buf *b, const char *s)
{
	int r = 0;

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '\n' || c == '\r' || c == '\t')
			r |= grace_buf_add(b, " ", 1);
		else if (c >= 0x20 && c != 0x7f)
			r |= grace_buf_add(b, s, 1);
	}
	return r;
}

static int
add_xml(struct grace_buf *b, const char *s)
{
	int r = 0;

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		switch (c) {
		case '&': r |= grace_buf_adds(b, "&amp;"); break;
		case '<': r |= grace_buf_adds(b, "&lt;"); break;
		case '>': r |= grace_buf_adds(b, "&gt;"); break;
		case '"': r |= grace_buf_adds(b, "&quot;"); break;
		case '\'': r |= grace_buf_adds(b, "&apos;"); break;
		default:
			/* XML 1.0 allows no control characters but these. */
			if (c >= 0x20 || c == '\t' || c == '\n' || c == '\r')
				r |= grace_buf_add(b, s, 1);
		}
	}
	return r;
}

/* GitHub workflow commands: % CR LF escaped in data; also : and , in
 * property values. */
static int
add_gh(struct grace_buf *b, const char *s, int property)
{
	int r = 0;

	for (; *s; s++) {
		switch (*s) {
		case '%': r |= grace_buf_adds(b, "%25"); break;
		case '\r': r |= grace_buf_adds(b, "%0D"); break;
		case '\n': r |= grace_buf_adds(b, "%0A"); break;
		case ':':
			r |= property ? grace_buf_adds(b, "%3A") :
			    grace_buf_add(b, s, 1);
			break;
		case ',':
			r |= property ? grace_buf_adds(b, "%2C") :
			    grace_buf_add(b, s, 1);
			break;
		default: r |= grace_buf_add(b, s, 1);
		}
	}
	return r;
}

static const char *
colour(enum grace_outcome o)
{
	switch (o) {
	case GRACE_OUT_PASS: return "\033[32m";
	case GRACE_OUT_WARN: return "\033[33m";
	case GRACE_OUT_FAIL: return "\033[31m";
	default: return "\033[35m";
	}
}

int
grace_report_add(struct grace_report *r, const struct grace_report_item *it,
    struct grace_buf *out)
{
	const char *rules = nz(it->rules), *reason = nz(it->reason);
	int x = 0;

	r->n++;
	if (it->outcome == GRACE_OUT_FAIL)
		r->fail++;
	else if (it->outcome == GRACE_OUT_ERROR)
		r->error++;
	else if (it->outcome == GRACE_OUT_WARN)
		r->warn++;
	switch (r->fmt) {
	case GRACE_FMT_TEXT:
		x |= add_line_text(out, nz(it->id));
		x |= grace_buf_add(out, " ", 1);
		if (r->color)
			x |= grace_buf_adds(out, colour(it->outcome));
		x |= add_line_text(out, nz(it->decision));
		if (r->color)
			x |= grace_buf_adds(out, "\033[0m");
		x |= grace_buf_adds(out, " ");
		x |= add_line_text(out, *rules ? rules : "-");
		if (*reason) {
			x |= grace_buf_add(out, " ", 1);
			x |= add_line_text(out, reason);
		}
		x |= grace_buf_add(out, "\n", 1);
		break;
	case GRACE_FMT_TAP:
		if (r->n == 1)
			x |= grace_buf_adds(out, "TAP version 13\n");
		x |= grace_buf_addf(out, "%sok %lu - ",
		    it->outcome == GRACE_OUT_FAIL || it->outcome == GRACE_OUT_ERROR
		    ? "not " : "", r->n);
		x |= add_line_text(out, nz(it->id));
		x |= grace_buf_add(out, " ", 1);
		x |= add_line_text(out, nz(it->decision));
		if (*rules) {
			x |= grace_buf_adds(out, " (");
			x |= add_line_text(out, rules);
			x |= grace_buf_adds(out, ")");
		}
		if (*reason) {
			x |= grace_buf_adds(out, ": ");
			x |= add_line_text(out, reason);
		}
		x |= grace_buf_add(out, "\n", 1);
		break;
	case GRACE_FMT_JUNIT: {
		struct grace_buf *c = &r->cases;

		x |= grace_buf_adds(c, "    <testcase classname=\"");
		x |= add_xml(c, r->prog);
		x |= grace_buf_adds(c, "\" name=\"");
		x |= add_xml(c, nz(it->id));
		if (it->type && *it->type) {
			x |= grace_buf_add(c, " ", 1);
			x |= add_xml(c, it->type);
		}
		x |= grace_buf_adds(c, "\"");
		if (it->outcome == GRACE_OUT_FAIL ||
		    it->outcome == GRACE_OUT_ERROR) {
			const char *tag = it->outcome == GRACE_OUT_FAIL ?
			    "failure" : "error";

			x |= grace_buf_addf(c, ">\n      <%s type=\"", tag);
			x |= add_xml(c, nz(it->decision));
			x |= grace_buf_adds(c, "\" message=\"");
			x |= add_xml(c, reason);
			x |= grace_buf_adds(c, "\">");
			x |= add_xml(c, *rules ? rules : "");
			x |= grace_buf_addf(c, "</%s>\n    </testcase>\n", tag);
		} else {
			x |= grace_buf_adds(c, ">\n      <system-out>");
			x |= add_xml(c, nz(it->decision));
			if (*rules) {
				x |= grace_buf_adds(c, " (");
				x |= add_xml(c, rules);
				x |= grace_buf_adds(c, ")");
			}
			if (*reason) {
				x |= grace_buf_adds(c, ": ");
				x |= add_xml(c, reason);
			}
			x |= grace_buf_adds(c, "</system-out>\n    </testcase>\n");
		}
		break;
	}
	case GRACE_FMT_GITHUB: {
		const char *level = it->outcome == GRACE_OUT_PASS ? NULL :
		    it->outcome == GRACE_OUT_WARN ? "warning" : "error";

		if (!level)
			break;
		x |= grace_buf_addf(out, "::%s title=", level);
		x |= add_gh(out, r->prog, 1);
		x |= grace_buf_adds(out, " ");
		x |= add_gh(out, nz(it->decision), 1);
		x |= grace_buf_adds(out, "::");
		x |= add_gh(out, nz(it->id), 0);
		x |= grace_buf_adds(out, ": ");
		x |= add_gh(out, nz(it->decision), 0);
		if (*rules) {
			x |= grace_buf_adds(out, " by ");
			x |= add_gh(out, rules, 0);
		}
		if (*reason) {
			x |= grace_buf_adds(out, " - ");
			x |= add_gh(out, reason, 0);
		}
		x |= grace_buf_add(out, "\n", 1);
		break;
	}
	default:
		break;
	}
	return x ? -1 : 0;
}

int
grace_report_finish(struct grace_report *r, struct grace_buf *out)
{
	int x = 0;

	switch (r->fmt) {
	case GRACE_FMT_TAP:
		if (r->n == 0)
			x |= grace_buf_adds(out, "TAP version 13\n");
		x |= grace_buf_addf(out, "1..%lu\n", r->n);
		break;
	case GRACE_FMT_JUNIT:
		x |= grace_buf_adds(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		    "<testsuites>\n  <testsuite name=\"");
		x |= add_xml(out, r->prog);
		x |= grace_buf_addf(out, "\" tests=\"%lu\" failures=\"%lu\" "
		    "errors=\"%lu\">\n", r->n, r->fail, r->error);
		if (r->cases.len)
			x |= grace_buf_add(out, r->cases.p, r->cases.len);
		x |= grace_buf_adds(out, "  </testsuite>\n</testsuites>\n");
		break;
	case GRACE_FMT_GITHUB:
		x |= grace_buf_adds(out, "::notice title=");
		x |= add_gh(out, r->prog, 1);
		x |= grace_buf_addf(out, "::%lu events: %lu passed, %lu warned or "
		    "held, %lu failed, %lu errors\n", r->n,
		    r->n - r->fail - r->error - r->warn, r->warn, r->fail,
		    r->error);
		break;
	default:
		break;
	}
	return x ? -1 : 0;
}
