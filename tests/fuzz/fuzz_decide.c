/* fuzz_decide.c - the decision configuration (grace-decide(5),
 * lib/decide.h): grace_decide_load_string() on the input; when it loads,
 * the fixed events of fuzz.h (several with upstream verdicts) are decided
 * under it, with and without the --explain trace. grace.decision must be
 * a JSON object, spliceable into the event, and its first reason must
 * be a JSON string inside it. */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "decide/decide.h"
#include "fuzz.h"
#include "json.h"

static const char *const keys[] = { "grace", "id", "type" };

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct grace_decision r = {0};
	struct grace_buf ex = {0}, out = {0};
	struct grace_decide *d;
	struct grace_err e;
	const char *ev;
	size_t i;

	if (!(d = grace_decide_load_string("fuzz.yaml", (const char *)data,
	    size, &e))) {
		fuzz_check_err(&e);
		return 0;
	}
	for (i = 0; (ev = fuzz_event(i)); i++) {
		struct grace_jspan f[3], rs;
		size_t n = strlen(ev);

		if (grace_json_scan(ev, n, keys, 3, f, "fuzz", 1, &e) < 0)
			abort();
		if (f[0].kind != GRACE_J_NONE && f[0].kind != GRACE_J_OBJECT)
			continue; /* grace-decide refuses those lines */
		if (grace_decide_event(d, ev, n, &f[0], &f[2], &r,
		    (i & 1) ? &ex : NULL) < 0)
			abort();
		if (grace_json_scan(r.json.p, r.json.len, NULL, 0, NULL,
		    "fuzz", 1, NULL) < 0)
			abort();
		if (r.reason_off + r.reason_len > r.json.len)
			abort();
		if (r.reason_len) {
			struct grace_buf s = {0};
			static const char *const k[] = { "k" };

			if (grace_buf_adds(&s, "{\"k\":") < 0 ||
			    grace_buf_add(&s, r.json.p + r.reason_off,
			    r.reason_len) < 0 || grace_buf_adds(&s, "}") < 0)
				abort();
			if (grace_json_scan(s.p, s.len, k, 1, &rs, "fuzz", 1,
			    NULL) < 0 || rs.kind != GRACE_J_STRING)
				abort();
			grace_buf_free(&s);
		}
		grace_buf_reset(&out);
		if (grace_json_splice_grace(&out, ev, n, &f[0], "decision",
		    r.json.p, r.json.len) < 0)
			abort();
		grace_buf_reset(&ex);
	}
	grace_buf_free(&out);
	grace_buf_free(&ex);
	grace_decision_free(&r);
	grace_decide_free(d);
	return 0;
}
