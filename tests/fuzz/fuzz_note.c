/* fuzz_note.c - signed notes and checkpoints (lib/note.h,
 * lib/checkpoint.h).
 *
 * The input is opened as a signed note with the two published test keys
 * (Go's sumdb/note PeterNeumann and sumdb localhost.localdev); the text
 * it signs is parsed as a checkpoint; and the input, up to its first
 * newline, is parsed as a verifier key and as a signer key. Promises
 * checked: an opened note's text is a prefix of the input ending in
 * "\n"; a checkpoint that parses formats back to exactly its text (one
 * accepted encoding); a key that parses has a name that is valid. */
#include <stdlib.h>
#include <string.h>

#include "log/log.h"
#include "fuzz.h"

#define PETER_VKEY "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
#define SUMDB_VKEY "localhost.localdev/sumdb+00000c67+AcTrnkbUA+TU4heY3hkjiSES/DSQniBqIeQ/YppAUtK6"
/* A witness key (algorithm 4), made by grace-log keygen --witness. */
#define WITNESS_VKEY "w1.example/witness+7a8f6649+BKoykdifbH6qGzmTDN5q7O3Ria1VTacSx9tJi7cvP50W"

static struct grace_note_verifier *vs[3];

static void
cleanup(void)
{
	grace_note_verifier_free(vs[0]);
	grace_note_verifier_free(vs[1]);
	grace_note_verifier_free(vs[2]);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct grace_err e;

	vs[0] = grace_note_verifier_parse(PETER_VKEY, &e);
	vs[1] = grace_note_verifier_parse(SUMDB_VKEY, &e);
	vs[2] = grace_note_verifier_parse(WITNESS_VKEY, &e);
	if (!vs[0] || !vs[1] || !vs[2] ||
	    !grace_note_verifier_is_witness(vs[2]))
		abort();
	atexit(cleanup);
	return 0;
}

static void
check_checkpoint(const char *text, size_t n)
{
	struct grace_checkpoint cp;
	struct grace_err e;
	size_t len;
	char *back;

	grace_checkpoint_init(&cp);
	if (grace_checkpoint_parse(text, n, &cp, &e) < 0) {
		if (cp.ext != NULL)
			abort();
		return;
	}
	if (!(back = grace_checkpoint_format(&cp, &len, &e)))
		abort();
	if (len != n || memcmp(back, text, n) != 0)
		abort();
	free(back);
	grace_checkpoint_clear(&cp);
}

static void
check_keys(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	char *s = fuzz_strdup(data, nl ? (size_t)(nl - data) : size);
	struct grace_note_verifier *v;
	struct grace_note_signer *sg;
	struct grace_err e;

	if (!s)
		return;
	if ((v = grace_note_verifier_parse(s, &e))) {
		const char *name = grace_note_verifier_name(v);

		if (!grace_note_name_valid(name, strlen(name)))
			abort();
		grace_note_verifier_free(v);
	}
	if ((sg = grace_note_signer_parse(s, &e))) {
		const char *name = grace_note_signer_name(sg);

		if (!grace_note_name_valid(name, strlen(name)) ||
		    !grace_note_signer_vkey(sg))
			abort();
		grace_note_signer_free(sg);
	}
	free(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *msg = (const char *)data;
	struct grace_checkpoint cp;
	struct grace_err e;
	size_t tlen = 0, nver = 0;

	if (grace_note_open(msg, size, vs, 2, &tlen, &nver, &e) == 0) {
		if (tlen == 0 || tlen > size || msg[tlen - 1] != '\n' ||
		    nver < 1 || nver > 2)
			abort();
	}
	/* The checkpoint parser on the whole input, and on the text of a
	 * note whatever its signatures (everything before the last blank
	 * line), so the fuzzer need not sign to reach it. */
	check_checkpoint(msg, size);
	{
		size_t i = size;

		while (i >= 2 && !(msg[i - 1] == '\n' && msg[i - 2] == '\n'))
			i--;
		if (i >= 2)
			check_checkpoint(msg, i - 1);
	}
	grace_checkpoint_init(&cp);
	if (grace_checkpoint_open(msg, size, vs, 2, &cp, &e) == 0)
		grace_checkpoint_clear(&cp);
	else if (cp.ext != NULL)
		abort();
	/* Cosignatures: the witness key among the note keys is ignored by
	 * grace_note_open(); grace_note_cosigned() counts at most it. */
	{
		size_t nw = 9;

		if (grace_note_open(msg, size, vs, 3, NULL, &nver, &e) == 0 &&
		    nver > 2)
			abort();
		if (grace_note_cosigned(msg, size, vs + 2, 1, &nw, NULL,
		    &e) == 0 && nw > 1)
			abort();
	}
	check_keys(data, size);
	return 0;
}
