/* jqnative.c - jq's comparisons over member paths, evaluated on the JSON
 * bytes (jqnative.h). */
#include <stdlib.h>
#include <string.h>

#include "jqnative.h"

#define CHUNK_KEYS 32

struct pnode {
	char *name;            /* member name (NULL for the root) */
	int parent;            /* -1 for the root */
	size_t top;            /* for the root's children: index in the keys */
	int *kids;             /* child node indexes */
	const char **kid_names;
	size_t nkids;
};

struct grace_jqn_paths {
	struct pnode *v;
	size_t n, cap;
	const char **top;      /* names of the root's children, in order */
	size_t ntop;
};

enum xop { X_PATH, X_LIT, X_CMP, X_AND, X_OR, X_NOT };
enum xcmp { C_EQ, C_NE, C_LT, C_LE, C_GT, C_GE };

struct xnode {
	enum xop op;
	enum xcmp cmp;
	struct xnode *a, *b;
	int path;                  /* X_PATH: trie node */
	struct grace_jqn_val lit;  /* X_LIT */
	int negate;                /* X_LIT number written -N */
	int height;                /* 1 for a leaf; eval recurses this deep */
};

struct grace_jqn {
	char *src;
	struct xnode *nodes;
	size_t n, cap;
	struct xnode *root;
};

/* ------------------------------------------------------------ the trie */

struct grace_jqn_paths *
grace_jqn_paths_new(void)
{
	struct grace_jqn_paths *ps = calloc(1, sizeof *ps);

	if (!ps)
		return NULL;
	ps->v = calloc(1, sizeof *ps->v);
	if (!ps->v) {
		free(ps);
		return NULL;
	}
	ps->n = ps->cap = 1;
	ps->v[0].parent = -1;
	return ps;
}

void
grace_jqn_paths_free(struct grace_jqn_paths *ps)
{
	size_t i;

	if (!ps)
		return;
	for (i = 0; i < ps->n; i++) {
		free(ps->v[i].name);
		free(ps->v[i].kids);
		free(ps->v[i].kid_names);
	}
	free(ps->v);
	free(ps->top);
	free(ps);
}

/* The child of node parent called name[0..len), made if needed. Returns
 * its index or -1 (out of memory). */
static int
child(struct grace_jqn_paths *ps, int parent, const char *name, size_t len)
{
	struct pnode *p = &ps->v[parent], *c;
	size_t i;
	int *nk;
	const char **nn;

	for (i = 0; i < p->nkids; i++) {
		c = &ps->v[p->kids[i]];
		if (strlen(c->name) == len && memcmp(c->name, name, len) == 0)
			return p->kids[i];
	}
	if (ps->n == ps->cap) {
		size_t ncap = ps->cap * 2;
		struct pnode *nv = realloc(ps->v, ncap * sizeof *nv);

		if (!nv)
			return -1;
		ps->v = nv;
		ps->cap = ncap;
		p = &ps->v[parent];
	}
	nk = realloc(p->kids, (p->nkids + 1) * sizeof *nk);
	if (!nk)
		return -1;
	p->kids = nk;
	nn = realloc(p->kid_names, (p->nkids + 1) * sizeof *nn);
	if (!nn)
		return -1;
	p->kid_names = nn;
	c = &ps->v[ps->n];
	memset(c, 0, sizeof *c);
	c->parent = parent;
	c->name = malloc(len + 1);
	if (!c->name)
		return -1;
	memcpy(c->name, name, len);
	c->name[len] = '\0';
	p->kids[p->nkids] = (int)ps->n;
	p->kid_names[p->nkids++] = c->name;
	if (parent == 0) {
		const char **nt = realloc(ps->top, (ps->ntop + 1) * sizeof *nt);

		if (!nt)
			return -1;
		ps->top = nt;
		ps->top[ps->ntop++] = c->name;
	}
	return (int)ps->n++;
}

const char *const *
grace_jqn_paths_top(const struct grace_jqn_paths *ps, size_t *n)
{
	*n = ps->ntop;
	return ps->top;
}

int
grace_jqn_paths_bind(struct grace_jqn_paths *ps, const char *const *keys,
    size_t nkeys)
{
	size_t i, k;

	for (i = 0; i < ps->v[0].nkids; i++) {
		struct pnode *c = &ps->v[ps->v[0].kids[i]];

		for (k = 0; k < nkeys; k++)
			if (strcmp(keys[k], c->name) == 0)
				break;
		if (k == nkeys)
			return -1;
		c->top = k;
	}
	return 0;
}

size_t
grace_jqn_paths_size(const struct grace_jqn_paths *ps)
{
	return ps->n;
}

int
grace_jqn_resolve(const struct grace_jqn_paths *ps, const char *ev,
    size_t n, const struct grace_jspan *top, struct grace_jspan *spans)
{
	size_t i, k, lo = 0, hi = n;

	while (lo < n && ev[lo] != '{')
		lo++;
	while (hi > lo && ev[hi - 1] != '}')
		hi--;
	spans[0].kind = GRACE_J_OBJECT;
	spans[0].off = lo;
	spans[0].len = hi - lo;
	for (k = 0; k < ps->v[0].nkids; k++) {
		int c = ps->v[0].kids[k];

		spans[c] = top[ps->v[c].top];
	}
	for (i = 1; i < ps->n; i++) {
		const struct pnode *p = &ps->v[i];
		const struct grace_jspan *s = &spans[i];

		if (!p->nkids)
			continue;
		if (s->kind == GRACE_J_NONE || s->kind == GRACE_J_NULL) {
			for (k = 0; k < p->nkids; k++)
				spans[p->kids[k]].kind = GRACE_J_NONE;
			continue;
		}
		if (s->kind != GRACE_J_OBJECT)
			return 1; /* jq: "Cannot index number with ..." */
		for (k = 0; k < p->nkids; k += CHUNK_KEYS) {
			struct grace_jspan found[CHUNK_KEYS];
			struct grace_err e;
			size_t m = p->nkids - k, j;

			if (m > CHUNK_KEYS)
				m = CHUNK_KEYS;
			if (grace_json_scan(ev + s->off, s->len,
			    p->kid_names + k, m, found, NULL, 0, &e) < 0)
				return 1;
			for (j = 0; j < m; j++) {
				found[j].off += s->off;
				spans[p->kids[k + j]] = found[j];
			}
		}
	}
	return 0;
}

/* ---------------------------------------------------------- the parser */

struct parser {
	struct grace_jqn *x;
	struct grace_jqn_paths *ps;
	const char *s;          /* the source (x->src) */
	size_t i;
	int fail;
	int nest;               /* parentheses open: the parser's recursion */
};

static struct xnode *
node(struct parser *p, enum xop op)
{
	struct xnode *nd;

	if (p->x->n == p->x->cap) {
		/* Nodes are linked by pointer: the array never moves, it is
		 * sized once from the source length. */
		p->fail = 1;
		return NULL;
	}
	nd = &p->x->nodes[p->x->n++];
	memset(nd, 0, sizeof *nd);
	nd->op = op;
	nd->height = 1;
	return nd;
}

/* Record that nd holds its operands a (and b): its height, which eval()
 * recurses. Past GRACE_JQN_MAX_DEPTH the expression is not native (libjq
 * takes it, or rejects it). Returns nd, or NULL. */
static struct xnode *
joined(struct parser *p, struct xnode *nd)
{
	int h = nd->a->height;

	if (nd->b && nd->b->height > h)
		h = nd->b->height;
	nd->height = h + 1;
	if (nd->height > GRACE_JQN_MAX_DEPTH) {
		p->fail = 1;
		return NULL;
	}
	return nd;
}

static void
ws(struct parser *p)
{
	while (p->s[p->i] == ' ' || p->s[p->i] == '\t' || p->s[p->i] == '\n' ||
	    p->s[p->i] == '\r')
		p->i++;
}

static int
is_id0(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int
is_id(char c)
{
	return is_id0(c) || (c >= '0' && c <= '9');
}

/* An identifier at p->i equal to kw (and not a longer name)? */
static int
keyword(struct parser *p, const char *kw)
{
	size_t n = strlen(kw);

	if (strncmp(p->s + p->i, kw, n) != 0 || is_id(p->s[p->i + n]))
		return 0;
	p->i += n;
	return 1;
}

/* A string literal without backslashes at p->i ('"' there); sets *off
 * and *len to its text, quotes included. */
static int
string_lit(struct parser *p, size_t *off, size_t *len)
{
	size_t j = p->i + 1;

	while (p->s[j] && p->s[j] != '"') {
		if (p->s[j] == '\\' || (unsigned char)p->s[j] < 0x20)
			return -1;
		j++;
	}
	if (p->s[j] != '"')
		return -1;
	*off = p->i;
	*len = j + 1 - p->i;
	p->i = j + 1;
	return 0;
}

/* jq's number literal: ([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)? */
static int
number_lit(struct parser *p, size_t *off, size_t *len)
{
	const char *s = p->s;
	size_t j = p->i, d = 0;

	while (s[j] >= '0' && s[j] <= '9')
		j++, d++;
	if (s[j] == '.') {
		j++;
		while (s[j] >= '0' && s[j] <= '9')
			j++, d++;
	}
	if (d == 0)
		return -1;
	if (s[j] == 'e' || s[j] == 'E') {
		size_t k = j + 1, e = 0;

		if (s[k] == '+' || s[k] == '-')
			k++;
		while (s[k] >= '0' && s[k] <= '9')
			k++, e++;
		if (!e)
			return -1;
		j = k;
	}
	if (is_id(s[j]) || s[j] == '.')
		return -1;
	*off = p->i;
	*len = j - p->i;
	p->i = j;
	return 0;
}

/* One path component after a '.' or a '[': a name, "str" or ["str"]. */
static int
component(struct parser *p, int *cur, int bracket)
{
	const char *s = p->s;
	size_t off, len;
	int c;

	if (bracket) {
		p->i++; /* '[' */
		ws(p);
		if (s[p->i] != '"' || string_lit(p, &off, &len) < 0)
			return -1;
		ws(p);
		if (s[p->i] != ']')
			return -1;
		p->i++;
		off++;
		len -= 2;
	} else if (s[p->i] == '"') {
		if (string_lit(p, &off, &len) < 0)
			return -1;
		off++;
		len -= 2;
	} else if (is_id0(s[p->i])) {
		off = p->i;
		while (is_id(s[p->i]))
			p->i++;
		len = p->i - off;
	} else {
		return -1;
	}
	c = child(p->ps, *cur, s + off, len);
	if (c < 0)
		return -1;
	*cur = c;
	return 0;
}

static struct xnode *parse_pipe(struct parser *p);

static struct xnode *
parse_path(struct parser *p)
{
	const char *s = p->s;
	struct xnode *nd;
	int cur = 0;

	p->i++; /* '.' */
	if (s[p->i] == '.')
		return NULL; /* `..` */
	if (s[p->i] == '[' || s[p->i] == '"' || is_id0(s[p->i])) {
		if (component(p, &cur, s[p->i] == '[') < 0)
			return NULL;
		for (;;) {
			if (s[p->i] == '.' && (s[p->i + 1] == '"' ||
			    is_id0(s[p->i + 1]))) {
				p->i++;
				if (component(p, &cur, 0) < 0)
					return NULL;
			} else if (s[p->i] == '[') {
				if (component(p, &cur, 1) < 0)
					return NULL;
			} else {
				break;
			}
		}
	}
	if (s[p->i] == '?' || s[p->i] == '[' || s[p->i] == '.')
		return NULL;
	nd = node(p, X_PATH);
	if (nd)
		nd->path = cur;
	return nd;
}

static struct xnode *
parse_term(struct parser *p)
{
	const char *s = p->s;
	struct xnode *nd;
	size_t off, len;

	ws(p);
	if (s[p->i] == '.')
		return parse_path(p);
	if (s[p->i] == '(') {
		if (++p->nest > GRACE_JQN_MAX_DEPTH) {
			p->fail = 1;
			return NULL;
		}
		p->i++;
		nd = parse_pipe(p);
		p->nest--;
		ws(p);
		if (!nd || s[p->i] != ')')
			return NULL;
		p->i++;
		return nd;
	}
	if (s[p->i] == '"') {
		if (string_lit(p, &off, &len) < 0 || !(nd = node(p, X_LIT)))
			return NULL;
		nd->lit.kind = GRACE_J_STRING;
		nd->lit.p = s + off;
		nd->lit.n = len;
		return nd;
	}
	if (s[p->i] == '-' || (s[p->i] >= '0' && s[p->i] <= '9')) {
		int neg = s[p->i] == '-';

		if (neg) {
			p->i++;
			ws(p);
		}
		if (number_lit(p, &off, &len) < 0 || !(nd = node(p, X_LIT)))
			return NULL;
		nd->lit.kind = GRACE_J_NUMBER;
		nd->lit.p = s + off;
		nd->lit.n = len;
		nd->negate = neg;
		return nd;
	}
	{
		enum grace_jkind k;

		if (keyword(p, "true"))
			k = GRACE_J_TRUE;
		else if (keyword(p, "false"))
			k = GRACE_J_FALSE;
		else if (keyword(p, "null"))
			k = GRACE_J_NULL;
		else
			return NULL;
		if (!(nd = node(p, X_LIT)))
			return NULL;
		nd->lit.kind = k;
		nd->lit.p = NULL;
		return nd;
	}
}

static struct xnode *
parse_cmp(struct parser *p)
{
	static const struct { const char *op; enum xcmp c; } ops[] = {
		{ "==", C_EQ }, { "!=", C_NE }, { "<=", C_LE }, { ">=", C_GE },
		{ "<", C_LT }, { ">", C_GT },
	};
	struct xnode *a = parse_term(p), *nd;
	size_t k;

	if (!a)
		return NULL;
	ws(p);
	for (k = 0; k < sizeof ops / sizeof ops[0]; k++) {
		size_t n = strlen(ops[k].op);

		if (strncmp(p->s + p->i, ops[k].op, n) != 0)
			continue;
		p->i += n;
		if (p->s[p->i] == '=')
			return NULL;
		if (!(nd = node(p, X_CMP)))
			return NULL;
		nd->cmp = ops[k].c;
		nd->a = a;
		if (!(nd->b = parse_term(p)))
			return NULL;
		return joined(p, nd);
	}
	return a;
}

static struct xnode *
parse_and(struct parser *p)
{
	struct xnode *a = parse_cmp(p), *nd;

	while (a) {
		ws(p);
		if (!keyword(p, "and"))
			break;
		if (!(nd = node(p, X_AND)))
			return NULL;
		nd->a = a;
		if (!(nd->b = parse_cmp(p)) || !joined(p, nd))
			return NULL;
		a = nd;
	}
	return a;
}

static struct xnode *
parse_or(struct parser *p)
{
	struct xnode *a = parse_and(p), *nd;

	while (a) {
		ws(p);
		if (!keyword(p, "or"))
			break;
		if (!(nd = node(p, X_OR)))
			return NULL;
		nd->a = a;
		if (!(nd->b = parse_and(p)) || !joined(p, nd))
			return NULL;
		a = nd;
	}
	return a;
}

static struct xnode *
parse_pipe(struct parser *p)
{
	struct xnode *a = parse_or(p), *nd;

	while (a) {
		ws(p);
		if (p->s[p->i] != '|' || p->s[p->i + 1] == '=')
			break;
		p->i++;
		ws(p);
		if (!keyword(p, "not") || !(nd = node(p, X_NOT)))
			return NULL;
		nd->a = a;
		if (!joined(p, nd))
			return NULL;
		a = nd;
	}
	return a;
}

/* Forget the trie nodes an expression that turned out not native added. */
static void
rollback(struct grace_jqn_paths *ps, size_t old_n, size_t old_top)
{
	size_t i;

	for (i = old_n; i < ps->n; i++) {
		free(ps->v[i].name);
		free(ps->v[i].kids);
		free(ps->v[i].kid_names);
	}
	ps->n = old_n;
	ps->ntop = old_top;
	for (i = 0; i < old_n; i++)
		while (ps->v[i].nkids &&
		    (size_t)ps->v[i].kids[ps->v[i].nkids - 1] >= old_n)
			ps->v[i].nkids--;
}

struct grace_jqn *
grace_jqn_compile(struct grace_jqn_paths *ps, const char *src)
{
	struct grace_jqn *x = calloc(1, sizeof *x);
	struct parser p;
	size_t old_n, old_top;

	if (!x)
		return NULL;
	x->src = strdup(src);
	x->cap = strlen(src) + 1;
	x->nodes = calloc(x->cap, sizeof *x->nodes);
	if (!x->src || !x->nodes) {
		grace_jqn_free(x);
		return NULL;
	}
	memset(&p, 0, sizeof p);
	p.x = x;
	p.ps = ps;
	p.s = x->src;
	old_n = ps->n;
	old_top = ps->ntop;
	x->root = parse_pipe(&p);
	ws(&p);
	/* A number literal alone would be printed by jq in its own way
	 * (.5 as 0.5): leave that to jq. */
	if (!x->root || p.fail || p.s[p.i] || (x->root->op == X_LIT &&
	    x->root->lit.kind == GRACE_J_NUMBER)) {
		rollback(ps, old_n, old_top);
		grace_jqn_free(x);
		return NULL;
	}
	return x;
}

void
grace_jqn_free(struct grace_jqn *x)
{
	if (!x)
		return;
	free(x->src);
	free(x->nodes);
	free(x);
}

/* ---------------------------------------------------------- evaluation */

int
grace_jqn_truthy(const struct grace_jqn_val *v)
{
	return v->kind != GRACE_J_NONE && v->kind != GRACE_J_NULL &&
	    v->kind != GRACE_J_FALSE;
}

/* jq's order of kinds: null < false < true < numbers < strings < arrays
 * < objects. */
static int
rank(enum grace_jkind k)
{
	switch (k) {
	case GRACE_J_NONE:
	case GRACE_J_NULL: return 1;
	case GRACE_J_FALSE: return 2;
	case GRACE_J_TRUE: return 3;
	case GRACE_J_NUMBER: return 4;
	case GRACE_J_STRING: return 5;
	case GRACE_J_ARRAY: return 6;
	case GRACE_J_OBJECT: return 7;
	}
	return 0;
}

/* jv_cmp(a, b) in *r, or 1 to bail. */
static int
compare(const struct grace_jqn_val *a, int nega,
    const struct grace_jqn_val *b, int negb, int *r)
{
	int ra = rank(a->kind), rb = rank(b->kind);

	if (ra != rb) {
		*r = ra - rb;
		return 0;
	}
	switch (a->kind) {
	case GRACE_J_NUMBER: {
		double da = strtod(a->p, NULL), db = strtod(b->p, NULL);

		if (nega)
			da = -da;
		if (negb)
			db = -db;
		*r = da < db ? -1 : da == db ? 0 : 1;
		return 0;
	}
	case GRACE_J_STRING: {
		size_t la = a->n - 2, lb = b->n - 2;
		int c;

		if (memchr(a->p + 1, '\\', la) || memchr(b->p + 1, '\\', lb))
			return 1;
		c = memcmp(a->p + 1, b->p + 1, la < lb ? la : lb);
		*r = c ? c : la < lb ? -1 : la > lb ? 1 : 0;
		return 0;
	}
	case GRACE_J_ARRAY:
	case GRACE_J_OBJECT:
		return 1;
	default:
		*r = 0;
		return 0;
	}
}

static void
set_bool(struct grace_jqn_val *v, int b)
{
	v->kind = b ? GRACE_J_TRUE : GRACE_J_FALSE;
	v->p = NULL;
	v->n = 0;
}

static int
eval(const struct xnode *x, const char *ev, const struct grace_jspan *spans,
    struct grace_jqn_val *v)
{
	struct grace_jqn_val a, b;
	int r;

	switch (x->op) {
	case X_PATH: {
		const struct grace_jspan *s = &spans[x->path];

		v->kind = s->kind;
		v->p = s->kind == GRACE_J_NONE ? NULL : ev + s->off;
		v->n = s->kind == GRACE_J_NONE ? 0 : s->len;
		return 0;
	}
	case X_LIT:
		if (x->negate)
			return 1; /* -N as a value: only inside a comparison */
		*v = x->lit;
		return 0;
	case X_CMP:
		if ((x->a->op == X_LIT ? (a = x->a->lit, 0) :
		    eval(x->a, ev, spans, &a)) ||
		    (x->b->op == X_LIT ? (b = x->b->lit, 0) :
		    eval(x->b, ev, spans, &b)))
			return 1;
		if (compare(&a, x->a->op == X_LIT && x->a->negate, &b,
		    x->b->op == X_LIT && x->b->negate, &r))
			return 1;
		switch (x->cmp) {
		case C_EQ: set_bool(v, r == 0); break;
		case C_NE: set_bool(v, r != 0); break;
		case C_LT: set_bool(v, r < 0); break;
		case C_LE: set_bool(v, r <= 0); break;
		case C_GT: set_bool(v, r > 0); break;
		case C_GE: set_bool(v, r >= 0); break;
		}
		return 0;
	case X_AND:
	case X_OR:
		if (eval(x->a, ev, spans, &a))
			return 1;
		if (grace_jqn_truthy(&a) == (x->op == X_OR)) {
			set_bool(v, x->op == X_OR);
			return 0;
		}
		if (eval(x->b, ev, spans, &b))
			return 1;
		set_bool(v, grace_jqn_truthy(&b));
		return 0;
	case X_NOT:
		if (eval(x->a, ev, spans, &a))
			return 1;
		set_bool(v, !grace_jqn_truthy(&a));
		return 0;
	}
	return 1;
}

int
grace_jqn_eval(const struct grace_jqn *x, const char *ev,
    const struct grace_jspan *spans, struct grace_jqn_val *v)
{
	return eval(x->root, ev, spans, v);
}
