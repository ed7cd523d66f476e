/* fuzz_proof.c - proofs (lib/log/log.h, proof.c): inclusion proofs
 * (c2sp.org/tlog-proof) and consistency proofs, as grace-log verify-proof
 * reads them.
 *
 * The input is parsed as a proof. Promises checked: a proof that parses
 * formats back to exactly its input (one accepted encoding; an inclusion
 * proof's checkpoint, whatever it is, is carried verbatim, and its
 * optional extra line is dropped, so the input is then compared without
 * it); checking it against any root never crashes and, for an input that
 * came from no prover, holds only by a hash collision, i.e. never; and
 * the checker refuses sizes and indexes that no tree has. */
#include <stdlib.h>
#include <string.h>

#include "log/log.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct grace_proof p;
	struct grace_buf b = { 0 };
	struct grace_err e;
	uint8_t a[GRACE_MERKLE_HASHLEN] = { 0 }, z[GRACE_MERKLE_HASHLEN];
	size_t off, skip = 0;

	if (grace_proof_parse(text, size, &p, &off, &e) < 0)
		return 0;
	if (p.n > GRACE_PROOF_MAX)
		abort();
	if (!p.consistency) {
		const char *extra = "c2sp.org/tlog-proof@v1\nextra ";

		if (off > size || p.size != 0)
			abort();
		if (size > strlen(extra) && memcmp(text, extra, strlen(extra)) == 0)
			skip = (size_t)((const char *)memchr(text + 23, '\n',
			    size - 23) - (text + 23)) + 1;
		if (grace_proof_format(&b, &p, text + off, size - off) < 0)
			abort();
		if (b.len != size - skip || memcmp(b.p, text, 23) != 0 ||
		    memcmp(b.p + 23, text + 23 + skip, b.len - 23) != 0)
			abort();
		p.size = p.index + 1 + (p.n & 7);
		memset(z, 0x5a, sizeof z);
		if (grace_proof_check_inclusion(&p, a, z) == 0)
			abort();
		p.size = p.index; /* no leaf at index */
		if (grace_proof_check_inclusion(&p, a, a) != 1)
			abort();
	} else {
		if (grace_proof_format(&b, &p, NULL, 0) < 0)
			abort();
		if (b.len != size || memcmp(b.p, text, size) != 0)
			abort();
		memset(z, 0x5a, sizeof z);
		if (p.index < p.size && grace_proof_check_consistency(&p, a, z) == 0)
			abort();
		p.index = 0;
		if (grace_proof_check_consistency(&p, a, a) != 1)
			abort();
	}
	grace_buf_free(&b);
	return 0;
}
