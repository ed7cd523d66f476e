/* config.c - the configuration search path. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "config.h"

static int
try(struct grace_buf *looked, const char *dir, const char *sub,
    const char *name, char **found)
{
	struct grace_buf p = {0};

	if (!dir || !*dir)
		return 0;
	if (grace_buf_addf(&p, "%s/%s%s", dir, sub, name) < 0)
		return -1;
	if (access(p.p, R_OK) == 0) {
		*found = p.p;
		return 1;
	}
	if (looked->len)
		grace_buf_adds(looked, ", ");
	grace_buf_add(looked, p.p, p.len);
	grace_buf_free(&p);
	return 0;
}

char *
grace_config_find(const char *name, struct grace_err *e)
{
	return grace_config_find_as(name, "-c FILE", e);
}

char *
grace_config_find_as(const char *name, const char *use, struct grace_err *e)
{
	struct grace_buf looked = {0}, xdg = {0};
	const char *home = getenv("HOME"), *x = getenv("XDG_CONFIG_HOME");
	char *found = NULL;
	int r;

	if (!(x && *x) && home && *home)
		grace_buf_addf(&xdg, "%s/.config", home);
	r = try(&looked, getenv("GRACE_CONFIG_DIR"), "", name, &found);
	if (!r)
		r = try(&looked, "config", "", name, &found);
	if (!r)
		r = try(&looked, x && *x ? x : xdg.p, "grace/", name, &found);
	if (!r)
		r = try(&looked, "/etc/grace", "", name, &found);
	grace_buf_free(&xdg);
	if (r == 1) {
		grace_buf_free(&looked);
		return found;
	}
	if (r < 0)
		grace_err_sys(e, name, "unable to search for");
	else {
		grace_err_set(e, NULL, 0, 0, "no %s found (looked in: %s): use "
		    "%s", name, looked.p ? looked.p : "", use);
		e->code = GRACE_EXIT_USAGE;
	}
	grace_buf_free(&looked);
	return NULL;
}
