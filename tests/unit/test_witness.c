/* test_witness.c - cosignatures (c2sp.org/tlog-cosignature): a witness key
 * cosigns, the cosignature counts for that witness only, once however
 * often it appears, and a line naming the witness that does not verify is
 * an error; witness keys neither sign notes nor count as a log's key. */
#include <stdlib.h>
#include <string.h>

#include "log/log.h"
#include "t.h"

#define T_TRUE(cond, ...) T_INTEQ(!!(cond), 1, __VA_ARGS__)

int
main(void)
{
	static const char text[] = "example.com/log\n3\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";
	char *lsk, *lvk, *w1sk, *w1vk, *w2sk, *w2vk, *note, *c1, *c2, *bad;
	struct grace_note_signer *log, *w1, *w2;
	struct grace_note_verifier *lv, *wv[2];
	struct grace_err e;
	uint64_t times[2] = { 0, 0 };
	size_t n = 9, i;

	T_TRUE(grace_note_keygen("example.com/log", &lsk, &lvk, &e) == 0, "log key");
	T_TRUE(grace_note_keygen_alg("w1.example", 1, &w1sk, &w1vk, &e) == 0, "witness key 1");
	T_TRUE(grace_note_keygen_alg("w2.example", 1, &w2sk, &w2vk, &e) == 0, "witness key 2");
	log = grace_note_signer_parse(lsk, &e);
	w1 = grace_note_signer_parse(w1sk, &e);
	w2 = grace_note_signer_parse(w2sk, &e);
	lv = grace_note_verifier_parse(lvk, &e);
	wv[0] = grace_note_verifier_parse(w1vk, &e);
	wv[1] = grace_note_verifier_parse(w2vk, &e);
	T_TRUE(log && w1 && w2 && lv && wv[0] && wv[1], "keys parse");
	T_TRUE(!grace_note_signer_is_witness(log) && grace_note_signer_is_witness(w1) &&
	    !grace_note_verifier_is_witness(lv) && grace_note_verifier_is_witness(wv[0]),
	    "which is which");

	note = grace_note_sign(text, sizeof text - 1, &log, 1, &e);
	T_TRUE(note != NULL, "the log signs");
	T_TRUE(grace_note_sign(text, sizeof text - 1, &w1, 1, &e) == NULL &&
	    e.code == GRACE_EXIT_USAGE, "a witness key does not sign notes");
	T_TRUE(grace_note_cosign(note, strlen(note), log, 1, &e) == NULL,
	    "a log key does not cosign");
	c1 = grace_note_cosign(note, strlen(note), w1, 1700000000, &e);
	T_TRUE(c1 && strncmp(c1, note, strlen(note)) == 0 &&
	    strncmp(c1 + strlen(note), "\xe2\x80\x94 w1.example ", 15) == 0,
	    "w1 cosigns: one line more");
	c2 = grace_note_cosign(c1, strlen(c1), w2, 1700000001, &e);
	T_TRUE(c2 != NULL, "w2 cosigns too");
	T_TRUE(grace_note_cosign(note, strlen(note), w1, (uint64_t)INT64_MAX + 1, &e) == NULL,
	    "a time past 2^63-1 is refused");

	/* the log's signature still opens; witness keys are not log keys */
	T_TRUE(grace_note_open(c2, strlen(c2), &lv, 1, NULL, &n, &e) == 0 && n == 1,
	    "the cosigned note opens with the log key");
	T_TRUE(grace_note_open(c2, strlen(c2), wv, 2, NULL, NULL, &e) == -1 &&
	    e.code == GRACE_EXIT_NEGATIVE, "witness keys alone: no known signature");

	T_TRUE(grace_note_cosigned(note, strlen(note), wv, 2, &n, times, &e) == 0 && n == 0,
	    "no cosignature: 0");
	T_TRUE(grace_note_cosigned(c1, strlen(c1), wv, 2, &n, times, &e) == 0 && n == 1 &&
	    times[0] == 1700000000, "w1's: 1, with its time");
	T_TRUE(grace_note_cosigned(c2, strlen(c2), wv, 2, &n, times, &e) == 0 && n == 2 &&
	    times[1] == 1700000001, "both: 2");
	T_TRUE(grace_note_cosigned(c2, strlen(c2), wv + 1, 1, &n, NULL, &e) == 0 && n == 1,
	    "only w2 asked for: 1");
	{
		/* w1's line twice counts once */
		size_t l1 = strlen(c1) - strlen(note);
		char *twice = malloc(strlen(c1) + l1 + 1);

		memcpy(twice, c1, strlen(c1));
		memcpy(twice + strlen(c1), c1 + strlen(note), l1 + 1);
		T_TRUE(grace_note_cosigned(twice, strlen(twice), wv, 2, &n, NULL, &e) == 0 &&
		    n == 1, "the same cosignature twice: 1");
		free(twice);
	}
	/* w1's key ID changed: the line names no witness asked for, and is
	 * ignored (another witness's, a rotated key); its time or signature
	 * changed: an error */
	bad = strdup(c1);
	bad[strlen(note) + 15 + 2] = bad[strlen(note) + 15 + 2] == 'A' ? 'B' : 'A';
	T_TRUE(grace_note_cosigned(bad, strlen(bad), wv, 2, &n, NULL, &e) == 0 && n == 0,
	    "w1's key ID altered: not w1's, not counted");
	free(bad);
	for (i = 0; i < 2; i++) {
		/* base64 characters 5-16 hold the time, the rest the signature */
		static const size_t at[2] = { 12, 80 };
		size_t off = strlen(note) + 15 + at[i];

		bad = strdup(c1);
		bad[off] = bad[off] == 'A' ? 'B' : 'A';
		T_INTEQ(grace_note_cosigned(bad, strlen(bad), wv, 2, &n, NULL, &e), -1,
		    "w1's cosignature altered at %zu: an error", at[i]);
		free(bad);
	}
	/* the text changed under the cosignature */
	bad = strdup(c1);
	bad[16] = '4';
	T_INTEQ(grace_note_cosigned(bad, strlen(bad), wv, 2, &n, NULL, &e), -1,
	    "the checkpoint changed: w1's cosignature fails");
	T_TRUE(strncmp(e.msg, "cosignature by witness w1.example does not verify (key ID ",
	    58) == 0, "  saying so: %s", e.msg);
	free(bad);

	grace_note_free_secret(lsk);
	grace_note_free_secret(w1sk);
	grace_note_free_secret(w2sk);
	free(lvk);
	free(w1vk);
	free(w2vk);
	free(note);
	free(c1);
	free(c2);
	grace_note_signer_free(log);
	grace_note_signer_free(w1);
	grace_note_signer_free(w2);
	grace_note_verifier_free(lv);
	grace_note_verifier_free(wv[0]);
	grace_note_verifier_free(wv[1]);
	return T_DONE();
}
