/* yaml.c - load one YAML document with libyaml's event API into a tree of
 * positioned nodes, and the lookups/conversions config loaders need.
 *
 * Each event is copied out and deleted at once; the tree is built with an
 * explicit stack capped at GRACE_YAML_MAX_DEPTH, so the recursion in
 * free and to_jv is bounded too.
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* <yaml.h> is lib/yaml.h (-Ilib comes first); with this macro it also
 * includes libyaml's <yaml.h>. See lib/yaml.h. */
#define GRACE_YAML_LIBYAML
#include <yaml.h>

#include "err.h"
#include "timeutil.h"

#define SNIP_MAX 48
#define SNIP_BUF (SNIP_MAX * 4 + 8)
#define CORE "tag:yaml.org,2002:"

/* Loader state for one document. */
struct ctx {
	const char *buf;
	size_t len;
	char *file;          /* shared name; moves to the root once made */
	struct grace_err *e;
	struct grace_ynode *root;
	struct grace_ynode *stack[GRACE_YAML_MAX_DEPTH];
	int depth;
	int docs;
};

/* Copy s[0..n) for a message: control bytes as \n, \t or \xNN, cut after
 * SNIP_MAX bytes with "...". buf needs SNIP_BUF bytes. */
static const char *
snip(const char *s, size_t n, char *buf)
{
	return grace_err_snip(s, n, SNIP_MAX, buf, SNIP_BUF);
}

int
grace_yaml_err(struct grace_err *e, const struct grace_ynode *n,
    const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return -1;
	va_start(ap, fmt);
	grace_err_vset(e, n ? n->file : NULL, n ? n->line : 0, n ? n->col : 0,
	    fmt, ap);
	va_end(ap);
	e->code = GRACE_EXIT_USAGE;
	return -1;
}

/* Error at a libyaml mark (0-based) while loading. */
__attribute__((format(printf, 3, 4)))
static int
mark_err(struct ctx *c, yaml_mark_t m, const char *fmt, ...)
{
	va_list ap;
	char msg[sizeof c->e->msg];

	if (!c->e)
		return -1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	grace_err_set(c->e, c->file, m.line + 1, m.column + 1, "%s", msg);
	c->e->code = GRACE_EXIT_USAGE;
	return -1;
}

/* --- scalar typing (core schema) --- */

static int
all_of(const char *s, size_t n, const char *set)
{
	size_t i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (!s[i] || !strchr(set, s[i]))
			return 0;
	return 1;
}

#define DIGITS "0123456789"

static int
is_int(const char *s, size_t n)
{
	if (n > 2 && s[0] == '0' && s[1] == 'o')
		return all_of(s + 2, n - 2, "01234567");
	if (n > 2 && s[0] == '0' && s[1] == 'x')
		return all_of(s + 2, n - 2, DIGITS "abcdefABCDEF");
	if (n > 0 && (s[0] == '-' || s[0] == '+'))
		s++, n--;
	return all_of(s, n, DIGITS);
}

/* Length of the run of digits at s[0..n). */
static size_t
digit_run(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n && s[i] >= '0' && s[i] <= '9')
		i++;
	return i;
}

static int
is_float(const char *s, size_t n)
{
	size_t i = 0, d;

	if (i < n && (s[i] == '-' || s[i] == '+'))
		i++;
	d = digit_run(s + i, n - i);
	i += d;
	if (i < n && s[i] == '.') {
		size_t f = digit_run(s + i + 1, n - i - 1);
		if (d == 0 && f == 0)
			return 0;
		i += 1 + f;
	} else if (d == 0) {
		return 0;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '-' || s[i] == '+'))
			i++;
		d = digit_run(s + i, n - i);
		if (d == 0)
			return 0;
		i += d;
	}
	return i == n;
}

static enum grace_ytype
classify(const char *s, size_t n)
{
	if (n == 0 || (n == 1 && s[0] == '~') ||
	    (n == 4 && memcmp(s, "null", 4) == 0))
		return GRACE_YT_NULL;
	if ((n == 4 && memcmp(s, "true", 4) == 0) ||
	    (n == 5 && memcmp(s, "false", 5) == 0))
		return GRACE_YT_BOOL;
	if (is_int(s, n))
		return GRACE_YT_INT;
	if (is_float(s, n))
		return GRACE_YT_FLOAT;
	return GRACE_YT_STR;
}

/* Value of an int scalar. Returns 0, or -1 if it does not fit int64_t. */
static int
int_value(const struct grace_ynode *n, int64_t *out)
{
	const char *s = n->str;
	uint64_t v = 0, lim = INT64_MAX;
	unsigned base = 10, dv;
	int neg = 0;

	if (s[0] == '0' && (s[1] == 'o' || s[1] == 'x')) {
		base = s[1] == 'o' ? 8 : 16;
		s += 2;
	} else if (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-';
		lim += neg;
		s++;
	}
	for (; *s; s++) {
		dv = *s <= '9' ? (unsigned)(*s - '0') :
		    (unsigned)((*s | 0x20) - 'a' + 10);
		if (v > (lim - dv) / base)
			return -1;
		v = v * base + dv;
	}
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return 0;
}

/* --- building the tree --- */

static struct grace_ynode *
new_node(struct ctx *c, enum grace_ykind k, yaml_mark_t m,
    const yaml_char_t *tag)
{
	struct grace_ynode *n = calloc(1, sizeof *n);

	if (!n)
		return NULL;
	n->kind = k;
	n->file = c->file;
	n->line = m.line + 1;
	n->col = m.column + 1;
	if (tag && !(n->tag = strdup((const char *)tag))) {
		free(n);
		return NULL;
	}
	return n;
}

static void
free_node(struct grace_ynode *n)
{
	size_t i;

	if (!n)
		return;
	if (n->kind == GRACE_YSEQ)
		for (i = 0; i < n->n; i++)
			free_node(n->items[i]);
	if (n->kind == GRACE_YMAP)
		for (i = 0; i < n->n; i++) {
			free_node(n->pairs[i].key);
			free_node(n->pairs[i].value);
		}
	free(n->items);
	free(n->pairs);
	free(n->str);
	free(n->tag);
	free(n->owned_file_);
	free(n);
}

void
grace_yaml_free(struct grace_ynode *root)
{
	free_node(root);
}

static int
oom(struct ctx *c)
{
	grace_err_set(c->e, c->file, 0, 0, "out of memory");
	return -1;
}

/* Room for one more element in an array of n (capacity: the next power
 * of two). */
static int
grow(void **arr, size_t n, size_t size)
{
	void *p;

	if (n && (n & (n - 1)))
		return 0;
	if (!(p = realloc(*arr, (n ? 2 * n : 1) * size)))
		return -1;
	*arr = p;
	return 0;
}

/* Hang n under the open collection (or make it the root). Returns 0, or
 * -1 with the error set; n is then not attached and the caller frees it. */
static int
attach(struct ctx *c, struct grace_ynode *n)
{
	struct grace_ynode *p;
	char b[SNIP_BUF];

	if (c->depth == 0) {
		c->root = n;
		n->owned_file_ = c->file;
		return 0;
	}
	p = c->stack[c->depth - 1];
	if (p->kind == GRACE_YSEQ) {
		if (grow((void **)&p->items, p->n, sizeof *p->items))
			return oom(c);
		p->items[p->n++] = n;
		return 0;
	}
	if (p->n && !p->pairs[p->n - 1].value) {
		p->pairs[p->n - 1].value = n;
		return 0;
	}
	if (n->kind != GRACE_YSCALAR)
		return grace_yaml_err(c->e, n, "mapping keys must be scalars, got %s",
		    grace_yaml_describe(n));
	if (memchr(n->str, '\0', n->len))
		return grace_yaml_err(c->e, n, "mapping key '%s' contains a NUL "
		    "byte", snip(n->str, n->len, b));
	if (grow((void **)&p->pairs, p->n, sizeof *p->pairs))
		return oom(c);
	p->pairs[p->n].key = n;
	p->pairs[p->n].value = NULL;
	p->n++;
	return 0;
}

/* "!!int" for "tag:yaml.org,2002:int", other tags as they are. */
static void
short_tag(const char *tag, char *buf, size_t cap)
{
	if (strncmp(tag, CORE, sizeof CORE - 1) == 0)
		snprintf(buf, cap, "!!%s", tag + sizeof CORE - 1);
	else
		snprintf(buf, cap, "%s", tag);
}

/* Check the tag of a new node; for scalars also set n->type. */
static int
resolve(struct ctx *c, struct grace_ynode *n)
{
	static const char *const scalar_tags[] = {
		"str", "null", "bool", "int", "float",
	};
	const char *t = n->tag;
	enum grace_ytype want = GRACE_YT_STR, got;
	char tb[128], b[SNIP_BUF];
	size_t i;

	if (n->kind == GRACE_YSCALAR)
		n->type = n->quoted ? GRACE_YT_STR : classify(n->str, n->len);
	if (!t || strcmp(t, "!") == 0) {
		if (t)
			n->type = GRACE_YT_STR;
		return 0;
	}
	short_tag(t, tb, sizeof tb);
	if (strncmp(t, CORE, sizeof CORE - 1) != 0)
		goto unsupported;
	t += sizeof CORE - 1;
	if (strcmp(t, "seq") == 0 || strcmp(t, "map") == 0) {
		if (n->kind == (*t == 's' ? GRACE_YSEQ : GRACE_YMAP))
			return 0;
		return grace_yaml_err(c->e, n, "%s does not match its tag %s",
		    grace_yaml_describe(n), tb);
	}
	for (i = 0; i < sizeof scalar_tags / sizeof *scalar_tags; i++)
		if (strcmp(t, scalar_tags[i]) == 0)
			break;
	if (i == sizeof scalar_tags / sizeof *scalar_tags)
		goto unsupported;
	want = (enum grace_ytype)i;
	if (n->kind != GRACE_YSCALAR)
		return grace_yaml_err(c->e, n, "%s does not match its tag %s",
		    grace_yaml_describe(n), tb);
	if (want == GRACE_YT_STR) {
		n->type = GRACE_YT_STR;
		return 0;
	}
	got = classify(n->str, n->len);
	if (want == GRACE_YT_FLOAT && got == GRACE_YT_INT)
		got = GRACE_YT_FLOAT;
	if (got != want)
		return grace_yaml_err(c->e, n, "'%s' does not match its tag %s",
		    snip(n->str, n->len, b), tb);
	n->type = got;
	return 0;
unsupported:
	return grace_yaml_err(c->e, n, "unsupported tag '%s' (allowed: !, !!str, "
	    "!!int, !!float, !!bool, !!null, !!seq, !!map)", tb);
}

static int
keyeq(const struct grace_ynode *a, const struct grace_ynode *b)
{
	return a->len == b->len && memcmp(a->str, b->str, a->len) == 0;
}

static int
cmp_pair(const void *pa, const void *pb)
{
	const struct grace_ypair *a = *(const struct grace_ypair *const *)pa;
	const struct grace_ypair *b = *(const struct grace_ypair *const *)pb;
	size_t n = a->key->len < b->key->len ? a->key->len : b->key->len;
	int r = memcmp(a->key->str, b->key->str, n);

	if (r)
		return r;
	if (a->key->len != b->key->len)
		return a->key->len < b->key->len ? -1 : 1;
	return a < b ? -1 : a > b; /* same key: file order */
}

/* Reject duplicate keys in a finished mapping, reporting the earliest
 * repeated key in file order. O(n log n), so a huge mapping is no DoS. */
static int
check_dups(struct ctx *c, const struct grace_ynode *m)
{
	const struct grace_ypair **v, *first = NULL, *second = NULL;
	char b[SNIP_BUF], where[64];
	size_t i;

	if (m->n < 2)
		return 0;
	if (!(v = malloc(m->n * sizeof *v)))
		return oom(c);
	for (i = 0; i < m->n; i++)
		v[i] = &m->pairs[i];
	qsort(v, m->n, sizeof *v, cmp_pair);
	for (i = 1; i < m->n; i++)
		if (keyeq(v[i - 1]->key, v[i]->key) &&
		    (i == 1 || !keyeq(v[i - 2]->key, v[i - 1]->key)) &&
		    (!second || v[i] < second)) {
			first = v[i - 1];
			second = v[i];
		}
	free(v);
	if (!second)
		return 0;
	if (first->key->line == second->key->line)
		snprintf(where, sizeof where, "line %lu, column %lu",
		    first->key->line, first->key->col);
	else
		snprintf(where, sizeof where, "line %lu", first->key->line);
	return grace_yaml_err(c->e, second->key, "duplicate key '%s' (first "
	    "defined at %s)", snip(second->key->str, second->key->len, b),
	    where);
}

static int
refuse_anchor(struct ctx *c, const yaml_event_t *ev, const yaml_char_t *a)
{
	char b[SNIP_BUF];

	return mark_err(c, ev->start_mark, "YAML anchors are not allowed "
	    "(&%s): write the value out in full", snip((const char *)a,
	    strlen((const char *)a), b));
}

/* Open a sequence or mapping. */
static int
start_collection(struct ctx *c, const yaml_event_t *ev, enum grace_ykind k,
    const yaml_char_t *anchor, const yaml_char_t *tag)
{
	struct grace_ynode *n;

	if (anchor)
		return refuse_anchor(c, ev, anchor);
	if (c->depth == GRACE_YAML_MAX_DEPTH)
		return mark_err(c, ev->start_mark, "nesting deeper than %d "
		    "levels", GRACE_YAML_MAX_DEPTH);
	if (!(n = new_node(c, k, ev->start_mark, tag)))
		return oom(c);
	if (resolve(c, n) || attach(c, n)) {
		free_node(n);
		return -1;
	}
	c->stack[c->depth++] = n;
	return 0;
}

static int
scalar(struct ctx *c, const yaml_event_t *ev)
{
	struct grace_ynode *n;

	if (ev->data.scalar.anchor)
		return refuse_anchor(c, ev, ev->data.scalar.anchor);
	if (!(n = new_node(c, GRACE_YSCALAR, ev->start_mark,
	    ev->data.scalar.tag)))
		return oom(c);
	n->len = ev->data.scalar.length;
	if (!(n->str = malloc(n->len + 1))) {
		free_node(n);
		return oom(c);
	}
	memcpy(n->str, ev->data.scalar.value, n->len);
	n->str[n->len] = '\0';
	n->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
	if (resolve(c, n) || attach(c, n)) {
		free_node(n);
		return -1;
	}
	return 0;
}

static int
handle(struct ctx *c, const yaml_event_t *ev)
{
	char b[SNIP_BUF];

	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		if (c->docs++)
			return mark_err(c, ev->start_mark, "more than one YAML "
			    "document (only one is allowed per file)");
		return 0;
	case YAML_ALIAS_EVENT:
		return mark_err(c, ev->start_mark, "YAML aliases are not "
		    "allowed (*%s): write the value out in full",
		    snip((const char *)ev->data.alias.anchor,
		    strlen((const char *)ev->data.alias.anchor), b));
	case YAML_SCALAR_EVENT:
		return scalar(c, ev);
	case YAML_SEQUENCE_START_EVENT:
		return start_collection(c, ev, GRACE_YSEQ,
		    ev->data.sequence_start.anchor,
		    ev->data.sequence_start.tag);
	case YAML_MAPPING_START_EVENT:
		return start_collection(c, ev, GRACE_YMAP,
		    ev->data.mapping_start.anchor,
		    ev->data.mapping_start.tag);
	case YAML_SEQUENCE_END_EVENT:
		c->depth--;
		return 0;
	case YAML_MAPPING_END_EVENT:
		return check_dups(c, c->stack[--c->depth]);
	case YAML_STREAM_END_EVENT:
		if (!c->docs) {
			grace_err_set(c->e, c->file, 0, 0, "no YAML document "
			    "(the file is empty or holds only comments)");
			if (c->e)
				c->e->code = GRACE_EXIT_USAGE;
			return -1;
		}
		return 0;
	default:
		return 0;
	}
}

/* Turn a libyaml failure into an error. */
static void
parser_err(struct ctx *c, const yaml_parser_t *p)
{
	const char *problem = p->problem ? p->problem : "invalid YAML";
	yaml_mark_t m;
	size_t i;

	if (p->error == YAML_MEMORY_ERROR) {
		oom(c);
		return;
	}
	if (p->error == YAML_READER_ERROR) {
		/* Reader errors carry a byte offset, not a mark. */
		memset(&m, 0, sizeof m);
		for (i = 0; i < p->problem_offset && i < c->len; i++) {
			if (c->buf[i] == '\n') {
				m.line++;
				m.column = 0;
			} else if (((unsigned char)c->buf[i] & 0xc0) != 0x80) {
				m.column++;
			}
		}
		/* The value is a byte for UTF-8 problems, else a code
		 * point. */
		if (p->problem_value != -1 && strstr(problem, "octet"))
			mark_err(c, m, "%s (byte 0x%02x)", problem,
			    (unsigned)p->problem_value);
		else if (p->problem_value != -1)
			mark_err(c, m, "%s (U+%04X)", problem,
			    (unsigned)p->problem_value);
		else
			mark_err(c, m, "%s", problem);
		return;
	}
	if (p->context)
		mark_err(c, p->problem_mark, "%s (%s at line %lu, column %lu)",
		    problem, p->context,
		    (unsigned long)p->context_mark.line + 1,
		    (unsigned long)p->context_mark.column + 1);
	else
		mark_err(c, p->problem_mark, "%s", problem);
}

struct grace_ynode *
grace_yaml_load_string(const char *name, const char *buf, size_t len,
    struct grace_err *e)
{
	struct ctx c;
	yaml_parser_t p;
	yaml_event_t ev;
	yaml_event_type_t type;
	int rc;

	memset(&c, 0, sizeof c);
	c.buf = buf;
	c.len = len;
	c.e = e;
	if (!name)
		name = "<string>";
	if (len > GRACE_YAML_MAX_SIZE) {
		grace_err_set(e, name, 0, 0, "file too large (%zu bytes; the "
		    "limit is %u MiB)", len, GRACE_YAML_MAX_SIZE >> 20);
		if (e)
			e->code = GRACE_EXIT_USAGE;
		return NULL;
	}
	if (!(c.file = strdup(name))) {
		grace_err_set(e, name, 0, 0, "out of memory");
		return NULL;
	}
	if (!yaml_parser_initialize(&p)) {
		free(c.file);
		grace_err_set(e, name, 0, 0, "out of memory");
		return NULL;
	}
	yaml_parser_set_input_string(&p,
	    (const unsigned char *)(len ? buf : ""), len);
	for (;;) {
		if (!yaml_parser_parse(&p, &ev)) {
			parser_err(&c, &p);
			goto fail;
		}
		type = ev.type;
		rc = handle(&c, &ev);
		yaml_event_delete(&ev);
		if (rc)
			goto fail;
		if (type == YAML_STREAM_END_EVENT)
			break;
	}
	yaml_parser_delete(&p);
	return c.root;
fail:
	yaml_parser_delete(&p);
	if (c.root)
		grace_yaml_free(c.root); /* frees c.file too */
	else
		free(c.file);
	return NULL;
}

struct grace_ynode *
grace_yaml_load_file(const char *path, struct grace_err *e)
{
	struct grace_ynode *root;
	struct stat st;
	char *buf = NULL, *nb;
	size_t len = 0, cap = 0;
	ssize_t r;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		grace_err_sys(e, path, "cannot open");
		return NULL;
	}
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    st.st_size > (off_t)GRACE_YAML_MAX_SIZE) {
		close(fd);
		grace_err_set(e, path, 0, 0, "file too large (%jd bytes; the "
		    "limit is %u MiB)", (intmax_t)st.st_size,
		    GRACE_YAML_MAX_SIZE >> 20);
		if (e)
			e->code = GRACE_EXIT_USAGE;
		return NULL;
	}
	for (;;) {
		if (len == cap) {
			/* Stop one byte past the limit: enough to know. */
			if (cap > GRACE_YAML_MAX_SIZE)
				break;
			cap = cap ? 2 * cap : 65536;
			if (cap > GRACE_YAML_MAX_SIZE + 1)
				cap = GRACE_YAML_MAX_SIZE + 1;
			if (!(nb = realloc(buf, cap))) {
				free(buf);
				close(fd);
				grace_err_set(e, path, 0, 0, "out of memory");
				return NULL;
			}
			buf = nb;
		}
		r = read(fd, buf + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			grace_err_sys(e, path, "cannot read");
			free(buf);
			close(fd);
			return NULL;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	if (len > GRACE_YAML_MAX_SIZE) {
		/* A pipe or a file that grew: we stopped reading at the cap. */
		free(buf);
		grace_err_set(e, path, 0, 0, "file too large (more than %u "
		    "MiB)", GRACE_YAML_MAX_SIZE >> 20);
		if (e)
			e->code = GRACE_EXIT_USAGE;
		return NULL;
	}
	root = grace_yaml_load_string(path, buf, len, e);
	free(buf);
	return root;
}

/* --- lookups and conversions --- */

const char *
grace_yaml_describe(const struct grace_ynode *n)
{
	if (n->kind == GRACE_YMAP)
		return "a mapping";
	if (n->kind == GRACE_YSEQ)
		return "a sequence";
	switch (n->type) {
	case GRACE_YT_NULL:
		return "null";
	case GRACE_YT_BOOL:
		return "a boolean";
	case GRACE_YT_INT:
		return "an integer";
	case GRACE_YT_FLOAT:
		return "a number";
	default:
		return "a string";
	}
}

/* What n is, for "expected X, got <this>": "a mapping", "a sequence",
 * "an empty value", or the scalar's text in quotes, marked when quoting
 * made a string of what would otherwise be a bool, number or null. */
static const char *
got(const struct grace_ynode *n, char *buf, size_t cap)
{
	char b[SNIP_BUF];

	if (n->kind != GRACE_YSCALAR)
		return grace_yaml_describe(n);
	if (n->len == 0 && !n->quoted)
		return "an empty value";
	snprintf(buf, cap, "'%s'%s", snip(n->str, n->len, b),
	    n->type == GRACE_YT_STR && classify(n->str, n->len) !=
	    GRACE_YT_STR ? " (quoted, so a string)" : "");
	return buf;
}

#define GOT_BUF (SNIP_BUF + 32)

static int
expected(const struct grace_ynode *n, const char *what, struct grace_err *e)
{
	char b[GOT_BUF];

	return grace_yaml_err(e, n, "expected %s, got %s", what, got(n, b, sizeof b));
}

int
grace_yaml_expect(const struct grace_ynode *n, enum grace_ykind k,
    struct grace_err *e)
{
	static const char *const what[] = {
		[GRACE_YSCALAR] = "a scalar",
		[GRACE_YSEQ] = "a sequence",
		[GRACE_YMAP] = "a mapping",
	};

	if (n->kind == k)
		return 0;
	return expected(n, what[k], e);
}

const struct grace_ynode *
grace_yaml_get(const struct grace_ynode *map, const char *key)
{
	size_t i, kl = strlen(key);

	if (!map || map->kind != GRACE_YMAP)
		return NULL;
	for (i = 0; i < map->n; i++)
		if (map->pairs[i].key->len == kl &&
		    memcmp(map->pairs[i].key->str, key, kl) == 0)
			return map->pairs[i].value;
	return NULL;
}

const struct grace_ynode *
grace_yaml_require(const struct grace_ynode *map, const char *key,
    struct grace_err *e)
{
	const struct grace_ynode *v;

	if (grace_yaml_expect(map, GRACE_YMAP, e))
		return NULL;
	if (!(v = grace_yaml_get(map, key)))
		grace_yaml_err(e, map, "missing required key '%s'", key);
	return v;
}

int
grace_yaml_check_keys(const struct grace_ynode *map,
    const char *const *allowed, struct grace_err *e)
{
	const struct grace_ynode *k;
	char list[512], b[SNIP_BUF];
	size_t i, j, o;

	if (grace_yaml_expect(map, GRACE_YMAP, e))
		return -1;
	for (i = 0; i < map->n; i++) {
		k = map->pairs[i].key;
		for (j = 0; allowed[j]; j++)
			if (strlen(allowed[j]) == k->len &&
			    memcmp(allowed[j], k->str, k->len) == 0)
				break;
		if (allowed[j])
			continue;
		list[0] = '\0';
		for (j = 0, o = 0; allowed[j] && o < sizeof list; j++)
			o += (size_t)snprintf(list + o, sizeof list - o,
			    "%s%s", j ? ", " : "", allowed[j]);
		return grace_yaml_err(e, k, "unknown key '%s' (expected one of: %s)",
		    snip(k->str, k->len, b), list);
	}
	return 0;
}

int
grace_yaml_as_string(const struct grace_ynode *n, const char **out,
    struct grace_err *e)
{
	char b[SNIP_BUF];

	if (n->kind != GRACE_YSCALAR || n->type == GRACE_YT_NULL)
		return expected(n, "a string", e);
	if (memchr(n->str, '\0', n->len))
		return grace_yaml_err(e, n, "string '%s' contains a NUL byte",
		    snip(n->str, n->len, b));
	*out = n->str;
	return 0;
}

int
grace_yaml_as_bool(const struct grace_ynode *n, int *out, struct grace_err *e)
{
	if (n->kind != GRACE_YSCALAR || n->type != GRACE_YT_BOOL)
		return expected(n, "a boolean (true or false)", e);
	*out = n->str[0] == 't';
	return 0;
}

int
grace_yaml_as_number(const struct grace_ynode *n, double *out,
    struct grace_err *e)
{
	char b[SNIP_BUF];
	int64_t i;
	double d;

	if (n->kind != GRACE_YSCALAR ||
	    (n->type != GRACE_YT_INT && n->type != GRACE_YT_FLOAT))
		return expected(n, "a number", e);
	if (n->type == GRACE_YT_INT && n->str[0] == '0' &&
	    (n->str[1] == 'o' || n->str[1] == 'x')) {
		if (int_value(n, &i))
			return grace_yaml_err(e, n, "number '%s' out of range",
			    snip(n->str, n->len, b));
		d = (double)i;
	} else {
		d = strtod(n->str, NULL);
	}
	if (!isfinite(d))
		return grace_yaml_err(e, n, "number '%s' out of range",
		    snip(n->str, n->len, b));
	*out = d;
	return 0;
}

int
grace_yaml_as_int(const struct grace_ynode *n, int64_t *out,
    struct grace_err *e)
{
	char b[SNIP_BUF];
	int64_t v;

	if (n->kind != GRACE_YSCALAR || n->type != GRACE_YT_INT)
		return expected(n, "an integer", e);
	if (int_value(n, &v))
		return grace_yaml_err(e, n, "integer '%s' out of range",
		    snip(n->str, n->len, b));
	*out = v;
	return 0;
}

int
grace_yaml_as_strlist(const struct grace_ynode *n, const char ***out,
    size_t *count, struct grace_err *e)
{
	const char **v;
	size_t i, k = n->kind == GRACE_YSEQ ? n->n : 1;

	if (n->kind == GRACE_YMAP ||
	    (n->kind == GRACE_YSCALAR && n->type == GRACE_YT_NULL))
		return expected(n, "a string or a list of strings", e);
	if (!(v = calloc(k + 1, sizeof *v))) {
		grace_err_set(e, n->file, n->line, n->col, "out of memory");
		return -1;
	}
	for (i = 0; i < k; i++)
		if (grace_yaml_as_string(n->kind == GRACE_YSEQ ? n->items[i] :
		    n, &v[i], e)) {
			free(v);
			return -1;
		}
	*out = v;
	*count = k;
	return 0;
}

int
grace_yaml_as_duration(const struct grace_ynode *n, int64_t *ms,
    struct grace_err *e)
{
	struct grace_err de;

	if (n->kind != GRACE_YSCALAR)
		return expected(n, "a duration (like 30s or 1h30m)", e);
	if (grace_duration_parse(n->str, n->len, ms, &de))
		return grace_yaml_err(e, n, "%s", de.msg);
	return 0;
}

/* Find key in map for a member getter: 1 found, 0 absent (or map NULL),
 * -1 error. */
static int
member(const struct grace_ynode *map, const char *key,
    const struct grace_ynode **v, struct grace_err *e)
{
	if (!map)
		return 0;
	if (grace_yaml_expect(map, GRACE_YMAP, e))
		return -1;
	*v = grace_yaml_get(map, key);
	return *v != NULL;
}

#define GETTER(name, type, conv) \
int \
name(const struct grace_ynode *map, const char *key, type out, \
    struct grace_err *e) \
{ \
	const struct grace_ynode *v; \
	int r = member(map, key, &v, e); \
 \
	if (r <= 0) \
		return r; \
	return conv(v, out, e) ? -1 : 1; \
}

GETTER(grace_yaml_get_string, const char **, grace_yaml_as_string)
GETTER(grace_yaml_get_bool, int *, grace_yaml_as_bool)
GETTER(grace_yaml_get_number, double *, grace_yaml_as_number)
GETTER(grace_yaml_get_int, int64_t *, grace_yaml_as_int)
GETTER(grace_yaml_get_duration, int64_t *, grace_yaml_as_duration)

int
grace_yaml_get_strlist(const struct grace_ynode *map, const char *key,
    const char ***out, size_t *count, struct grace_err *e)
{
	const struct grace_ynode *v;
	int r = member(map, key, &v, e);

	if (r <= 0)
		return r;
	return grace_yaml_as_strlist(v, out, count, e) ? -1 : 1;
}

/* 2^53: integers beyond it do not survive a double. */
#define EXACT_MAX 9007199254740992LL

jv
grace_yaml_to_jv(const struct grace_ynode *n)
{
	jv v;
	int64_t i;
	double d;
	size_t k;

	switch (n->kind) {
	case GRACE_YSEQ:
		v = jv_array_sized((int)n->n);
		for (k = 0; k < n->n && jv_is_valid(v); k++)
			v = jv_array_append(v, grace_yaml_to_jv(n->items[k]));
		return v;
	case GRACE_YMAP:
		v = jv_object();
		for (k = 0; k < n->n && jv_is_valid(v); k++) {
			const struct grace_ypair *p = &n->pairs[k];
			v = jv_object_set(v, jv_string_sized(p->key->str,
			    (int)p->key->len), grace_yaml_to_jv(p->value));
		}
		return v;
	case GRACE_YSCALAR:
		break;
	}
	switch (n->type) {
	case GRACE_YT_NULL:
		return jv_null();
	case GRACE_YT_BOOL:
		return jv_bool(n->str[0] == 't');
	case GRACE_YT_INT:
		if (int_value(n, &i) == 0 && i >= -EXACT_MAX && i <= EXACT_MAX)
			return jv_number((double)i);
		break;
	case GRACE_YT_FLOAT:
		d = strtod(n->str, NULL);
		if (isfinite(d))
			return jv_number(d);
		break;
	case GRACE_YT_STR:
		break;
	}
	return jv_string_sized(n->str, (int)n->len);
}
