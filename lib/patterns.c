/* patterns.c - named regex rules over text, with a literal prefilter
 * (lib/rxlit.c) and a UTF-8 guard in front of Oniguruma. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <oniguruma.h>

#include "idset.h"
#include "patterns.h"
#include "rxlit.h"

struct compiled {
	struct grace_pattern_rule r;
	OnigRegex re;
	struct grace_rxlit req;   /* literals every match contains */
};

struct grace_patterns {
	struct compiled *v;
	size_t n, cap;
	struct grace_idset ids;  /* rule ids (borrowed from v[].r.id) -> index */
	int no_prefilter;
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
		grace_rxlit_free(&ps->v[i].req);
	}
	free(ps->v);
	grace_idset_free(&ps->ids);
	free(ps);
}

void
grace_patterns_set_prefilter(struct grace_patterns *ps, int on)
{
	ps->no_prefilter = !on;
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

long
grace_patterns_add(struct grace_patterns *ps, const char *id,
    const char *pattern, int ignore_case, enum grace_severity sev,
    const char *message, const char *file, unsigned long line,
    unsigned long col, struct grace_err *e)
{
	struct compiled c;
	OnigErrorInfo einfo;
	size_t first;
	int r;

	if (grace_idset_get(&ps->ids, id, strlen(id), &first)) {
		grace_err_set(e, file, line, col, "duplicate rule id '%s' "
		    "(first defined at line %lu)", id, ps->v[first].r.line);
		e->code = GRACE_EXIT_USAGE;
		return -1;
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
	if (!c.r.id || !c.r.pattern || !c.r.message ||
	    grace_rxlit_read(pattern, ignore_case, &c.req) < 0 ||
	    grace_idset_add(&ps->ids, c.r.id, ps->n, NULL) < 0) {
		grace_rxlit_free(&c.req);
		onig_free(c.re);
		free(c.r.id);
		free(c.r.pattern);
		free(c.r.message);
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

/* The length of the well-formed UTF-8 character at p (p < end), or 0. */
static size_t
u8len(const unsigned char *p, const unsigned char *end)
{
	unsigned c = p[0];
	size_t room = (size_t)(end - p);

	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		return room >= 2 && (p[1] & 0xC0) == 0x80 ? 2 : 0;
	if (c >= 0xE0 && c <= 0xEF) {
		if (room < 3 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 ||
		    (c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] >= 0xA0))
			return 0;
		return 3;
	}
	if (c >= 0xF0 && c <= 0xF4) {
		if (room < 4 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 ||
		    (p[3] & 0xC0) != 0x80 || (c == 0xF0 && p[1] < 0x90) ||
		    (c == 0xF4 && p[1] >= 0x90))
			return 0;
		return 4;
	}
	return 0;
}

/* The text as the regex engine reads it: always valid UTF-8. When the
 * caller's text is not, each byte that is not part of a well-formed
 * character is replaced by U+FFFD (3 bytes) in a copy, and bad[] keeps
 * their offsets in the original, to map matches back. */
struct utext {
	const char *p;
	size_t n;
	char *own;
	size_t *bad;
	size_t nbad;
};

/* Fill u for t[0..n). Returns 0, or -1 when out of memory. */
static int
utext_init(struct utext *u, const char *t, size_t n)
{
	const unsigned char *s = (const unsigned char *)t, *end = s + n;
	size_t i = 0, k, o = 0;

	memset(u, 0, sizeof *u);
	u->p = t;
	u->n = n;
	for (;;) {
		while (i + 8 <= n) {
			uint64_t x;

			memcpy(&x, s + i, 8);
			if (x & 0x8080808080808080ull)
				break;
			i += 8;
		}
		while (i < n && s[i] < 0x80)
			i++;
		if (i >= n)
			return 0;   /* valid: used as it is */
		if (!(k = u8len(s + i, end)))
			break;
		i += k;
	}
	for (k = 0; k < n;) {
		size_t l = u8len(s + k, end);

		if (!l) {
			u->nbad++;
			l = 1;
		}
		k += l;
	}
	if (!(u->own = malloc(n + 2 * u->nbad + 1)) ||
	    !(u->bad = malloc(u->nbad * sizeof *u->bad))) {
		free(u->own);
		u->own = NULL;
		return -1;
	}
	u->nbad = 0;
	for (k = 0; k < n;) {
		size_t l = u8len(s + k, end);

		if (!l) {
			u->bad[u->nbad++] = k;
			memcpy(u->own + o, "\xEF\xBF\xBD", 3);
			o += 3;
			k++;
			continue;
		}
		memcpy(u->own + o, s + k, l);
		o += l;
		k += l;
	}
	u->own[o] = '\0';
	u->p = u->own;
	u->n = o;
	return 0;
}

static void
utext_free(struct utext *u)
{
	free(u->own);
	free(u->bad);
}

/* The offset in the original text of offset off of u->p: inside a
 * U+FFFD that replaced a byte, that byte's offset. */
static size_t
utext_orig(const struct utext *u, size_t off)
{
	size_t lo = 0, hi = u->nbad;

	/* the number of replacements that start before or at off */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (u->bad[mid] + 2 * mid <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo && off < u->bad[lo - 1] + 2 * (lo - 1) + 3)
		return u->bad[lo - 1];
	return off - 2 * lo;
}

int
grace_patterns_scan(const struct grace_patterns *ps, const char *text,
    size_t n, const unsigned char *only, int all_matches,
    struct grace_pattern_match *out, size_t max, size_t *nout,
    struct grace_err *e)
{
	const OnigUChar *s, *end;
	OnigRegion *region = onig_region_new();
	struct utext u;
	size_t i, k = 0;

	if (!region)
		return grace_err_sys(e, NULL, "unable to scan");
	if (utext_init(&u, text, n) < 0) {
		onig_region_free(region, 1);
		return grace_err_sys(e, NULL, "unable to scan");
	}
	s = (const OnigUChar *)u.p;
	end = s + u.n;
	for (i = 0; i < ps->n; i++) {
		const struct compiled *c = &ps->v[i];
		const OnigUChar *start = s;
		struct cursor cur = { 0, 0, 1 };

		if (only && !only[i])
			continue;
		if (!ps->no_prefilter && c->req.n &&
		    !grace_rxlit_may_match(&c->req, u.p, u.n))
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
				utext_free(&u);
				return -1;
			}
			if (k < max) {
				struct grace_pattern_match *m = &out[k];
				size_t b = (size_t)region->beg[0];
				size_t x = (size_t)region->end[0];

				m->rule = i;
				m->off = utext_orig(&u, b);
				m->len = x > b ? utext_orig(&u, x - 1) + 1 - m->off :
				    0;
				locate(text, m->off, &cur, &m->line, &m->col);
			}
			k++;
			if (!all_matches)
				break;
			/* Next match after this one (an empty match moves on
			 * by one character). */
			start = s + region->end[0];
			if (region->end[0] == region->beg[0])
				start += start < end ? u8len(start, end) : 1;
			onig_region_clear(region);
		}
	}
	onig_region_free(region, 1);
	utext_free(&u);
	*nout = k;
	return 0;
}
