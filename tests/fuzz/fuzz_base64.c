/* fuzz_base64.c - strict base64 (lib/base64.h). Decoding the input must
 * either fail or give bytes that encode back to exactly the input (one
 * accepted encoding per byte string); encoding the input must decode back
 * to it. */
#include <stdlib.h>
#include <string.h>

#include "log/log.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t cap = GRACE_B64_DECLEN(size), n;
	uint8_t *dec = malloc(cap ? cap : 1);
	char *enc = malloc(GRACE_B64_ENCLEN(size));
	uint8_t *back = malloc(size ? size : 1);

	if (!dec || !enc || !back)
		abort();
	if (grace_b64_decode((const char *)data, size, dec, cap, &n) == 0) {
		char *re = malloc(GRACE_B64_ENCLEN(n));

		if (!re || n > cap)
			abort();
		if (grace_b64_encode(dec, n, re) != size ||
		    memcmp(re, data, size) != 0)
			abort();
		/* A buffer one byte short must be refused. */
		if (n > 0 && grace_b64_decode((const char *)data, size, dec,
		    n - 1, &n) == 0)
			abort();
		free(re);
	}
	n = grace_b64_encode(data, size, enc);
	if (n != 4 * ((size + 2) / 3) || enc[n] != '\0')
		abort();
	if (grace_b64_decode(enc, n, back, size, &cap) != 0 || cap != size ||
	    memcmp(back, data, size) != 0)
		abort();
	free(dec);
	free(enc);
	free(back);
	return 0;
}
