/* fuzz_logrec.c - one grace-log(5) record line through grace_log_parse()
 * (lib/logfmt.h). When it splits, every part must lie inside the line,
 * the hash must cover exactly the bytes before ,"hash":" and rebuilding
 * the line from the parts must give the line back. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "log/log.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *line = (const char *)data, *why = NULL;
	struct grace_log_rec r;
	char head[64];
	int hn;

	if (grace_log_parse(line, size, &r, &why) < 0) {
		if (!why)
			abort();
		return 0;
	}
	if (r.prev < line || r.prev + 64 > line + size ||
	    r.time < line || r.time + GRACE_LOG_TIMELEN > line + size ||
	    r.event < line || r.event + r.event_len > line + size ||
	    r.hash < line || r.hash + 64 > line + size ||
	    r.hashed_len + GRACE_LOG_TAIL != size ||
	    r.hash != line + r.hashed_len + 9)
		abort();
	hn = snprintf(head, sizeof head, "{\"seq\":%llu,\"prev\":\"",
	    (unsigned long long)r.seq);
	if (hn < 0 || (size_t)hn > size || memcmp(head, line, (size_t)hn) != 0 ||
	    r.prev != line + hn)
		abort();
	return 0;
}
