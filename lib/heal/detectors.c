/* detectors.c - loading and validating the detectors file
 * (man/grace-detectors.5): every key checked, unknown keys refused at
 * file:line:col, jq conditions compiled once, exact types indexed. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "detect_int.h"
#include "glob.h"
#include "yaml.h"

const char *const hd_kind_names[HD_NKINDS] = {
	"threshold", "flapping", "spike", "rate", "absence", "drift",
	"integrity",
};

/* Eight bytes at a time, each word mixed in by a multiply, the length
 * and the seed first; a final mix spreads the bits for the table masks. */
uint64_t
hd_hash(const void *p, size_t n, uint64_t seed)
{
	const unsigned char *s = p;
	uint64_t h = (seed + 1) * 0x9e3779b97f4a7c15ull ^ n, w;

	for (; n >= 8; s += 8, n -= 8) {
		memcpy(&w, s, 8);
		h = (h ^ w) * 0xbf58476d1ce4e5b9ull;
		h ^= h >> 31;
	}
	if (n) {
		/* the last 1-7 bytes as one word, by fixed-size loads (no
		 * call): two overlapping halves, or the first, middle and
		 * last byte; every byte is in it, and n is mixed in above */
		if (n >= 4) {
			uint32_t a, b;

			memcpy(&a, s, 4);
			memcpy(&b, s + n - 4, 4);
			w = (uint64_t)a | (uint64_t)b << 32;
		} else {
			w = (uint64_t)s[0] | (uint64_t)s[n / 2] << 8 |
			    (uint64_t)s[n - 1] << 16;
		}
		h = (h ^ w) * 0x94d049bb133111ebull;
		h ^= h >> 31;
	}
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 32;
	return h;
}

struct ld {
	struct grace_detectors *d;
	const struct grace_ynode *dcomp; /* defaults */
	const char *dvalue;
	int dsev;
	struct grace_err *e;
};

static int
oom(struct ld *l)
{
	return grace_err_sys(l->e, l->d->file, "out of memory");
}

static int
path_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '@' ||
	    c == '$';
}

/* The path table entry for text s[0..len) (shared by every detector that
 * names it), or NULL with e filled at n. */
static struct hd_path *
path_get(struct ld *l, const struct grace_ynode *n, const char *s, size_t len)
{
	struct grace_detectors *d = l->d;
	struct hd_path *p, **np;
	size_t i, a;

	if (len && s[0] == '.') {
		s++;
		len--;
	}
	for (i = 0; i < d->npaths; i++)
		if (strlen(d->paths[i]->text) == len &&
		    memcmp(d->paths[i]->text, s, len) == 0)
			return d->paths[i];
	if (len == 0 || s[0] == '.' || s[len - 1] == '.') {
		grace_yaml_err(l->e, n, "'%.*s': expected a member path such as "
		    "data.service", (int)len, s);
		return NULL;
	}
	for (i = 0; i < len; i++)
		if (!(path_char(s[i]) || (s[i] == '.' && s[i + 1] != '.'))) {
			grace_yaml_err(l->e, n, "'%.*s': expected a member path "
			    "such as data.service (names of letters, digits, "
			    "_ - @ $ joined by dots)", (int)len, s);
			return NULL;
		}
	if (!(p = calloc(1, sizeof *p)) || !(p->text = strndup(s, len))) {
		free(p);
		oom(l);
		return NULL;
	}
	for (i = 0; i < len; i = a + 1) {
		for (a = i; a < len && s[a] != '.'; a++)
			;
		if (p->nsegs == HD_MAX_PATH) {
			free(p->text);
			for (i = 0; i < p->nsegs; i++)
				free(p->segs[i]);
			free(p);
			grace_yaml_err(l->e, n, "'%.*s': a member path has at most "
			    "%d parts", (int)len, s, HD_MAX_PATH);
			return NULL;
		}
		if (!(p->segs[p->nsegs++] = strndup(s + i, a - i))) {
			p->nsegs--;
			goto fail;
		}
	}
	if (!(np = realloc(d->paths, (d->npaths + 1) * sizeof *np)))
		goto fail;
	d->paths = np;
	p->id = d->npaths;
	d->paths[d->npaths++] = p;
	return p;
fail:
	for (i = 0; i < p->nsegs; i++)
		free(p->segs[i]);
	free(p->text);
	free(p);
	oom(l);
	return NULL;
}

static struct hd_path *
path_node(struct ld *l, const struct grace_ynode *n)
{
	const char *s;

	if (grace_yaml_as_string(n, &s, l->e) < 0)
		return NULL;
	return path_get(l, n, s, strlen(s));
}

static int
load_comp(struct ld *l, struct hd_det *dt, const struct grace_ynode *n)
{
	size_t i;

	if (n->kind == GRACE_YSCALAR) {
		if (!(dt->comp[0] = path_node(l, n)))
			return -1;
		dt->ncomp = 1;
		return 0;
	}
	if (n->kind != GRACE_YSEQ || n->n == 0)
		return grace_yaml_err(l->e, n, "component: expected a member path "
		    "or a list of them, got %s", n->kind == GRACE_YSEQ ?
		    "an empty list" : grace_yaml_describe(n));
	if (n->n > HD_MAX_COMP)
		return grace_yaml_err(l->e, n, "component: at most %d paths",
		    HD_MAX_COMP);
	for (i = 0; i < n->n; i++)
		if (!(dt->comp[dt->ncomp++] = path_node(l, n->items[i])))
			return -1;
	return 0;
}

/* "data.name = latency_ms" or "data.name != x" (value quoted with "..."
 * when it has blanks at its ends). */
static int
load_match(struct ld *l, struct hd_match *m, const struct grace_ynode *n)
{
	const char *s, *p, *q, *v;
	size_t len;

	if (grace_yaml_as_string(n, &s, l->e) < 0)
		return -1;
	if (!(m->text = strdup(s)))
		return oom(l);
	for (p = s; *p == ' '; p++)
		;
	for (q = p; path_char(*q) || *q == '.'; q++)
		;
	len = (size_t)(q - p);
	while (*q == ' ')
		q++;
	if (q[0] == '!' && q[1] == '=') {
		m->neg = 1;
		v = q + 2;
	} else if (q[0] == '=' && q[1] != '~') {
		v = q + 1;
	} else {
		return grace_yaml_err(l->e, n, "matcher '%s': expected "
		    "'path = value' or 'path != value'", s);
	}
	if (!(m->path = path_get(l, n, p, len)))
		return -1;
	while (*v == ' ')
		v++;
	len = strlen(v);
	while (len && v[len - 1] == ' ')
		len--;
	if (len >= 2 && v[0] == '"' && v[len - 1] == '"') {
		v++;
		len -= 2;
	}
	if (!(m->value = strndup(v, len)))
		return oom(l);
	m->vlen = len;
	return 0;
}

static int
get_dur(struct ld *l, const struct grace_ynode *map, const char *key,
    int64_t *ms, int positive)
{
	const struct grace_ynode *v = grace_yaml_get(map, key);
	int r = grace_yaml_get_duration(map, key, ms, l->e);

	if (r > 0 && positive && *ms <= 0)
		return grace_yaml_err(l->e, v, "%s: expected a duration above 0s",
		    key);
	if (r > 0 && *ms > HD_MAX_DURATION)
		return grace_yaml_err(l->e, v, "%s: at most 3650d", key);
	return r;
}

static int
get_uint(struct ld *l, const struct grace_ynode *map, const char *key,
    unsigned *out, int64_t lo, int64_t hi)
{
	const struct grace_ynode *v = grace_yaml_get(map, key);
	int64_t x;
	int r = grace_yaml_get_int(map, key, &x, l->e);

	if (r <= 0)
		return r;
	if (x < lo || x > hi)
		return grace_yaml_err(l->e, v, "%s: expected an integer from %lld "
		    "to %lld, got %lld", key, (long long)lo, (long long)hi,
		    (long long)x);
	*out = (unsigned)x;
	return 1;
}

static int
get_num(struct ld *l, const struct grace_ynode *map, const char *key,
    double *out, double lo, int lo_open)
{
	const struct grace_ynode *v = grace_yaml_get(map, key);
	int r = grace_yaml_get_number(map, key, out, l->e);

	if (r > 0 && (lo_open ? !(*out > lo) : !(*out >= lo)))
		return grace_yaml_err(l->e, v, "%s: expected a number %s %g", key,
		    lo_open ? "above" : "of at least", lo);
	return r;
}

/* above / below / equals: exactly one. */
static int
load_cond(struct ld *l, struct hd_det *dt, const struct grace_ynode *map)
{
	const struct grace_ynode *a = grace_yaml_get(map, "above"),
	    *b = grace_yaml_get(map, "below"), *q = grace_yaml_get(map, "equals");
	const char *s;

	if ((a != NULL) + (b != NULL) + (q != NULL) != 1)
		return grace_yaml_err(l->e, map, "a %s detector needs exactly one "
		    "of above, below, equals", hd_kind_names[dt->kind]);
	if (a) {
		dt->cmp = HD_ABOVE;
		return grace_yaml_as_number(a, &dt->limit, l->e);
	}
	if (b) {
		dt->cmp = HD_BELOW;
		return grace_yaml_as_number(b, &dt->limit, l->e);
	}
	dt->cmp = HD_EQUALS;
	if (grace_yaml_as_string(q, &s, l->e) < 0)
		return -1;
	if (!(dt->equals = strdup(s)))
		return oom(l);
	dt->equals_len = strlen(s);
	return 0;
}

static int
load_kind(struct ld *l, struct hd_det *dt, const struct grace_ynode *map)
{
	static const char *const common[] = { "id", "kind", "anomaly",
		"severity", "description", "type", "match", "when", "component",
		"value", NULL };
	static const char *const extra[HD_NKINDS][10] = {
		[HD_THRESHOLD] = { "above", "below", "equals", "for",
			"keep_firing_for" },
		[HD_FLAPPING] = { "above", "below", "equals", "transitions",
			"window", "stable" },
		[HD_SPIKE] = { "method", "alpha", "samples", "z", "ratio",
			"direction", "min_samples", "for", "keep_firing_for" },
		[HD_RATE] = { "count", "window" },
		[HD_ABSENCE] = { "ttl" },
		[HD_DRIFT] = { "golden", "golden_path", "tolerance", "for",
			"keep_firing_for" },
		[HD_INTEGRITY] = { "for", "keep_firing_for" },
	};
	const char *allowed[24];
	const struct grace_ynode *v;
	const char *s;
	size_t i, k = 0;
	int r;

	for (i = 0; common[i]; i++)
		allowed[k++] = common[i];
	for (i = 0; i < 10 && extra[dt->kind][i]; i++)
		allowed[k++] = extra[dt->kind][i];
	allowed[k] = NULL;
	if (grace_yaml_check_keys(map, allowed, l->e) < 0)
		return -1;
	if (get_dur(l, map, "for", &dt->for_ms, 0) < 0 ||
	    get_dur(l, map, "keep_firing_for", &dt->keep_ms, 0) < 0)
		return -1;
	switch (dt->kind) {
	case HD_THRESHOLD:
		return load_cond(l, dt, map);
	case HD_FLAPPING:
		if (load_cond(l, dt, map) < 0)
			return -1;
		if (!grace_yaml_require(map, "transitions", l->e) ||
		    get_uint(l, map, "transitions", &dt->transitions, 2,
		    HD_MAX_RING) < 0)
			return -1;
		if (!grace_yaml_require(map, "window", l->e) ||
		    get_dur(l, map, "window", &dt->window_ms, 1) < 0)
			return -1;
		dt->stable_ms = dt->window_ms;
		if (get_dur(l, map, "stable", &dt->stable_ms, 1) < 0)
			return -1;
		dt->ring = dt->transitions;
		return 0;
	case HD_SPIKE:
		dt->method = HD_EWMA;
		if ((r = grace_yaml_get_string(map, "method", &s, l->e)) < 0)
			return -1;
		if (r) {
			if (strcmp(s, "mad") == 0)
				dt->method = HD_MAD;
			else if (strcmp(s, "ewma") != 0)
				return grace_yaml_err(l->e, grace_yaml_get(map,
				    "method"), "method: expected ewma or mad, got "
				    "'%s'", s);
		}
		if (dt->method == HD_EWMA && grace_yaml_get(map, "samples"))
			return grace_yaml_err(l->e, grace_yaml_get(map, "samples"),
			    "samples: only for method: mad (ewma keeps no "
			    "samples: see alpha)");
		if (dt->method == HD_MAD && grace_yaml_get(map, "alpha"))
			return grace_yaml_err(l->e, grace_yaml_get(map, "alpha"),
			    "alpha: only for method: ewma");
		dt->alpha = 0.1;
		if ((r = get_num(l, map, "alpha", &dt->alpha, 0, 1)) < 0)
			return -1;
		if (r && dt->alpha > 1)
			return grace_yaml_err(l->e, grace_yaml_get(map, "alpha"),
			    "alpha: expected a number above 0 and at most 1");
		dt->samples = 30;
		if (get_uint(l, map, "samples", &dt->samples, 3, HD_MAX_MAD) < 0)
			return -1;
		dt->min_samples = dt->method == HD_MAD ? dt->samples : 10;
		if (get_uint(l, map, "min_samples", &dt->min_samples, 1,
		    1000000) < 0)
			return -1;
		if (dt->method == HD_MAD && dt->min_samples > dt->samples)
			return grace_yaml_err(l->e, grace_yaml_get(map,
			    "min_samples"), "min_samples: at most samples (%u): "
			    "a mad window holds no more", dt->samples);
		if ((dt->has_z = get_num(l, map, "z", &dt->z, 0, 1)) < 0 ||
		    (dt->has_ratio = get_num(l, map, "ratio", &dt->ratio, 0,
		    1)) < 0)
			return -1;
		if (!dt->has_z && !dt->has_ratio)
			return grace_yaml_err(l->e, map, "a spike detector needs z, "
			    "ratio or both");
		dt->dir = HD_UP;
		if ((r = grace_yaml_get_string(map, "direction", &s, l->e)) < 0)
			return -1;
		if (r) {
			v = grace_yaml_get(map, "direction");
			if (strcmp(s, "down") == 0)
				dt->dir = HD_DOWN;
			else if (strcmp(s, "both") == 0)
				dt->dir = HD_BOTH;
			else if (strcmp(s, "up") != 0)
				return grace_yaml_err(l->e, v, "direction: expected "
				    "up, down or both, got '%s'", s);
			if (dt->dir == HD_BOTH && dt->has_ratio)
				return grace_yaml_err(l->e, v, "direction: both "
				    "goes with z only (a ratio is up or down)");
		}
		if (dt->has_ratio && dt->dir == HD_UP && dt->ratio <= 1)
			return grace_yaml_err(l->e, grace_yaml_get(map, "ratio"),
			    "ratio: expected a number above 1 for direction up");
		if (dt->has_ratio && dt->dir == HD_DOWN && dt->ratio >= 1)
			return grace_yaml_err(l->e, grace_yaml_get(map, "ratio"),
			    "ratio: expected a number below 1 for direction down");
		dt->ring = dt->method == HD_MAD ? dt->samples : 0;
		return 0;
	case HD_RATE:
		if (!grace_yaml_require(map, "count", l->e) ||
		    get_uint(l, map, "count", &dt->count, 1, HD_MAX_RING) < 0)
			return -1;
		if (!grace_yaml_require(map, "window", l->e) ||
		    get_dur(l, map, "window", &dt->window_ms, 1) < 0)
			return -1;
		dt->ring = dt->count;
		return 0;
	case HD_ABSENCE:
		if (!grace_yaml_require(map, "ttl", l->e) ||
		    get_dur(l, map, "ttl", &dt->ttl_ms, 1) < 0)
			return -1;
		return 0;
	case HD_DRIFT: {
		const struct grace_ynode *g = grace_yaml_get(map, "golden"),
		    *gp = grace_yaml_get(map, "golden_path");

		if ((g != NULL) == (gp != NULL))
			return grace_yaml_err(l->e, map, "a drift detector needs "
			    "exactly one of golden, golden_path");
		if (g) {
			if (grace_yaml_as_string(g, &s, l->e) < 0)
				return -1;
			if (!g->quoted && (g->type == GRACE_YT_INT ||
			    g->type == GRACE_YT_FLOAT)) {
				dt->golden_num = 1;
				if (grace_yaml_as_number(g, &dt->golden_d, l->e) < 0)
					return -1;
			}
			if (!(dt->golden = strdup(s)))
				return oom(l);
			dt->golden_len = strlen(s);
		} else if (!(dt->golden_path = path_node(l, gp))) {
			return -1;
		}
		if (get_num(l, map, "tolerance", &dt->tolerance, 0, 0) < 0)
			return -1;
		if (g && !dt->golden_num && grace_yaml_get(map, "tolerance"))
			return grace_yaml_err(l->e, grace_yaml_get(map,
			    "tolerance"), "tolerance: only for a numeric golden "
			    "value (a text or digest is equal or not)");
		return 0;
	}
	default:
		return 0;
	}
}

static int
id_ok(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '_' || *s == '-' ||
		    *s == '.'))
			return 0;
	return 1;
}

static int
load_det(struct ld *l, struct hd_det *dt, const struct grace_ynode *map)
{
	const struct grace_ynode *n;
	const char **types = NULL;
	const char *s;
	size_t i, j, nt;
	int r;

	if (grace_yaml_expect(map, GRACE_YMAP, l->e) < 0)
		return -1;
	dt->line = map->line;
	dt->col = map->col;
	if (!(n = grace_yaml_require(map, "id", l->e)) ||
	    grace_yaml_as_string(n, &s, l->e) < 0)
		return -1;
	if (!id_ok(s))
		return grace_yaml_err(l->e, n, "id '%s': expected letters, digits, "
		    "'_', '-' and '.'", s);
	for (i = 0; &l->d->v[i] != dt; i++)
		if (strcmp(l->d->v[i].id, s) == 0)
			return grace_yaml_err(l->e, n, "id '%s' is already used at "
			    "line %lu", s, l->d->v[i].line);
	if (!(dt->id = strdup(s)))
		return oom(l);
	if (!(n = grace_yaml_require(map, "kind", l->e)) ||
	    grace_yaml_as_string(n, &s, l->e) < 0)
		return -1;
	for (i = 0; i < HD_NKINDS; i++)
		if (strcmp(hd_kind_names[i], s) == 0)
			break;
	if (i == HD_NKINDS)
		return grace_yaml_err(l->e, n, "kind: expected threshold, "
		    "flapping, spike, rate, absence, drift or integrity, got "
		    "'%s'", s);
	dt->kind = (enum hd_kind)i;
	if (load_kind(l, dt, map) < 0)
		return -1;
	s = dt->kind == HD_FLAPPING ? "flapping" : dt->id;
	if (grace_yaml_get_string(map, "anomaly", &s, l->e) < 0)
		return -1;
	if (!id_ok(s))
		return grace_yaml_err(l->e, grace_yaml_get(map, "anomaly"),
		    "anomaly '%s': expected letters, digits, '_', '-' and '.'",
		    s);
	if (!(dt->anomaly = strdup(s)))
		return oom(l);
	if (dt->anomaly == NULL)
		return oom(l);
	if (!grace_yaml_get(map, "anomaly") && dt->kind != HD_FLAPPING)
		for (i = 0; dt->anomaly[i]; i++)
			if (dt->anomaly[i] == '-')
				dt->anomaly[i] = '_';
	dt->severity = l->dsev;
	if ((r = grace_yaml_get_string(map, "severity", &s, l->e)) < 0)
		return -1;
	if (r && ((dt->severity = grace_hsev_parse(s, strlen(s))) <= 0))
		return grace_yaml_err(l->e, grace_yaml_get(map, "severity"),
		    "severity: expected low, medium, high or critical, got "
		    "'%s'", s);
	s = NULL;
	if (grace_yaml_get_string(map, "description", &s, l->e) < 0)
		return -1;
	if (s && !(dt->description = strdup(s)))
		return oom(l);
	if (!(n = grace_yaml_require(map, "type", l->e)) ||
	    grace_yaml_as_strlist(n, &types, &nt, l->e) < 0)
		return -1;
	if (nt == 0) {
		free(types);
		return grace_yaml_err(l->e, n, "type: expected a glob or a list "
		    "of them, got an empty list");
	}
	if (!(dt->types = calloc(nt, sizeof *dt->types))) {
		free(types);
		return oom(l);
	}
	for (i = 0; i < nt; i++) {
		const char *why = grace_glob_check(types[i]);

		if (why) {
			r = grace_yaml_err(l->e, n->kind == GRACE_YSEQ ?
			    n->items[i] : n, "type '%s': %s", types[i], why);
			free(types);
			return r;
		}
		if (!(dt->types[i] = strdup(types[i]))) {
			free(types);
			return oom(l);
		}
		dt->ntypes++;
	}
	free(types);
	if ((n = grace_yaml_get(map, "match"))) {
		if (n->kind != GRACE_YSEQ)
			return grace_yaml_err(l->e, n, "match: expected a list of "
			    "matchers such as 'data.name = latency_ms', got %s",
			    grace_yaml_describe(n));
		if (n->n && !(dt->m = calloc(n->n, sizeof *dt->m)))
			return oom(l);
		for (i = 0; i < n->n; i++) {
			dt->nm++;
			if (load_match(l, &dt->m[i], n->items[i]) < 0)
				return -1;
		}
	}
	if ((n = grace_yaml_get(map, "when"))) {
		if (grace_yaml_as_string(n, &s, l->e) < 0)
			return -1;
		if (!(dt->when = grace_jq_compile(s, n->file, n->line, n->col,
		    l->e)))
			return -1;
		l->d->njq++;
	}
	if ((n = grace_yaml_get(map, "component")) || (n = l->dcomp)) {
		if (load_comp(l, dt, n) < 0)
			return -1;
	} else {
		static const char *const dflt[] = { "data.service",
			"data.host", "subject", "source" };

		for (j = 0; j < 4; j++)
			if (!(dt->comp[dt->ncomp++] = path_get(l, map, dflt[j],
			    strlen(dflt[j]))))
				return -1;
	}
	{
		struct grace_buf b = {0};

		if (grace_buf_add_jstr(&b, dt->id, strlen(dt->id)) < 0)
			return oom(l);
		dt->id_json = b.p;
		dt->id_json_len = b.len;
		b.p = NULL;
		b.len = b.cap = 0;
		if (grace_buf_add_jstr(&b, dt->anomaly, strlen(dt->anomaly)) < 0)
			return oom(l);
		dt->anomaly_json = b.p;
		dt->anomaly_json_len = b.len;
	}
	n = grace_yaml_get(map, "value");
	if (dt->kind == HD_RATE || dt->kind == HD_ABSENCE) {
		if (n)
			return grace_yaml_err(l->e, n, "value: a %s detector counts "
			    "events and reads no value", hd_kind_names[dt->kind]);
	} else if (n) {
		if (!(dt->value = path_node(l, n)))
			return -1;
	} else {
		s = dt->kind == HD_INTEGRITY ? "data.intact" : l->dvalue;
		if (!(dt->value = path_get(l, map, s, strlen(s))))
			return -1;
	}
	return 0;
}

static void
det_free(struct hd_det *dt)
{
	size_t i;

	free(dt->id);
	free(dt->anomaly);
	free(dt->id_json);
	free(dt->anomaly_json);
	free(dt->description);
	for (i = 0; i < dt->ntypes; i++)
		free(dt->types[i]);
	free(dt->types);
	for (i = 0; i < dt->nm; i++) {
		free(dt->m[i].text);
		free(dt->m[i].value);
	}
	free(dt->m);
	grace_jq_free(dt->when);
	free(dt->equals);
	free(dt->golden);
}

static int
is_glob(const char *s)
{
	return strpbrk(s, "*?[\\") != NULL;
}

static struct hd_vslot *
vslot(struct hd_tslot *t, const char *v, size_t len)
{
	uint64_t h = hd_hash(v, len, 3);
	size_t k;

	for (k = h & (t->vcap - 1);; k = (k + 1) & (t->vcap - 1)) {
		struct hd_vslot *x = &t->vt[k];

		if (!x->value || (x->hash == h && x->len == len &&
		    memcmp(x->value, v, len) == 0)) {
			x->hash = h;
			return x;
		}
	}
}

static int
addidx(size_t **v, size_t *n, size_t i)
{
	size_t *nv = realloc(*v, (*n + 1) * sizeof *nv);

	if (!nv)
		return -1;
	*v = nv;
	nv[(*n)++] = i;
	return 0;
}

/* Split a type slot by the value of its detectors' first matcher, when
 * two or more share that path: an event then consults only those whose
 * value it has (selects() still checks every matcher: the index only
 * leaves out detectors that could not select the event). */
static int
value_index(struct ld *l, struct hd_tslot *t)
{
	const struct grace_detectors *d = l->d;
	struct hd_path *key = NULL;
	size_t i, nk = 0, cap = 16;

	for (i = 0; i < t->ndets; i++) {
		const struct hd_det *dt = &d->v[t->dets[i]];

		if (dt->nm && !dt->m[0].neg) {
			if (!key)
				key = dt->m[0].path;
			if (dt->m[0].path == key)
				nk++;
		}
	}
	if (nk < 2)
		return 0;
	while (cap < 4 * nk)
		cap *= 2;
	if (!(t->vt = calloc(cap, sizeof *t->vt)))
		return oom(l);
	t->vcap = cap;
	t->key = key;
	for (i = 0; i < t->ndets; i++) {
		const struct hd_det *dt = &d->v[t->dets[i]];
		struct hd_vslot *x;

		if (!(dt->nm && !dt->m[0].neg && dt->m[0].path == key)) {
			if (addidx(&t->rest, &t->nrest, t->dets[i]) < 0)
				return oom(l);
			continue;
		}
		x = vslot(t, dt->m[0].value, dt->m[0].vlen);
		if (!x->value) {
			if (!(x->value = malloc(dt->m[0].vlen + 1)))
				return oom(l);
			memcpy(x->value, dt->m[0].value, dt->m[0].vlen + 1);
			x->len = dt->m[0].vlen;
		}
		if (addidx(&x->dets, &x->ndets, t->dets[i]) < 0)
			return oom(l);
	}
	return 0;
}

/* Number the trie's nodes again: a node where a path ends takes that
 * path's id, the others follow from npaths on. Then the spans a scan
 * records by node are the spans of the paths (grace_detect_bind()), with
 * nothing to copy per event. npath[id] is id for the first, -1 for the
 * others; nnodes counts the ids. */
static void
renumber(struct hd_tnode *n, const long *old, long *np, size_t *next)
{
	size_t k;

	for (k = 0; k < n->nkids; k++) {
		struct hd_tnode *t = &n->kids[k];
		long pa = old[t->id];

		if (pa >= 0) {
			t->id = (size_t)pa;
			np[pa] = pa;
		} else {
			t->id = (*next)++;
		}
		renumber(t, old, np, next);
	}
}

static int
trie_number(struct ld *l)
{
	struct grace_detectors *d = l->d;
	size_t i, next = d->npaths, total = d->npaths + d->nnodes;
	long *np = malloc((total + 1) * sizeof *np);

	if (!np)
		return oom(l);
	for (i = 0; i <= total; i++)
		np[i] = -1;
	renumber(&d->root, d->npath, np, &next);
	free(d->npath);
	d->npath = np;
	d->nnodes = next;
	return 0;
}

/* Put path p into the trie under root. */
static int
trie_add(struct ld *l, struct hd_path *p)
{
	struct hd_tnode *n = &l->d->root;
	size_t i, k;

	for (i = 0; i < p->nsegs; i++) {
		size_t len = strlen(p->segs[i]);
		struct hd_tnode *nk;
		long *np;

		for (k = 0; k < n->nkids; k++)
			if (n->kids[k].len == len &&
			    memcmp(n->kids[k].name, p->segs[i], len) == 0)
				break;
		if (k == n->nkids) {
			if (!(nk = realloc(n->kids, (n->nkids + 1) * sizeof *nk)))
				return oom(l);
			n->kids = nk;
			memset(&nk[k], 0, sizeof nk[k]);
			if (!(np = realloc(l->d->npath, (l->d->nnodes + 1) *
			    sizeof *np)))
				return oom(l);
			l->d->npath = np;
			np[l->d->nnodes] = -1;
			nk[k].id = l->d->nnodes++;
			nk[k].len = len;
			if (!(nk[k].name = strdup(p->segs[i])))
				return oom(l);
			nk[k].w8 = grace_json_word(nk[k].name, len);
			n->nkids++;
		}
		n = &n->kids[k];
	}
	if (n != &l->d->root)
		l->d->npath[n->id] = (long)p->id;
	return 0;
}

static void
trie_free(struct hd_tnode *n)
{
	size_t k;

	for (k = 0; k < n->nkids; k++) {
		trie_free(&n->kids[k]);
		free(n->kids[k].name);
	}
	free(n->kids);
}

/* Index the exact types; detectors with a glob type go to globs[]. */
static int
build_index(struct ld *l)
{
	struct grace_detectors *d = l->d;
	size_t i, j, cap = 16;

	while (cap < 2 * (d->n + 1) * 4)
		cap *= 2;
	if (!(d->tidx = calloc(cap, sizeof *d->tidx)))
		return oom(l);
	d->tcap = cap;
	for (i = 0; i < d->n; i++) {
		struct hd_det *dt = &d->v[i];
		int glob = 0;

		for (j = 0; j < dt->ntypes; j++)
			glob |= is_glob(dt->types[j]);
		if (glob) {
			size_t *ng = realloc(d->globs, (d->nglobs + 1) *
			    sizeof *ng);

			if (!ng)
				return oom(l);
			d->globs = ng;
			d->globs[d->nglobs++] = i;
			continue;
		}
		for (j = 0; j < dt->ntypes; j++) {
			size_t len = strlen(dt->types[j]), k;
			uint64_t h = hd_hash(dt->types[j], len, 0);
			struct hd_tslot *t;
			size_t *nd;

			for (k = h & (cap - 1);; k = (k + 1) & (cap - 1)) {
				t = &d->tidx[k];
				if (!t->type || (t->hash == h && t->len == len &&
				    memcmp(t->type, dt->types[j], len) == 0))
					break;
			}
			if (!t->type) {
				if (!(t->type = strdup(dt->types[j])))
					return oom(l);
				t->len = len;
				t->hash = h;
			}
			if (t->ndets && t->dets[t->ndets - 1] == i)
				continue; /* the same type twice */
			if (!(nd = realloc(t->dets, (t->ndets + 1) * sizeof *nd)))
				return oom(l);
			t->dets = nd;
			t->dets[t->ndets++] = i;
		}
	}
	for (i = 0; i < cap; i++)
		if (d->tidx[i].type && value_index(l, &d->tidx[i]) < 0)
			return -1;
	for (i = 0; i < d->npaths; i++)
		if (trie_add(l, d->paths[i]) < 0)
			return -1;
	return trie_number(l);
}

struct grace_detectors *
grace_detectors_load(const char *path, struct grace_err *e)
{
	static const char *const top[] = { "defaults", "detectors", NULL };
	static const char *const dkeys[] = { "component", "severity", "value",
		NULL };
	struct grace_ynode *root;
	const struct grace_ynode *dets, *df, *n;
	struct ld l;
	const char *s;
	size_t i;
	int r;

	if (!(root = grace_yaml_load_file(path, e)))
		return NULL;
	memset(&l, 0, sizeof l);
	l.e = e;
	l.dsev = GRACE_HSEV_MEDIUM;
	l.dvalue = "data.value";
	if (!(l.d = calloc(1, sizeof *l.d)) || !(l.d->file = strdup(path))) {
		free(l.d);
		grace_yaml_free(root);
		grace_err_sys(e, path, "out of memory");
		return NULL;
	}
	if (grace_yaml_expect(root, GRACE_YMAP, e) < 0 ||
	    grace_yaml_check_keys(root, top, e) < 0)
		goto fail;
	if (!(l.d->p_type = path_get(&l, root, "type", 4)) ||
	    !(l.d->p_heal = path_get(&l, root, "grace.heal", 10)))
		goto fail;
	if ((df = grace_yaml_get(root, "defaults"))) {
		if (grace_yaml_check_keys(df, dkeys, e) < 0)
			goto fail;
		l.dcomp = grace_yaml_get(df, "component");
		if ((r = grace_yaml_get_string(df, "severity", &s, e)) < 0)
			goto fail;
		if (r && (l.dsev = grace_hsev_parse(s, strlen(s))) <= 0) {
			grace_yaml_err(e, grace_yaml_get(df, "severity"),
			    "severity: expected low, medium, high or critical, "
			    "got '%s'", s);
			goto fail;
		}
		if (grace_yaml_get_string(df, "value", &l.dvalue, e) < 0)
			goto fail;
		if ((n = grace_yaml_get(df, "value")) && !path_get(&l, n,
		    l.dvalue, strlen(l.dvalue)))
			goto fail;
		if (l.dcomp) {
			struct hd_det probe;

			memset(&probe, 0, sizeof probe);
			if (load_comp(&l, &probe, l.dcomp) < 0)
				goto fail;
		}
	}
	if (!(dets = grace_yaml_require(root, "detectors", e)))
		goto fail;
	if (dets->kind != GRACE_YSEQ || dets->n == 0) {
		grace_yaml_err(e, dets, "detectors: expected a list of detectors, "
		    "got %s", dets->kind == GRACE_YSEQ ? "an empty list" :
		    grace_yaml_describe(dets));
		goto fail;
	}
	if (!(l.d->v = calloc(dets->n, sizeof *l.d->v))) {
		grace_err_sys(e, path, "out of memory");
		goto fail;
	}
	for (i = 0; i < dets->n; i++) {
		l.d->n++;
		if (load_det(&l, &l.d->v[i], dets->items[i]) < 0) {
			/* id checks look at the ones before only */
			goto fail;
		}
	}
	if (build_index(&l) < 0)
		goto fail;
	grace_yaml_free(root);
	return l.d;
fail:
	grace_yaml_free(root);
	grace_detectors_free(l.d);
	return NULL;
}

void
grace_detectors_free(struct grace_detectors *d)
{
	size_t i, j;

	if (!d)
		return;
	for (i = 0; i < d->n; i++)
		det_free(&d->v[i]);
	free(d->v);
	for (i = 0; i < d->npaths; i++) {
		for (j = 0; j < d->paths[i]->nsegs; j++)
			free(d->paths[i]->segs[j]);
		free(d->paths[i]->text);
		free(d->paths[i]);
	}
	free(d->paths);
	for (i = 0; d->tidx && i < d->tcap; i++) {
		free(d->tidx[i].type);
		free(d->tidx[i].dets);
		free(d->tidx[i].rest);
		for (j = 0; j < d->tidx[i].vcap; j++) {
			free(d->tidx[i].vt[j].value);
			free(d->tidx[i].vt[j].dets);
		}
		free(d->tidx[i].vt);
	}
	trie_free(&d->root);
	free(d->npath);
	free(d->tidx);
	free(d->globs);
	free(d->file);
	free(d);
}

void
grace_detectors_summary(const struct grace_detectors *d,
    struct grace_detectors_summary *s)
{
	size_t i, *k[HD_NKINDS];

	memset(s, 0, sizeof *s);
	k[HD_THRESHOLD] = &s->threshold;
	k[HD_FLAPPING] = &s->flapping;
	k[HD_SPIKE] = &s->spike;
	k[HD_RATE] = &s->rate;
	k[HD_ABSENCE] = &s->absence;
	k[HD_DRIFT] = &s->drift;
	k[HD_INTEGRITY] = &s->integrity;
	s->detectors = d->n;
	s->jq_conditions = d->njq;
	for (i = 0; i < d->n; i++)
		(*k[d->v[i].kind])++;
}
