/* config.h - where a program finds its configuration when -c is not given.
 *
 * The built-in search path, first hit wins:
 *   1. $GRACE_CONFIG_DIR/NAME   (when the variable is set and non-empty)
 *   2. ./config/NAME            (running from the repository root works)
 *   3. $XDG_CONFIG_HOME/grace/NAME, else ~/.config/grace/NAME
 *   4. /etc/grace/NAME
 */
#ifndef GRACE_CONFIG_H
#define GRACE_CONFIG_H

#include <stddef.h>

#include "err.h"

/* Find the configuration file called name (e.g. "governance.yaml") on the
 * search path. Returns a malloc'd path (the caller frees), or NULL with e
 * filled: "no governance.yaml found (looked in: ...): use -c FILE", code
 * GRACE_EXIT_USAGE. */
char *grace_config_find(const char *name, struct grace_err *e);
/* The same, the message naming the option to use instead ("-p PATH"). */
char *grace_config_find_as(const char *name, const char *use,
    struct grace_err *e);

#endif
