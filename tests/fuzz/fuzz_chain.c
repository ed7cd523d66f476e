/* fuzz_chain.c - chain verification (lib/logfmt.h, lib/chaincheck.h).
 *
 * Byte 0 picks the mode, the rest is the file:
 *   even: the bytes are a log. With bit 1 set, every line that splits as
 *         a record first gets the right prev and hash (the fuzzer cannot
 *         forge SHA-256, so this lets it reach the seq, time, seam and
 *         torn-tail checks). grace_log_verify() runs over it, asking for
 *         the Merkle root, and grace_log_read_head(); when the log
 *         verifies intact, its head must be what read_head finds.
 *   odd:  the bytes are a monitor's state file, checked by
 *         grace_chain_verify() against tests/fixtures/log/vector3.log
 *         (the replay and make fuzz run from the repository root), then
 *         the grace.log.verification event is built.
 * Nothing is written: the state is never saved. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "log/log.h"
#include "fuzz.h"

static const char vector_log[] = "tests/fixtures/log/vector3.log";

/* Copy in[0..n) to out with each record's prev and hash made right. */
static int
fix_hashes(const char *in, size_t n, struct grace_buf *out,
    struct grace_sha256 *sha)
{
	char prev[GRACE_SHA256_HEXLEN + 1];
	size_t pos = 0;

	memset(prev, '0', GRACE_SHA256_HEXLEN);
	prev[GRACE_SHA256_HEXLEN] = '\0';
	while (pos < n) {
		const char *nl = memchr(in + pos, '\n', n - pos);
		size_t len = nl ? (size_t)(nl - (in + pos)) : n - pos;
		size_t at = out->len;
		struct grace_log_rec r;
		const char *why;

		if (grace_buf_add(out, in + pos, len + (nl != NULL)) < 0)
			return -1;
		if (grace_log_parse(in + pos, len, &r, &why) == 0) {
			char *line = out->p + at;
			uint8_t h[GRACE_SHA256_LEN];

			memcpy(line + (r.prev - (in + pos)), prev,
			    GRACE_SHA256_HEXLEN);
			if (grace_sha256_once(sha, line, r.hashed_len, h) < 0)
				return -1;
			grace_hex_encode(h, GRACE_SHA256_LEN, prev);
			prev[GRACE_SHA256_HEXLEN] = '\0';
			memcpy(line + (r.hash - (in + pos)), prev,
			    GRACE_SHA256_HEXLEN);
		}
		pos += len + (nl != NULL);
	}
	return 0;
}

static void
check_log(const uint8_t *data, size_t size, int fix)
{
	struct grace_buf b = {0};
	struct grace_sha256 *sha = grace_sha256_new();
	struct grace_log_result res;
	struct grace_log_head h;
	struct grace_err e;
	char path[64];
	const char *files[1];
	int fd, hr;

	if (!sha)
		abort();
	if (fix) {
		if (fix_hashes((const char *)data, size, &b, sha) < 0)
			abort();
		data = (const uint8_t *)b.p;
		size = b.len;
	}
	if (fuzz_file(0, data, size, path) < 0)
		goto out;
	files[0] = path;
	memset(&res, 0, sizeof res);
	if (grace_log_verify(files, 1, NULL, 0, 1, NULL, NULL, &res, &e) < 0)
		goto out;
	if ((fd = open(path, O_RDONLY)) < 0)
		goto out;
	grace_log_head_init(&h);
	hr = grace_log_read_head(fd, path, &h, &e);
	close(fd);
	if (res.intact && res.records > 0 && !res.torn) {
		if (hr < 0 || h.seq != res.last_seq ||
		    strcmp(h.hash, res.head) != 0 || h.torn != 0)
			abort();
	}
out:
	grace_buf_free(&b);
	grace_sha256_free(sha);
}

static void
check_state(const uint8_t *data, size_t size)
{
	struct grace_chain c;
	struct grace_buf ev = {0};
	struct grace_err e;
	const char *files[1] = { vector_log };
	char path[64];

	if (fuzz_file(0, data, size, path) < 0)
		return;
	grace_chain_init(&c);
	c.files = files;
	c.nfiles = 1;
	c.state = path;
	if (grace_chain_verify(&c, &e) == 0) {
		if (grace_chain_event(&c, "fuzz", &ev) < 0)
			abort();
	}
	grace_buf_free(&ev);
	grace_chain_free(&c);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (data[0] & 1)
		check_state(data + 1, size - 1);
	else
		check_log(data + 1, size - 1, data[0] & 2);
	return 0;
}
