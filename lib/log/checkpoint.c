/* checkpoint.c - C2SP tlog-checkpoint text: format, strict parse, and
 * signing/opening through note.c. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

#define ROOT_B64 (4 * ((GRACE_MERKLE_HASHLEN + 2) / 3)) /* 44 */


void
grace_checkpoint_init(struct grace_checkpoint *cp)
{
	memset(cp, 0, sizeof *cp);
}

void
grace_checkpoint_clear(struct grace_checkpoint *cp)
{
	free(cp->ext);
	grace_checkpoint_init(cp);
}

/* Whether s[0..n) is zero or more non-empty lines, each ending in "\n". */
static int
lines_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0)
		return 1;
	if (s[0] == '\n' || s[n - 1] != '\n')
		return 0;
	for (i = 1; i < n; i++)
		if (s[i] == '\n' && s[i - 1] == '\n')
			return 0;
	return 1;
}

char *
grace_checkpoint_format(const struct grace_checkpoint *cp, size_t *len,
    struct grace_err *e)
{
	size_t olen = strnlen(cp->origin, sizeof cp->origin);
	size_t elen = cp->ext ? strlen(cp->ext) : 0, total;
	char b64[ROOT_B64 + 1], *out;
	int k;

	if (olen == 0 || olen > GRACE_CHECKPOINT_ORIGIN_MAX ||
	    memchr(cp->origin, '\n', olen) ||
	    !grace_note_text_valid(cp->origin, olen)) {
		grace_err_setc(e, GRACE_EXIT_USAGE, "invalid checkpoint origin: it must be "
		    "1 to %d bytes of UTF-8 without control characters",
		    GRACE_CHECKPOINT_ORIGIN_MAX);
		return NULL;
	}
	if (!lines_ok(cp->ext, elen) || !grace_note_text_valid(cp->ext, elen)) {
		grace_err_setc(e, GRACE_EXIT_USAGE, "invalid checkpoint extension lines: "
		    "each must be non-empty and end in a newline, without "
		    "control characters");
		return NULL;
	}
	grace_b64_encode(cp->root, sizeof cp->root, b64);
	total = olen + 1 + 20 + 1 + ROOT_B64 + 1 + elen + 1;
	if (!(out = malloc(total))) {
		grace_err_setc(e, GRACE_EXIT_SYSTEM, "out of memory");
		return NULL;
	}
	k = snprintf(out, total, "%s\n%" PRIu64 "\n%s\n%s", cp->origin,
	    cp->size, b64, cp->ext ? cp->ext : "");
	if (len)
		*len = (size_t)k;
	return out;
}

static int
bad(struct grace_err *e, struct grace_checkpoint *cp, unsigned line,
    const char *why)
{
	grace_checkpoint_clear(cp);
	return grace_err_setc(e, GRACE_EXIT_INPUT, "malformed checkpoint: line %u: %s",
	    line, why);
}

int
grace_checkpoint_parse(const char *text, size_t n,
    struct grace_checkpoint *cp, struct grace_err *e)
{
	const char *p = text, *end = text + n, *nl;
	size_t len, rlen, i;
	uint64_t size = 0;

	grace_checkpoint_init(cp);
	if (!grace_note_text_valid(text, n))
		return grace_err_setc(e, GRACE_EXIT_INPUT, "malformed checkpoint: not "
		    "UTF-8, or has a control character other than newline");
	if (n == 0 || text[n - 1] != '\n')
		return grace_err_setc(e, GRACE_EXIT_INPUT, "malformed checkpoint: it must "
		    "end in a newline");

	/* Line 1: origin. */
	nl = memchr(p, '\n', (size_t)(end - p));
	len = (size_t)(nl - p);
	if (len == 0)
		return bad(e, cp, 1, "empty origin");
	if (len > GRACE_CHECKPOINT_ORIGIN_MAX)
		return bad(e, cp, 1, "origin longer than 256 bytes");
	memcpy(cp->origin, p, len);
	p = nl + 1;

	/* Line 2: tree size. */
	if (p == end)
		return bad(e, cp, 2, "missing tree size");
	nl = memchr(p, '\n', (size_t)(end - p));
	len = (size_t)(nl - p);
	if (len == 0)
		return bad(e, cp, 2, "empty tree size");
	for (i = 0; i < len; i++) {
		unsigned d = (unsigned char)p[i] - '0';

		if (d > 9)
			return bad(e, cp, 2, "tree size is not a decimal number");
		if (size > (UINT64_MAX - d) / 10)
			return bad(e, cp, 2, "tree size does not fit in 64 bits");
		size = size * 10 + d;
	}
	if (len > 1 && p[0] == '0')
		return bad(e, cp, 2, "tree size has a leading zero");
	cp->size = size;
	p = nl + 1;

	/* Line 3: root hash. */
	if (p == end)
		return bad(e, cp, 3, "missing root hash");
	nl = memchr(p, '\n', (size_t)(end - p));
	len = (size_t)(nl - p);
	if (len != ROOT_B64 || grace_b64_decode(p, len, cp->root,
	    sizeof cp->root, &rlen) < 0 || rlen != sizeof cp->root)
		return bad(e, cp, 3, "root hash is not base64 of 32 bytes");
	p = nl + 1;

	/* Extension lines. */
	if (p < end) {
		unsigned line = 4;

		for (nl = p; nl < end; nl++) {
			if (*nl == '\n' && (nl == p || nl[-1] == '\n'))
				return bad(e, cp, line, "empty extension line");
			line += *nl == '\n';
		}
		if (!(cp->ext = strndup(p, (size_t)(end - p)))) {
			grace_checkpoint_clear(cp);
			return grace_err_setc(e, GRACE_EXIT_SYSTEM, "out of memory");
		}
	}
	return 0;
}

char *
grace_checkpoint_sign(const struct grace_checkpoint *cp,
    struct grace_note_signer *const *signers, size_t nsigners,
    struct grace_err *e)
{
	size_t len;
	char *body = grace_checkpoint_format(cp, &len, e), *msg;

	if (!body)
		return NULL;
	msg = grace_note_sign(body, len, signers, nsigners, e);
	free(body);
	return msg;
}

int
grace_checkpoint_open(const char *msg, size_t n,
    struct grace_note_verifier *const *vs, size_t nvs,
    struct grace_checkpoint *cp, struct grace_err *e)
{
	size_t tlen;

	grace_checkpoint_init(cp);
	if (grace_note_open(msg, n, vs, nvs, &tlen, NULL, e) < 0)
		return -1;
	return grace_checkpoint_parse(msg, tlen, cp, e);
}
