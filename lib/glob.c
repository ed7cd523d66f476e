/* glob.c - shell-style globs over event values (grace-routes(5) and
 * grace-detectors(5) take them for source and type). */
#include <stddef.h>

#include "glob.h"

/* Does the set at g ('[' already skipped) hold c? *end is set past ']'. */
static int
set_has(const char *g, unsigned char c, const char **end)
{
	int neg = 0, hit = 0;

	if (*g == '!' || *g == '^') {
		neg = 1;
		g++;
	}
	if (*g == ']') {
		hit |= c == ']';
		g++;
	}
	while (*g && *g != ']') {
		if (g[1] == '-' && g[2] && g[2] != ']') {
			hit |= c >= (unsigned char)g[0] && c <= (unsigned char)g[2];
			g += 3;
		} else {
			hit |= c == (unsigned char)*g;
			g++;
		}
	}
	*end = *g ? g + 1 : g;
	return hit != neg;
}

int
grace_glob_match(const char *g, const char *s, size_t n)
{
	const char *star = NULL;
	size_t i = 0, si = 0;

	while (i < n) {
		const char *next;

		if (*g == '*') {
			star = ++g;
			si = i;
			continue;
		}
		if (*g == '?') {
			g++;
			i++;
			continue;
		}
		if (*g == '[' && set_has(g + 1, (unsigned char)s[i], &next)) {
			g = next;
			i++;
			continue;
		}
		if (*g && *g != '[') {
			const char *lit = g;

			if (*lit == '\\' && lit[1])
				lit++;
			if (*lit == s[i]) {
				g = lit + 1;
				i++;
				continue;
			}
		}
		if (!star)
			return 0;
		g = star;
		i = ++si;
	}
	while (*g == '*')
		g++;
	return *g == '\0';
}


/* Check the syntax of glob g: a '[' must be closed and not empty, a '\'
 * must escape something. Returns NULL, or a static description. */
const char *
grace_glob_check(const char *g)
{
	for (; *g; g++) {
		if (*g == '\\') {
			if (!g[1])
				return "a '\\' at the end escapes nothing";
			g++;
		} else if (*g == '[') {
			const char *q = g + 1;

			if (*q == '!' || *q == '^')
				q++;
			if (*q == ']')
				q++;
			while (*q && *q != ']')
				q++;
			if (!*q)
				return "'[' is not closed by ']'";
			g = q;
		}
	}
	return NULL;
}
