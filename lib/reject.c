/* reject.c - rejection records for bad input lines. */
#include <string.h>

#include "reject.h"

int
grace_reject_json(struct grace_buf *out, const char *prog,
    const struct grace_err *e)
{
	int r = 0;

	r |= grace_buf_adds(out, "{\"type\":\"" GRACE_REJECT_TYPE "\",\"source\":");
	r |= grace_buf_add_jstr(out, prog, strlen(prog));
	r |= grace_buf_adds(out, ",\"data\":{\"input\":");
	r |= grace_buf_add_jstr(out, e->file, strlen(e->file));
	r |= grace_buf_adds(out, ",\"line\":");
	r |= grace_buf_addu(out, e->line);
	if (e->col) {
		r |= grace_buf_adds(out, ",\"column\":");
		r |= grace_buf_addu(out, e->col);
	}
	r |= grace_buf_adds(out, ",\"error\":");
	r |= grace_buf_add_jstr(out, e->msg, strlen(e->msg));
	r |= grace_buf_adds(out, "}}\n");
	return r ? -1 : 0;
}
