/* fuzz_overlay.c - the trust overlay file (grace-governance(5), TRUST):
 * the input parsed by grace_trust_ov_parse(); what parses must format
 * and parse back to the same entries (names, scores within the printed
 * precision, times to the millisecond, rates), and format again to the
 * same bytes. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fuzz.h"
#include "gate/gate.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct grace_trust_ov a, b;
	struct grace_buf t1 = {0}, t2 = {0};
	struct grace_err e;
	size_t i;

	if (grace_trust_ov_parse((const char *)data, size, "fuzz", &a, &e) < 0) {
		fuzz_check_err(&e);
		return 0;
	}
	if (grace_trust_ov_format(&a, &t1) < 0)
		abort();
	if (grace_trust_ov_parse(t1.p, t1.len, "fuzz", &b, &e) < 0)
		abort();
	if (a.n != b.n)
		abort();
	for (i = 0; i < a.n; i++) {
		struct grace_trust_ov_entry *x = grace_trust_ov_get(&b,
		    a.v[i].name);

		if (!x || fabs(x->score - a.v[i].score) > 1e-5 ||
		    fabs(x->per_hour - a.v[i].per_hour) > 1e-5 ||
		    x->at_ms != a.v[i].at_ms)
			abort();
		if (!(grace_trust_recovered(x->score, 0.5, x->per_hour,
		    x->at_ms, x->at_ms + 3600000) >= 0))
			abort();
	}
	if (grace_trust_ov_format(&b, &t2) < 0 || t1.len != t2.len ||
	    memcmp(t1.p, t2.p, t1.len) != 0)
		abort();
	grace_buf_free(&t1);
	grace_buf_free(&t2);
	grace_trust_ov_free(&a);
	grace_trust_ov_free(&b);
	return 0;
}
