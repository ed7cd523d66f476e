/* glob.h - shell-style globs: *, ?, [set], [!set] (or [^set]), and \c
 * for a literal c. A glob matches a whole value, as fnmatch(3) without
 * flags does, but over bytes that may hold NUL. */
#ifndef GRACE_GLOB_H
#define GRACE_GLOB_H

#include <stddef.h>

/* 1 if glob g matches s[0..n) whole, else 0. */
int grace_glob_match(const char *g, const char *s, size_t n);

/* Check the syntax of glob g: a '[' must be closed, a '\' must escape
 * something. Returns NULL when g is well formed, else a static
 * description of what is wrong, for a configuration error. */
const char *grace_glob_check(const char *g);

#endif
