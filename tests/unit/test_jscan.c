/* test_jscan.c - the block-at-a-time JSON scanner (grace_json_scan)
 * against its byte-by-byte reference (grace_json_scan_ref): the same
 * status, error column and message, and the same member spans, on every
 * input. The fast path is a shortcut of the fail-closed gate of every
 * program, so it must never accept what the reference refuses, nor
 * place an error elsewhere.
 *
 * Inputs: each byte that matters ('"', '\\', every control byte, DEL,
 * every lead and continuation byte of UTF-8) at every offset of strings
 * of every length around the 8- and 16-byte blocks, near the end of the
 * line and away from it; nesting at the depth limit; and a large number
 * of random documents and random mutations of valid ones
 * (deterministic: a fixed xorshift seed). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "json.h"
#include "t.h"

/* a name longer than a word, and one twice (the first of them finds it) */
static const char *const keys[] = { "grace", "type", "id", "data", "time",
	"t\xc3\xa9", "specversion", "type" };
#define NKEYS (sizeof keys / sizeof keys[0])

/* keys compiled, as the filter scans with them (grace_json_scan_keys) */
static struct grace_jkeys jk;

static unsigned long mismatches;
static char first_bad[200];

/* 1 if both scanners give the same answer for p[0..n). */
static int
same(const char *p, size_t n)
{
	struct grace_jspan f1[NKEYS], f2[NKEYS], f3[NKEYS];
	struct grace_err e1, e2, e3;
	int r1, r2, r3;
	size_t i;

	/* the copy is exactly n bytes long, so a read past the end is
	 * caught by the sanitizers and valgrind */
	char *q = malloc(n ? n : 1);

	if (!q)
		abort();
	memcpy(q, p, n);
	grace_err_clear(&e1);
	grace_err_clear(&e2);
	r1 = grace_json_scan(q, n, keys, NKEYS, f1, "in", 3, &e1);
	r2 = grace_json_scan_ref(q, n, keys, NKEYS, f2, "in", 3, &e2);
	grace_err_clear(&e3);
	r3 = grace_json_scan_keys(q, n, &jk, f3, NULL, "in", 3, &e3);
	free(q);
	if (r1 != r2 || r3 != r2)
		goto bad;
	if (r1 < 0) {
		if (e1.col != e2.col || e1.line != e2.line ||
		    e1.code != e2.code || strcmp(e1.msg, e2.msg) != 0 ||
		    e3.col != e2.col || e3.code != e2.code ||
		    strcmp(e3.msg, e2.msg) != 0)
			goto bad;
		return 1;
	}
	for (i = 0; i < NKEYS; i++)
		if (f1[i].kind != f2[i].kind || (f1[i].kind != GRACE_J_NONE &&
		    (f1[i].off != f2[i].off || f1[i].len != f2[i].len)) ||
		    f3[i].kind != f2[i].kind || (f3[i].kind != GRACE_J_NONE &&
		    (f3[i].off != f2[i].off || f3[i].len != f2[i].len)))
			goto bad;
	return 1;
bad:
	if (!mismatches++)
		snprintf(first_bad, sizeof first_bad, "%.*s", (int)(n < 150 ?
		    n : 150), p);
	return 0;
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t
next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* The bytes the scanner decides on, and some it just passes. */
static const unsigned char special[] = {
	'"', '\\', 0x00, 0x01, 0x08, 0x09, 0x0a, 0x0d, 0x1f, 0x20, 0x21, 0x2f,
	0x5b, 0x5c, 0x5d, 0x7e, 0x7f, 0x80, 0x8f, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf,
	0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff, 'u', 'n', '0',
};
#define NSPECIAL (sizeof special / sizeof special[0])

/* Valid pieces to build documents and to splice into strings. */
static const char *const pieces[] = {
	"\\\"", "\\\\", "\\/", "\\b", "\\f", "\\n", "\\r", "\\t", "\\u00e9",
	"\\u0000", "\\ud83d\\ude00", "\\ud83d", "\\ude00", "\\uZZZZ", "\\u12",
	"\\x", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xed\xa0\x80",
	"\xe0\x80\x80", "\xc0\xaf", "\xf4\x90\x80\x80", "\xc3", "\xe2\x82",
	"abcdefghijklmnop", "0123456789", " ", "\t",
};
#define NPIECES (sizeof pieces / sizeof pieces[0])

static const char *const docs[] = {
	"{}",
	"{\"type\":\"metric\",\"source\":\"svc-1\",\"time\":\"2026-01-01T00:00:00Z\",\"data\":{\"service\":\"svc-1\",\"name\":\"m1\",\"value\":47}}",
	" { \"grace\" : { \"gate\" : { \"verdict\" : \"allow\" } } , \"id\" : \"x\" } ",
	"{\"a\":[1,-2.5e+3,true,false,null,{\"b\":\"\\u00e9\\ud83d\\ude00\"}],\"type\":\"t\"}",
	"{\"gr\\u0061ce\":{},\"t\\u00e9\":\"caf\xc3\xa9\",\"id\":\"a\\\"b\",\"id\":2}",
	"{\"data\":{\"k\":\"a long string value that spans many blocks of sixteen bytes\"}}",
	"{\"x\":\"\"}",
	"{\"specversion\":\"1.0\",\"specversio\":1,\"type\":\"a\",\"type\":\"b\"}",
	"{\"type\":\"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x81\xae\xe3\x83\x86\xe3\x82\xad\xe3\x82\xb9\xe3\x83\x88 text\"}",
};
#define NDOCS (sizeof docs / sizeof docs[0])

/* Every special byte at every offset of a string of every length, with
 * tails of every length after it (the end of the line within a block or
 * not). Returns the number of cases. */
static unsigned long
sweep(void)
{
	char b[256];
	unsigned long cases = 0;
	size_t len, at, k, tail;

	for (len = 0; len <= 40; len++)
		for (at = 0; at <= len; at++)
			for (k = 0; k < NSPECIAL; k++)
				for (tail = 0; tail <= 20; tail += 1) {
					size_t n = 0, i;

					memcpy(b, "{\"type\":\"", 9);
					n = 9;
					for (i = 0; i < len; i++)
						b[n++] = (char)('a' + i % 26);
					if (at < len)
						b[9 + at] = (char)special[k];
					b[n++] = '"';
					/* tail: the rest of the object, cut
					 * short or padded with more members */
					if (tail == 0) {
						/* unterminated object */
					} else if (tail == 1) {
						b[n++] = '}';
					} else {
						memcpy(b + n, ",\"id\":\"", 7);
						n += 7;
						for (i = 0; i + 9 < tail; i++)
							b[n++] = 'z';
						b[n++] = '"';
						b[n++] = '}';
					}
					same(b, n);
					cases++;
				}
	return cases;
}

/* Nesting at the limit: an object 511, 512 and 513 levels deep whose
 * innermost holds a string, a number, an empty object. */
static unsigned long
depth(void)
{
	static const char *const inner[] = { "\"s\"", "1", "{}", "[]", "\"\"" };
	struct grace_buf b = {0};
	unsigned long cases = 0;
	size_t d, i, k;

	for (d = 510; d <= 514; d++)
		for (k = 0; k < sizeof inner / sizeof *inner; k++) {
			grace_buf_reset(&b);
			for (i = 0; i < d; i++)
				grace_buf_adds(&b, "{\"a\":");
			grace_buf_adds(&b, inner[k]);
			for (i = 0; i < d; i++)
				grace_buf_adds(&b, "}");
			same(b.p, b.len);
			cases++;
			/* the same inside arrays */
			grace_buf_reset(&b);
			grace_buf_adds(&b, "{\"a\":");
			for (i = 1; i < d; i++)
				grace_buf_adds(&b, "[");
			grace_buf_adds(&b, inner[k]);
			for (i = 1; i < d; i++)
				grace_buf_adds(&b, "]");
			grace_buf_adds(&b, "}");
			same(b.p, b.len);
			cases++;
		}
	grace_buf_free(&b);
	return cases;
}

/* Random documents: pieces and JSON punctuation strung together, and
 * valid documents with bytes changed, inserted, removed, pieces spliced
 * in, or cut short. */
static unsigned long
random_docs(unsigned long rounds)
{
	static const char *const punct[] = { "{", "}", "[", "]", ":", ",",
		"\"", "\"type\"", "\"id\":", "\"grace\":{", "1", "-0.5e3", "true",
		"null", "\"v\"", " " };
	char b[1024];
	unsigned long r;

	for (r = 0; r < rounds; r++) {
		size_t n = 0, i, m;

		if (r % 3 == 0) {
			m = 1 + next() % 30;
			b[n++] = '{';
			for (i = 0; i < m && n < 900; i++) {
				const char *s = next() % 2 ?
				    punct[next() % (sizeof punct / sizeof *punct)] :
				    pieces[next() % NPIECES];
				size_t l = strlen(s);

				memcpy(b + n, s, l);
				n += l;
			}
		} else {
			const char *d = docs[next() % NDOCS];
			size_t l = strlen(d), edits = 1 + next() % 4, j;

			memcpy(b, d, l);
			n = l;
			for (j = 0; j < edits && n > 0; j++) {
				size_t at = next() % n;

				switch (next() % 6) {
				case 0:
					b[at] = (char)special[next() % NSPECIAL];
					break;
				case 1:
					b[at] = (char)(next() & 0xff);
					break;
				case 2:
					if (n < 900) {
						memmove(b + at + 1, b + at, n - at);
						b[at] = (char)special[next() % NSPECIAL];
						n++;
					}
					break;
				case 3:
					memmove(b + at, b + at + 1, n - at - 1);
					n--;
					break;
				case 4: {
					const char *s = pieces[next() % NPIECES];
					size_t sl = strlen(s);

					if (n + sl < 900) {
						memmove(b + at + sl, b + at, n - at);
						memcpy(b + at, s, sl);
						n += sl;
					}
					break;
				}
				default:
					n = at;
					break;
				}
			}
		}
		same(b, n);
	}
	return rounds;
}

int
main(void)
{
	unsigned long n;
	size_t i;

	grace_jkeys_init(&jk, keys, NKEYS, NULL);
	T_OK(jk.ok, "the keys compile");
	{
		/* the first of a name twice finds it; a long name is read to
		 * its end */
		static const char d[] = "{\"type\":1,\"specversiox\":2,"
		    "\"specversion\":3,\"specversion2\":4}";
		struct grace_jspan f[NKEYS];
		struct grace_err e;

		T_INTEQ(grace_json_scan_keys(d, strlen(d), &jk, f, NULL, "in", 1,
		    &e), 0, "compiled keys: a document is valid");
		T_INTEQ(f[1].kind, GRACE_J_NUMBER, "compiled keys: type found");
		T_INTEQ(f[7].kind, GRACE_J_NONE, "compiled keys: its second "
		    "name finds nothing");
		T_INTEQ(f[6].off, 40, "compiled keys: specversion, not its "
		    "neighbours");
	}
	{
		/* lines read one after another with the same compiled keys:
		 * the names the last line had are tried first, and each
		 * line is still read as the reference reads it */
		static const char *const seq[] = {
			"{\"type\":\"a\",\"id\":\"x\",\"data\":{\"k\":1}}",
			"{\"type\":\"a\",\"id\":\"x\",\"data\":{\"k\":1}}",
			"{\"type\" :\"a\",\"id\":\"x\"}",
			"{\"type\":  \"a\",\"id\" : 2}",
			"{\"typ\":\"a\",\"idx\":\"x\"}",
			"{\"type\":\"a\",\"type\":\"b\",\"id\":\"y\"}",
			"{\"id\":\"x\",\"type\":\"a\"}",
			"{\"type\":\"a\",\"id\":\"x\",\"data\":{\"k\":1}}",
			"{\"t\\u0079pe\":\"a\",\"id\":\"x\"}",
			"{\"type\":\"a\",\"id\":\"x\",\"data\":{\"k\":1},}",
			"{\"type\":\"a\",\"id\":\"x\"",
			"{\"type\":\"a\",\"id\":\"x\",\"specversion\":\"1\"}",
			"{\"type\":\"a\",\"id\":\"x\",\"specversion\":\"1\"}",
			"{\"type\":\"a\",\"id\":\"x\",\"specversiox\":\"1\"}",
			"{\"type\":\"\u00e9\",\"id\":\"x\"}",
			"{\"type\":\"a\",\"id\":\"x\",\"data\":{\"k\":1}}x",
			/* the last members, within 16 bytes of the end */
			"{\"id\":1,\"type\":2}",
			"{\"id\":1,\"type\":2}",
			"{\"id\":1,\"type\":}",
			"{\"id\":1,\"type\" :2}",
			"{\"id\":1,\"typf\":2}",
			"{\"id\":1,\"type\": 2}",
			"{\"id\":1,\"type\":2",
			"{\"id\":1,\"type\"",
			"{\"id\":1,\"type\":\"\xc3\xa9\"}",
			"{\"id\":1,\"t\xc3\xa9\":2}",
			"{\"id\":1,\"t\xc3\xa9\":2}",
			"{\"id\":1,\"t\xc3\xa8\":2}",
			"{\"id\":1,\"data\":{\"k\":1,\"k\":{}}}",
			"{\"id\":1,\"data\":{\"k\":1,\"k\":{}}}",
		};

		for (i = 0; i < sizeof seq / sizeof *seq; i++)
			T_OK(same(seq[i], strlen(seq[i])), "line %zu of a "
			    "sequence, names tried from the line before: the "
			    "same", i);
	}
	/* the reference itself, on a few known answers */
	{
		struct grace_jspan f[NKEYS];
		struct grace_err e;

		T_INTEQ(grace_json_scan_ref(docs[1], strlen(docs[1]), keys, NKEYS,
		    f, "in", 1, &e), 0, "reference: a metric event is valid");
		T_INTEQ(f[1].kind, GRACE_J_STRING, "reference: its type found");
		T_INTEQ(grace_json_scan_ref("{\"a\":\"\x01\"}", 9, keys, NKEYS, f,
		    "in", 1, &e), -1, "reference: a raw control byte is refused");
		T_STREQ(e.msg, "not JSON: control character in string",
		    "reference: and said so");
		T_INTEQ(e.col, 7, "reference: at its column");
	}
	for (i = 0; i < NDOCS; i++)
		T_OK(same(docs[i], strlen(docs[i])), "document %zu: the same", i);
	mismatches = 0;
	n = sweep();
	T_INTEQ(mismatches, 0, "every special byte at every offset of strings "
	    "up to 40 bytes, every tail: the same (%lu cases)%s%s", n,
	    mismatches ? "; first: " : "", first_bad);
	mismatches = 0;
	n = depth();
	T_INTEQ(mismatches, 0, "nesting at the depth limit: the same (%lu "
	    "cases)", n);
	mismatches = 0;
	n = random_docs((unsigned long)t_scaled(300000));
	T_INTEQ(mismatches, 0, "random documents and mutations: the same (%lu "
	    "cases)%s%s", n, mismatches ? "; first: " : "", first_bad);
	return T_DONE();
}
