/* patterns.c - named regex rules over text, with a literal prefilter. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <oniguruma.h>

#include "patterns.h"

struct compiled {
	struct grace_pattern_rule r;
	OnigRegex re;
	char *lit;      /* literal every match starts with, or NULL */
	size_t litlen;
};

struct grace_patterns {
	struct compiled *v;
	size_t n, cap;
};

static const char *const sev_names[] = {
	"info", "low", "medium", "high", "critical",
};

const char *
grace_severity_name(enum grace_severity s)
{
	return (unsigned)s < 5 ? sev_names[s] : "unknown";
}

int
grace_severity_parse(const char *s, enum grace_severity *out)
{
	int i;

	for (i = 0; i < 5; i++) {
		if (strcmp(s, sev_names[i]) == 0) {
			*out = (enum grace_severity)i;
			return 0;
		}
	}
	return -1;
}

struct grace_patterns *
grace_patterns_new(void)
{
	return calloc(1, sizeof(struct grace_patterns));
}

void
grace_patterns_free(struct grace_patterns *ps)
{
	size_t i;

	if (!ps)
		return;
	for (i = 0; i < ps->n; i++) {
		onig_free(ps->v[i].re);
		free(ps->v[i].r.id);
		free(ps->v[i].r.pattern);
		free(ps->v[i].r.message);
		free(ps->v[i].lit);
	}
	free(ps->v);
	free(ps);
}

size_t
grace_patterns_count(const struct grace_patterns *ps)
{
	return ps->n;
}

const struct grace_pattern_rule *
grace_patterns_rule(const struct grace_patterns *ps, size_t i)
{
	return i < ps->n ? &ps->v[i].r : NULL;
}

/* The literal run a pattern starts with, if every match must begin with
 * it: stops at the first metacharacter; a quantifier after the run takes
 * its last byte back; any '|' outside a class disables it (alternation
 * could bypass the run). Escaped punctuation (\. \- \/) counts as literal. */
static char *
literal_prefix(const char *p, size_t *len)
{
	size_t n = 0, i = 0;
	char *lit = malloc(strlen(p) + 1);
	int in_class = 0, esc = 0;

	if (!lit)
		return NULL;
	for (i = 0; p[i]; i++) {
		if (esc) {
			esc = 0;
			continue;
		}
		if (p[i] == '\\')
			esc = 1;
		else if (p[i] == '[')
			in_class = 1;
		else if (p[i] == ']')
			in_class = 0;
		else if (p[i] == '|' && !in_class) {
			free(lit);
			return NULL;
		}
	}
	for (i = 0; p[i]; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == '\\') {
			unsigned char d = (unsigned char)p[i + 1];

			/* Only escaped punctuation is a plain byte. */
			if (d && !((d >= '0' && d <= '9') || (d >= 'a' && d <= 'z') ||
			    (d >= 'A' && d <= 'Z')) && d < 0x80) {
				lit[n++] = (char)d;
				i++;
				continue;
			}
			break;
		}
		if (strchr(".[](){}*+?|^$", c) || c >= 0x80)
			break;
		lit[n++] = (char)c;
	}
	if (n && p[i] && strchr("*?{", p[i]))
		n--; /* the last byte may repeat zero times */
	if (n < 2) {
		free(lit);
		return NULL;
	}
	lit[n] = '\0';
	*len = n;
	return lit;
}

long
grace_patterns_add(struct grace_patterns *ps, const char *id,
    const char *pattern, int ignore_case, enum grace_severity sev,
    const char *message, const char *file, unsigned long line,
    unsigned long col, struct grace_err *e)
{
	struct compiled c;
	OnigErrorInfo einfo;
	size_t i;
	int r;

	for (i = 0; i < ps->n; i++) {
		if (strcmp(ps->v[i].r.id, id) == 0) {
			grace_err_set(e, file, line, col, "duplicate rule id '%s' "
			    "(first defined at line %lu)", id, ps->v[i].r.line);
			e->code = GRACE_EXIT_USAGE;
			return -1;
		}
	}
	memset(&c, 0, sizeof c);
	r = onig_new(&c.re, (const OnigUChar *)pattern,
	    (const OnigUChar *)pattern + strlen(pattern),
	    ignore_case ? ONIG_OPTION_IGNORECASE : ONIG_OPTION_NONE,
	    ONIG_ENCODING_UTF8, ONIG_SYNTAX_PERL, &einfo);
	if (r != ONIG_NORMAL) {
		OnigUChar msg[ONIG_MAX_ERROR_MESSAGE_LEN];

		onig_error_code_to_str(msg, r, &einfo);
		grace_err_set(e, file, line, col, "rule '%s': bad pattern: %s",
		    id, (const char *)msg);
		e->code = GRACE_EXIT_USAGE;
		return -1;
	}
	if (ps->n == ps->cap) {
		size_t ncap = ps->cap ? ps->cap * 2 : 16;
		struct compiled *nv = realloc(ps->v, ncap * sizeof *nv);

		if (!nv) {
			onig_free(c.re);
			return grace_err_sys(e, file, "unable to add rule");
		}
		ps->v = nv;
		ps->cap = ncap;
	}
	c.r.id = strdup(id);
	c.r.pattern = strdup(pattern);
	c.r.message = strdup(message ? message : "");
	c.r.severity = sev;
	c.r.ignore_case = ignore_case;
	c.r.file = file;
	c.r.line = line;
	c.r.col = col;
	if (!ignore_case)
		c.lit = literal_prefix(pattern, &c.litlen);
	if (!c.r.id || !c.r.pattern || !c.r.message) {
		onig_free(c.re);
		free(c.r.id);
		free(c.r.pattern);
		free(c.r.message);
		free(c.lit);
		return grace_err_sys(e, file, "unable to add rule");
	}
	ps->v[ps->n] = c;
	return (long)ps->n++;
}

long
grace_patterns_add_yaml(struct grace_patterns *ps,
    const struct grace_ynode *m, const char *const *extra,
    struct grace_err *e)
{
	static const char *const base[] = {
		"id", "pattern", "severity", "message", "ignore_case",
	};
	const char *allowed[64];
	const char *id, *pattern, *sevs = "medium", *message = "";
	const struct grace_ynode *pn, *sn;
	enum grace_severity sev;
	int icase = 0;
	size_t n = 0, i;

	for (i = 0; i < sizeof base / sizeof base[0]; i++)
		allowed[n++] = base[i];
	for (i = 0; extra && extra[i] && n < 63; i++)
		allowed[n++] = extra[i];
	allowed[n] = NULL;
	if (grace_yaml_check_keys(m, allowed, e) < 0)
		return -1;
	if (!grace_yaml_require(m, "id", e) ||
	    grace_yaml_get_string(m, "id", &id, e) < 0 ||
	    !(pn = grace_yaml_require(m, "pattern", e)) ||
	    grace_yaml_as_string(pn, &pattern, e) < 0 ||
	    grace_yaml_get_string(m, "severity", &sevs, e) < 0 ||
	    grace_yaml_get_string(m, "message", &message, e) < 0 ||
	    grace_yaml_get_bool(m, "ignore_case", &icase, e) < 0) {
		if (e)
			e->code = e->code ? e->code : GRACE_EXIT_USAGE;
		return -1;
	}
	if (grace_severity_parse(sevs, &sev) < 0) {
		sn = grace_yaml_get(m, "severity");
		grace_err_set(e, sn->file, sn->line, sn->col, "severity must be "
		    "info, low, medium, high or critical, not '%s'", sevs);
		e->code = GRACE_EXIT_USAGE;
		return -1;
	}
	return grace_patterns_add(ps, id, pattern, icase, sev, message,
	    pn->file, pn->line, pn->col, e);
}

/* Where a match is: a cursor that counts lines forward from the last
 * match of the same rule (matches of one rule come in text order). */
struct cursor {
	size_t off;          /* counted up to here */
	size_t line_start;   /* offset of the line holding off */
	unsigned long line;
};

static void
locate(const char *text, size_t off, struct cursor *c, unsigned long *line,
    unsigned long *col)
{
	const char *p = text + c->off, *end = text + off, *nl;

	while ((nl = memchr(p, '\n', (size_t)(end - p)))) {
		c->line++;
		p = nl + 1;
		c->line_start = (size_t)(p - text);
	}
	c->off = off;
	*line = c->line;
	*col = (unsigned long)(off - c->line_start) + 1;
}

int
grace_patterns_scan(const struct grace_patterns *ps, const char *text,
    size_t n, const unsigned char *only, int all_matches,
    struct grace_pattern_match *out, size_t max, size_t *nout,
    struct grace_err *e)
{
	const OnigUChar *s = (const OnigUChar *)text, *end = s + n;
	OnigRegion *region = onig_region_new();
	size_t i, k = 0;

	if (!region)
		return grace_err_sys(e, NULL, "unable to scan");
	for (i = 0; i < ps->n; i++) {
		const struct compiled *c = &ps->v[i];
		const OnigUChar *start = s;
		struct cursor cur = { 0, 0, 1 };

		if (only && !only[i])
			continue;
		if (c->lit && !memmem(text, n, c->lit, c->litlen))
			continue;
		while (start <= end) {
			int r = onig_search(c->re, s, end, start, end,
			    region, ONIG_OPTION_NONE);

			if (r == ONIG_MISMATCH)
				break;
			if (r < 0) {
				OnigUChar msg[ONIG_MAX_ERROR_MESSAGE_LEN];

				onig_error_code_to_str(msg, r);
				grace_err_set(e, c->r.file, c->r.line, c->r.col,
				    "rule '%s': %s", c->r.id, (const char *)msg);
				onig_region_free(region, 1);
				return -1;
			}
			if (k < max) {
				struct grace_pattern_match *m = &out[k];

				m->rule = i;
				m->off = (size_t)r;
				m->len = (size_t)(region->end[0] - region->beg[0]);
				locate(text, m->off, &cur, &m->line, &m->col);
			}
			k++;
			if (!all_matches)
				break;
			/* Next match after this one (an empty match moves on
			 * by one byte). */
			start = s + region->end[0] +
			    (region->end[0] == region->beg[0] ? 1 : 0);
			onig_region_clear(region);
		}
	}
	onig_region_free(region, 1);
	*nout = k;
	return 0;
}
