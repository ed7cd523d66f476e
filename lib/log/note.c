/* note.c - C2SP signed notes with Ed25519 keys (Go sumdb/note formats). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "log.h"

#define ALG_ED25519 1
#define ALG_COSIGN 4        /* c2sp.org/tlog-cosignature, Ed25519 */
#define ED25519_LEN 32      /* public key and seed */
#define ED25519_SIGLEN 64
#define KEYDATA_LEN (1 + ED25519_LEN)             /* alg byte || key */
#define KEYDATA_B64 (4 * ((KEYDATA_LEN + 2) / 3)) /* 44 */
#define SIGDATA_LEN (4 + ED25519_SIGLEN)          /* key ID || sig */
#define COSIGDATA_LEN (4 + 8 + ED25519_SIGLEN)    /* key ID || time || sig */
#define EM_DASH "\xe2\x80\x94"                    /* U+2014 */
#define SIG_PREFIX EM_DASH " "
#define SIG_PREFIX_LEN 4
#define PRIV_PREFIX "PRIVATE+KEY+"


struct grace_note_signer {
	char *name;
	uint8_t alg;
	uint32_t keyid;
	EVP_PKEY *pkey;
	char *vkey;
};

struct grace_note_verifier {
	char *name;
	uint8_t alg;
	uint32_t keyid;
	EVP_PKEY *pkey;
};

/* Decode one UTF-8 sequence at p[0..n): its length (1..4) and *cp, or 0
 * when it is not valid UTF-8 (truncated, overlong, surrogate, too big). */
static size_t
utf8_next(const unsigned char *p, size_t n, unsigned long *cp)
{
	unsigned long c;
	size_t len, i;

	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		len = 2;
		c = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		len = 3;
		c = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		len = 4;
		c = p[0] & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (p[i] & 0x3f);
	}
	if ((len == 3 && c < 0x800) || (len == 4 && c < 0x10000) ||
	    c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/* Go's unicode.IsSpace: the White_Space property. */
static int
is_space(unsigned long c)
{
	switch (c) {
	case '\t': case '\n': case '\v': case '\f': case '\r': case ' ':
	case 0x85: case 0xa0: case 0x1680: case 0x2028: case 0x2029:
	case 0x202f: case 0x205f: case 0x3000:
		return 1;
	}
	return c >= 0x2000 && c <= 0x200a;
}

int
grace_note_name_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, len;
	unsigned long c;

	if (n == 0)
		return 0;
	while (i < n) {
		len = utf8_next(p + i, n - i, &c);
		if (len == 0 || c < 0x20 || c == '+' || is_space(c))
			return 0;
		i += len;
	}
	return 1;
}

int
grace_note_text_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, len;
	unsigned long c;

	while (i < n) {
		if (p[i] >= 0x20 && p[i] < 0x80) { /* the common case */
			i++;
			continue;
		}
		len = utf8_next(p + i, n - i, &c);
		if (len == 0 || (c < 0x20 && c != '\n'))
			return 0;
		i += len;
	}
	return 1;
}

static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static void
put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* *id = first 4 bytes of SHA-256(name || "\n" || alg || pub). */
static int
key_id(const char *name, size_t namelen, uint8_t alg,
    const uint8_t pub[ED25519_LEN], uint32_t *id, struct grace_err *e)
{
	struct grace_sha256 *c = grace_sha256_new();
	uint8_t sum[GRACE_SHA256_LEN];
	int rc = -1;

	if (!c)
		return grace_err_set(e, NULL, 0, 0, "out of memory");
	if (grace_sha256_init(c) == 0 &&
	    grace_sha256_update(c, name, namelen) == 0 &&
	    grace_sha256_update(c, "\n", 1) == 0 &&
	    grace_sha256_update(c, &alg, 1) == 0 &&
	    grace_sha256_update(c, pub, ED25519_LEN) == 0 &&
	    grace_sha256_final(c, sum) == 0) {
		*id = be32(sum);
		rc = 0;
	} else {
		grace_err_set(e, NULL, 0, 0, "SHA-256 failed in libcrypto");
	}
	grace_sha256_free(c);
	return rc;
}

/* "name+xxxxxxxx+base64(alg || key)" into a new string, or NULL. */
static char *
key_string(const char *prefix, const char *name, uint32_t id, uint8_t alg,
    const uint8_t key[ED25519_LEN])
{
	uint8_t data[KEYDATA_LEN];
	char b64[KEYDATA_B64 + 1];
	size_t len;
	char *s;

	data[0] = alg;
	memcpy(data + 1, key, ED25519_LEN);
	grace_b64_encode(data, sizeof data, b64);
	len = strlen(prefix) + strlen(name) + 1 + 8 + 1 + KEYDATA_B64 + 1;
	s = malloc(len);
	if (s)
		snprintf(s, len, "%s%s+%08x+%s", prefix, name, (unsigned)id, b64);
	OPENSSL_cleanse(data, sizeof data);
	OPENSSL_cleanse(b64, sizeof b64);
	return s;
}

/* Split "name+xxxxxxxx+data" (after any prefix): name and data are
 * pointers into s.  Returns 0, or -1 with e filled; what says which kind
 * of key it is, for the messages. */
static int
split_key(const char *s, const char *what, const char **name,
    size_t *namelen, uint32_t *id, const char **data, struct grace_err *e)
{
	const char *p = strchr(s, '+');
	uint8_t idb[4];

	if (!p)
		goto bad;
	*name = s;
	*namelen = (size_t)(p - s);
	if (!grace_note_name_valid(s, *namelen))
		return grace_err_setc(e, GRACE_EXIT_USAGE,
		    "malformed %s key: invalid key name", what);
	p++;
	if (strlen(p) < 9 || p[8] != '+' || grace_hex_decode(p, idb, 4) < 0)
		goto bad;
	*id = be32(idb);
	*data = p + 9;
	return 0;
bad:
	return grace_err_setc(e, GRACE_EXIT_USAGE,
	    "malformed %s key: want NAME+KEYID+BASE64 with an 8-digit hex key ID",
	    what);
}

/* Decode the key data "base64(alg || 32 bytes)" into *alg and key[]: alg
 * 1 (Ed25519 note signatures) or 4 (Ed25519 tlog cosignatures). */
static int
decode_keydata(const char *b64, const char *what, uint8_t *alg,
    uint8_t key[ED25519_LEN], struct grace_err *e)
{
	uint8_t data[KEYDATA_LEN];
	size_t len;
	int rc = 0;

	if (grace_b64_decode(b64, strlen(b64), data, sizeof data, &len) < 0 ||
	    len < 1)
		rc = grace_err_setc(e, GRACE_EXIT_USAGE,
		    "malformed %s key: key data is not base64 of 33 bytes", what);
	else if (data[0] != ALG_ED25519 && data[0] != ALG_COSIGN)
		rc = grace_err_setc(e, GRACE_EXIT_USAGE,
		    "unknown %s key algorithm %u (1, Ed25519, and 4, an Ed25519 "
		    "witness, are supported)", what, data[0]);
	else if (len != KEYDATA_LEN)
		rc = grace_err_setc(e, GRACE_EXIT_USAGE,
		    "malformed %s key: Ed25519 key is %zu bytes, want 32", what,
		    len - 1);
	else {
		*alg = data[0];
		memcpy(key, data + 1, ED25519_LEN);
	}
	OPENSSL_cleanse(data, sizeof data);
	return rc;
}

/* A new signer from a 32-byte seed; want_id, if not NULL, must match. */
static struct grace_note_signer *
signer_from_seed(const char *name, size_t namelen, uint8_t alg,
    const uint8_t seed[ED25519_LEN], const uint32_t *want_id,
    struct grace_err *e)
{
	struct grace_note_signer *s = calloc(1, sizeof *s);
	uint8_t pub[ED25519_LEN];
	size_t publen = sizeof pub;

	if (!s || !(s->name = strndup(name, namelen))) {
		grace_err_set(e, NULL, 0, 0, "out of memory");
		goto fail;
	}
	s->alg = alg;
	s->pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed,
	    ED25519_LEN);
	if (!s->pkey || EVP_PKEY_get_raw_public_key(s->pkey, pub, &publen) != 1 ||
	    publen != ED25519_LEN) {
		grace_err_set(e, NULL, 0, 0,
		    "cannot make an Ed25519 key in libcrypto");
		goto fail;
	}
	if (key_id(s->name, namelen, alg, pub, &s->keyid, e) < 0)
		goto fail;
	if (want_id && *want_id != s->keyid) {
		grace_err_setc(e, GRACE_EXIT_USAGE,
		    "signer key for %s: key ID %08x does not match the key",
		    s->name, (unsigned)*want_id);
		goto fail;
	}
	if (!(s->vkey = key_string("", s->name, s->keyid, alg, pub))) {
		grace_err_set(e, NULL, 0, 0, "out of memory");
		goto fail;
	}
	return s;
fail:
	grace_note_signer_free(s);
	return NULL;
}

void
grace_note_free_secret(char *s)
{
	if (!s)
		return;
	OPENSSL_cleanse(s, strlen(s));
	free(s);
}

int
grace_note_keygen(const char *name, char **skey, char **vkey,
    struct grace_err *e)
{
	return grace_note_keygen_alg(name, 0, skey, vkey, e);
}

int
grace_note_keygen_alg(const char *name, int witness, char **skey,
    char **vkey, struct grace_err *e)
{
	uint8_t alg = witness ? ALG_COSIGN : ALG_ED25519;
	struct grace_note_signer *s;
	uint8_t seed[ED25519_LEN];

	*skey = *vkey = NULL;
	if (!grace_note_name_valid(name, strlen(name))) {
		return grace_err_setc(e, GRACE_EXIT_USAGE,
		    "invalid key name \"%s\": it must be non-empty UTF-8 without "
		    "'+', spaces or control characters", name);
	}
	if (RAND_priv_bytes(seed, sizeof seed) != 1)
		return grace_err_set(e, NULL, 0, 0,
		    "cannot get random bytes from libcrypto");
	s = signer_from_seed(name, strlen(name), alg, seed, NULL, e);
	if (!s) {
		OPENSSL_cleanse(seed, sizeof seed);
		return -1;
	}
	*skey = key_string(PRIV_PREFIX, s->name, s->keyid, alg, seed);
	*vkey = strdup(s->vkey);
	OPENSSL_cleanse(seed, sizeof seed);
	grace_note_signer_free(s);
	if (!*skey || !*vkey) {
		grace_note_free_secret(*skey);
		free(*vkey);
		*skey = *vkey = NULL;
		return grace_err_set(e, NULL, 0, 0, "out of memory");
	}
	return 0;
}

struct grace_note_signer *
grace_note_signer_parse(const char *skey, struct grace_err *e)
{
	struct grace_note_signer *s = NULL;
	uint8_t seed[ED25519_LEN], alg = 0;
	const char *name, *data;
	size_t namelen;
	uint32_t id;

	if (strncmp(skey, PRIV_PREFIX, strlen(PRIV_PREFIX)) != 0) {
		grace_err_setc(e, GRACE_EXIT_USAGE, "malformed signer key: it must "
		    "start with \"" PRIV_PREFIX "\"");
		goto out;
	}
	if (split_key(skey + strlen(PRIV_PREFIX), "signer", &name, &namelen,
	    &id, &data, e) < 0 ||
	    decode_keydata(data, "signer", &alg, seed, e) < 0)
		goto out;
	s = signer_from_seed(name, namelen, alg, seed, &id, e);
out:
	OPENSSL_cleanse(seed, sizeof seed);
	return s;
}

void
grace_note_signer_free(struct grace_note_signer *s)
{
	if (!s)
		return;
	EVP_PKEY_free(s->pkey); /* wipes the private key */
	free(s->name);
	free(s->vkey);
	free(s);
}

const char *
grace_note_signer_name(const struct grace_note_signer *s)
{
	return s->name;
}

uint32_t
grace_note_signer_keyid(const struct grace_note_signer *s)
{
	return s->keyid;
}

const char *
grace_note_signer_vkey(const struct grace_note_signer *s)
{
	return s->vkey;
}

struct grace_note_verifier *
grace_note_verifier_parse(const char *vkey, struct grace_err *e)
{
	struct grace_note_verifier *v;
	uint8_t pub[ED25519_LEN], alg = 0;
	const char *name, *data;
	size_t namelen;
	uint32_t id, want;

	if (split_key(vkey, "verifier", &name, &namelen, &want, &data, e) < 0 ||
	    decode_keydata(data, "verifier", &alg, pub, e) < 0)
		return NULL;
	v = calloc(1, sizeof *v);
	if (!v || !(v->name = strndup(name, namelen))) {
		grace_err_set(e, NULL, 0, 0, "out of memory");
		goto fail;
	}
	v->alg = alg;
	if (key_id(v->name, namelen, alg, pub, &id, e) < 0)
		goto fail;
	if (id != want) {
		grace_err_setc(e, GRACE_EXIT_USAGE, "verifier key for %s: key ID %08x "
		    "does not match the key", v->name, (unsigned)want);
		goto fail;
	}
	v->keyid = id;
	v->pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub,
	    ED25519_LEN);
	if (!v->pkey) {
		grace_err_set(e, NULL, 0, 0,
		    "cannot load the Ed25519 public key of %s in libcrypto",
		    v->name);
		goto fail;
	}
	return v;
fail:
	grace_note_verifier_free(v);
	return NULL;
}

void
grace_note_verifier_free(struct grace_note_verifier *v)
{
	if (!v)
		return;
	EVP_PKEY_free(v->pkey);
	free(v->name);
	free(v);
}

const char *
grace_note_verifier_name(const struct grace_note_verifier *v)
{
	return v->name;
}

uint32_t
grace_note_verifier_keyid(const struct grace_note_verifier *v)
{
	return v->keyid;
}

int
grace_note_verifier_is_witness(const struct grace_note_verifier *v)
{
	return v->alg == ALG_COSIGN;
}

int
grace_note_signer_is_witness(const struct grace_note_signer *s)
{
	return s->alg == ALG_COSIGN;
}

/* Set e to a malformed-note error; returns -1. */
static int
malformed(struct grace_err *e, const char *why, unsigned long line)
{
	if (line)
		return grace_err_setc(e, GRACE_EXIT_INPUT, "malformed note: line %lu: %s",
		    line, why);
	return grace_err_setc(e, GRACE_EXIT_INPUT, "malformed note: %s", why);
}

char *
grace_note_sign(const char *text, size_t n,
    struct grace_note_signer *const *signers, size_t nsigners,
    struct grace_err *e)
{
	/* One signature line's payload: key ID || signature, in base64. */
	enum { B64LEN = 4 * ((SIGDATA_LEN + 2) / 3) };
	EVP_MD_CTX *ctx = NULL;
	char *out = NULL, *p;
	size_t total, i;

	if (nsigners == 0) {
		grace_err_setc(e, GRACE_EXIT_USAGE, "cannot sign a note with no key");
		return NULL;
	}
	if (n == 0 || text[n - 1] != '\n') {
		malformed(e, "the text must be non-empty and end in a newline", 0);
		return NULL;
	}
	if (!grace_note_text_valid(text, n)) {
		malformed(e, "the text must be UTF-8 without control characters "
		    "other than newline", 0);
		return NULL;
	}
	for (i = 0; i < nsigners; i++) {
		if (signers[i]->alg != ALG_ED25519) {
			grace_err_setc(e, GRACE_EXIT_USAGE, "%s is a witness key: "
			    "it cosigns checkpoints, it does not sign notes",
			    signers[i]->name);
			return NULL;
		}
	}
	total = n + 1 + 1;
	for (i = 0; i < nsigners; i++)
		total += SIG_PREFIX_LEN + strlen(signers[i]->name) + 1 + B64LEN + 1;
	if (!(out = malloc(total)) || !(ctx = EVP_MD_CTX_new())) {
		grace_err_set(e, NULL, 0, 0, "out of memory");
		goto fail;
	}
	memcpy(out, text, n);
	p = out + n;
	*p++ = '\n';
	for (i = 0; i < nsigners; i++) {
		const struct grace_note_signer *s = signers[i];
		uint8_t sig[SIGDATA_LEN];
		size_t siglen = ED25519_SIGLEN, len = strlen(s->name);

		put_be32(sig, s->keyid);
		if (EVP_MD_CTX_reset(ctx) != 1 || /* needed after a one-shot */
		    EVP_DigestSignInit(ctx, NULL, NULL, NULL, s->pkey) != 1 ||
		    EVP_DigestSign(ctx, sig + 4, &siglen,
		    (const unsigned char *)text, n) != 1 ||
		    siglen != ED25519_SIGLEN) {
			grace_err_set(e, NULL, 0, 0,
			    "Ed25519 signing with key %s failed in libcrypto",
			    s->name);
			goto fail;
		}
		memcpy(p, SIG_PREFIX, SIG_PREFIX_LEN);
		p += SIG_PREFIX_LEN;
		memcpy(p, s->name, len);
		p += len;
		*p++ = ' ';
		p += grace_b64_encode(sig, sizeof sig, p);
		*p++ = '\n';
	}
	*p = '\0';
	EVP_MD_CTX_free(ctx);
	return out;
fail:
	EVP_MD_CTX_free(ctx);
	free(out);
	return NULL;
}

/* Whether ", key" already occurs as a whole item in the list seen. */
static int
seen_has(const char *seen, const char *key)
{
	size_t klen = strlen(key);
	const char *p = seen;

	while ((p = strstr(p, key)) != NULL) {
		if ((p == seen || p[-1] == ' ') && (p[klen] == ',' || !p[klen]))
			return 1;
		p += klen;
	}
	return 0;
}

int
grace_note_open(const char *msg, size_t n,
    struct grace_note_verifier *const *vs, size_t nvs, size_t *text_len,
    size_t *nverified, struct grace_err *e)
{
	const unsigned char *m = (const unsigned char *)msg;
	size_t split, tlen, pos, nsig = 0, i, count = 0;
	unsigned long line = 1;
	EVP_MD_CTX *ctx = NULL;
	unsigned char *ok = NULL;
	uint8_t *buf = NULL;
	char seen[512] = "";
	int rc = -1;

	if (!grace_note_text_valid(msg, n))
		return malformed(e, "not UTF-8, or has a control character "
		    "other than newline", 0);
	for (split = n; split >= 2; split--)
		if (m[split - 2] == '\n' && m[split - 1] == '\n')
			break;
	if (split < 2)
		return malformed(e, "no blank line before the signatures", 0);
	tlen = split - 1; /* the text keeps its final newline */
	if (split == n)
		return malformed(e, "no signature lines after the blank line", 0);
	if (m[n - 1] != '\n')
		return malformed(e, "the last signature line does not end in a "
		    "newline", 0);
	for (i = 0; i < tlen; i++)
		line += m[i] == '\n';
	line++; /* the blank line */

	if (!(buf = malloc(GRACE_B64_DECLEN(n - split) + 1)) ||
	    !(ok = calloc(nvs + 1, 1)) || !(ctx = EVP_MD_CTX_new())) {
		grace_err_set(e, NULL, 0, 0, "out of memory");
		goto out;
	}
	for (pos = split; pos < n; line++) {
		const char *l = msg + pos, *nl = memchr(l, '\n', n - pos);
		size_t llen = (size_t)(nl - l), namelen, blen;
		const char *name, *b64, *sp;
		struct grace_note_verifier *v = NULL;
		size_t vi = 0;
		char key[300];
		uint32_t id;

		pos += llen + 1;
		if (++nsig > GRACE_NOTE_MAX_SIGS) {
			malformed(e, "more than 100 signatures", line);
			goto out;
		}
		if (llen < SIG_PREFIX_LEN || memcmp(l, SIG_PREFIX,
		    SIG_PREFIX_LEN) != 0) {
			malformed(e, "a signature line must start with \"— \" "
			    "(em dash, space)", line);
			goto out;
		}
		name = l + SIG_PREFIX_LEN;
		sp = memchr(name, ' ', (size_t)(nl - name));
		if (!sp) {
			malformed(e, "no space between the key name and the "
			    "signature", line);
			goto out;
		}
		namelen = (size_t)(sp - name);
		b64 = sp + 1;
		if (!grace_note_name_valid(name, namelen)) {
			malformed(e, "invalid key name", line);
			goto out;
		}
		if (grace_b64_decode(b64, (size_t)(nl - b64), buf,
		    GRACE_B64_DECLEN(n - split), &blen) < 0 || blen < 5) {
			malformed(e, "the signature is not base64 of a key ID and "
			    "a signature", line);
			goto out;
		}
		id = be32(buf);
		for (i = 0; i < nvs; i++) {
			if (vs[i]->alg != ALG_ED25519 || vs[i]->keyid != id ||
			    strlen(vs[i]->name) != namelen ||
			    memcmp(vs[i]->name, name, namelen) != 0)
				continue;
			if (v) {
				grace_err_setc(e, GRACE_EXIT_USAGE, "ambiguous key %s+%08x: "
				    "two verifier keys have this name and key ID",
				    v->name, (unsigned)id);
				goto out;
			}
			v = vs[i];
			vi = i;
		}
		if (!v) {
			snprintf(key, sizeof key, "%.*s+%08x",
			    namelen > 250 ? 250 : (int)namelen, name, (unsigned)id);
			if (!seen_has(seen, key) && strlen(seen) + strlen(key) + 3 <
			    sizeof seen)
				snprintf(seen + strlen(seen), sizeof seen - strlen(seen),
				    "%s%s", seen[0] ? ", " : "", key);
			continue;
		}
		if (blen != SIGDATA_LEN || EVP_MD_CTX_reset(ctx) != 1 ||
		    EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, v->pkey) != 1 ||
		    EVP_DigestVerify(ctx, buf + 4, ED25519_SIGLEN, m, tlen) != 1) {
			grace_err_setc(e, GRACE_EXIT_NEGATIVE, "signature by %s does not "
			    "verify (key ID %08x, line %lu)", v->name,
			    (unsigned)id, line);
			goto out;
		}
		count += !ok[vi];
		ok[vi] = 1;
	}
	if (count == 0) {
		grace_err_setc(e, GRACE_EXIT_NEGATIVE, "no signature by a known key "
		    "(signed by %s)", seen);
		goto out;
	}
	if (text_len)
		*text_len = tlen;
	if (nverified)
		*nverified = count;
	rc = 0;
out:
	EVP_MD_CTX_free(ctx);
	free(ok);
	free(buf);
	return rc;
}

/* ------------------------------------------------- tlog cosignatures */

/* The signed text of the note msg[0..n): its length (up to and with the
 * "\n" before the last blank line), or 0 when there is none. */
static size_t
note_text_len(const char *msg, size_t n)
{
	size_t split;

	for (split = n; split >= 2; split--)
		if (msg[split - 2] == '\n' && msg[split - 1] == '\n')
			return split - 1;
	return 0;
}

/* "cosignature/v1\ntime T\n" || text, malloc'd into *out (*len). */
static int
cosigned_message(const char *text, size_t tlen, uint64_t ts, char **out,
    size_t *len)
{
	char head[64];
	int h = snprintf(head, sizeof head, "cosignature/v1\ntime %llu\n",
	    (unsigned long long)ts);

	if (h < 0 || !(*out = malloc((size_t)h + tlen)))
		return -1;
	memcpy(*out, head, (size_t)h);
	memcpy(*out + h, text, tlen);
	*len = (size_t)h + tlen;
	return 0;
}

static void
put_be64(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static uint64_t
be64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

char *
grace_note_cosign(const char *msg, size_t n,
    const struct grace_note_signer *w, uint64_t ts, struct grace_err *e)
{
	enum { B64LEN = 4 * ((COSIGDATA_LEN + 2) / 3) };
	uint8_t sig[COSIGDATA_LEN];
	size_t tlen = note_text_len(msg, n), mlen, siglen = ED25519_SIGLEN,
	    nlen = strlen(w->name);
	EVP_MD_CTX *ctx = NULL;
	char *m = NULL, *out = NULL, *p;

	if (w->alg != ALG_COSIGN) {
		grace_err_setc(e, GRACE_EXIT_USAGE, "%s is not a witness key "
		    "(make one with grace-log keygen --witness)", w->name);
		return NULL;
	}
	if (ts > (uint64_t)INT64_MAX) {
		grace_err_setc(e, GRACE_EXIT_USAGE, "a cosignature's time is at "
		    "most 2^63-1");
		return NULL;
	}
	if (tlen == 0 || n == 0 || msg[n - 1] != '\n') {
		malformed(e, "no signed text, or no newline at its end", 0);
		return NULL;
	}
	put_be32(sig, w->keyid);
	put_be64(sig + 4, ts);
	if (cosigned_message(msg, tlen, ts, &m, &mlen) < 0 ||
	    !(ctx = EVP_MD_CTX_new()) ||
	    !(out = malloc(n + SIG_PREFIX_LEN + nlen + 1 + B64LEN + 2))) {
		grace_err_set(e, NULL, 0, 0, "out of memory");
		goto fail;
	}
	if (EVP_DigestSignInit(ctx, NULL, NULL, NULL, w->pkey) != 1 ||
	    EVP_DigestSign(ctx, sig + 12, &siglen, (const unsigned char *)m,
	    mlen) != 1 || siglen != ED25519_SIGLEN) {
		grace_err_set(e, NULL, 0, 0, "Ed25519 signing with key %s "
		    "failed in libcrypto", w->name);
		goto fail;
	}
	memcpy(out, msg, n);
	p = out + n;
	memcpy(p, SIG_PREFIX, SIG_PREFIX_LEN);
	p += SIG_PREFIX_LEN;
	memcpy(p, w->name, nlen);
	p += nlen;
	*p++ = ' ';
	p += grace_b64_encode(sig, sizeof sig, p);
	*p++ = '\n';
	*p = '\0';
	EVP_MD_CTX_free(ctx);
	free(m);
	return out;
fail:
	EVP_MD_CTX_free(ctx);
	free(m);
	free(out);
	return NULL;
}

int
grace_note_cosigned(const char *msg, size_t n,
    struct grace_note_verifier *const *ws, size_t nws, size_t *nvalid,
    uint64_t *times, struct grace_err *e)
{
	size_t tlen = note_text_len(msg, n), pos, i, count = 0;
	unsigned char *ok = NULL;
	EVP_MD_CTX *ctx = NULL;
	uint8_t *buf = NULL;
	char *m = NULL;
	int rc = -1;

	*nvalid = 0;
	if (tlen == 0 || msg[n - 1] != '\n')
		return malformed(e, "no signature lines", 0);
	if (!(buf = malloc(GRACE_B64_DECLEN(n) + 1)) ||
	    !(ok = calloc(nws + 1, 1)) || !(ctx = EVP_MD_CTX_new())) {
		grace_err_set(e, NULL, 0, 0, "out of memory");
		goto out;
	}
	for (pos = tlen + 1; pos < n;) {
		const char *l = msg + pos, *nl = memchr(l, '\n', n - pos), *sp;
		size_t llen = (size_t)(nl - l), namelen, blen, mlen;
		uint64_t ts;
		uint32_t id;

		pos += llen + 1;
		if (llen < SIG_PREFIX_LEN || memcmp(l, SIG_PREFIX,
		    SIG_PREFIX_LEN) != 0 || !(sp = memchr(l + SIG_PREFIX_LEN,
		    ' ', llen - SIG_PREFIX_LEN)))
			continue; /* grace_note_open() judges the note's form */
		namelen = (size_t)(sp - l) - SIG_PREFIX_LEN;
		if (grace_b64_decode(sp + 1, (size_t)(nl - sp - 1), buf,
		    GRACE_B64_DECLEN(n), &blen) < 0 || blen < 4)
			continue;
		id = be32(buf);
		for (i = 0; i < nws; i++) {
			const struct grace_note_verifier *w = ws[i];

			if (w->alg != ALG_COSIGN || w->keyid != id ||
			    strlen(w->name) != namelen ||
			    memcmp(w->name, l + SIG_PREFIX_LEN, namelen) != 0)
				continue;
			/* A line that names the witness must verify. */
			ts = blen == COSIGDATA_LEN ? be64(buf + 4) : 0;
			free(m);
			m = NULL;
			if (blen != COSIGDATA_LEN || ts > (uint64_t)INT64_MAX ||
			    cosigned_message(msg, tlen, ts, &m, &mlen) < 0 ||
			    EVP_MD_CTX_reset(ctx) != 1 ||
			    EVP_DigestVerifyInit(ctx, NULL, NULL, NULL,
			    w->pkey) != 1 || EVP_DigestVerify(ctx, buf + 12,
			    ED25519_SIGLEN, (const unsigned char *)m, mlen) != 1) {
				grace_err_setc(e, GRACE_EXIT_NEGATIVE,
				    "cosignature by witness %s does not verify "
				    "(key ID %08x)", w->name, (unsigned)id);
				goto out;
			}
			if (times)
				times[i] = ts;
			count += !ok[i];
			ok[i] = 1;
		}
	}
	*nvalid = count;
	rc = 0;
out:
	EVP_MD_CTX_free(ctx);
	free(ok);
	free(buf);
	free(m);
	return rc;
}
