/* sigcheck.c - file digests and detached signatures through EVP
 * (verify_int.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "log/log.h"
#include "fileutil.h"
#include "verify_int.h"

#define READ_CHUNK (256 * 1024)
#define MAX_SIG (64 * 1024)
#define MAX_KEY (64 * 1024)
#define MAX_MANIFEST (16 * 1024 * 1024)

int
grace_digest_alg_parse(const char *s, enum grace_digest_alg *a)
{
	if (strcmp(s, "sha256") == 0)
		*a = GRACE_DIGEST_SHA256;
	else if (strcmp(s, "sha512") == 0)
		*a = GRACE_DIGEST_SHA512;
	else
		return -1;
	return 0;
}

const char *
grace_digest_alg_name(enum grace_digest_alg a)
{
	return a == GRACE_DIGEST_SHA512 ? "sha512" : "sha256";
}

static size_t
alg_len(enum grace_digest_alg a)
{
	return a == GRACE_DIGEST_SHA512 ? 64 : 32;
}

/* Open path for reading, refusing what is not a regular file. */
static int
open_regular(const char *path, struct grace_err *e)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return grace_err_sys(e, path, "unable to open");
	if (fstat(fd, &st) < 0) {
		grace_err_sys(e, path, "unable to stat");
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		grace_err_set(e, path, 0, 0, "not a regular file");
		close(fd);
		return -1;
	}
	return fd;
}

int
grace_digest_file(const char *path, enum grace_digest_alg a, char *hex,
    struct grace_err *e)
{
	EVP_MD_CTX *ctx = NULL;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char *buf = NULL;
	int fd, r = -1;

	hex[0] = '\0';
	if ((fd = open_regular(path, e)) < 0)
		return -1;
	buf = malloc(READ_CHUNK);
	ctx = EVP_MD_CTX_new();
	if (!buf || !ctx || EVP_DigestInit_ex(ctx, a == GRACE_DIGEST_SHA512 ?
	    EVP_sha512() : EVP_sha256(), NULL) != 1) {
		grace_err_set(e, path, 0, 0, "unable to hash: out of memory or "
		    "no %s in libcrypto", grace_digest_alg_name(a));
		goto out;
	}
	for (;;) {
		ssize_t n = read(fd, buf, READ_CHUNK);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			grace_err_sys(e, path, "unable to read");
			goto out;
		}
		if (n == 0)
			break;
		if (EVP_DigestUpdate(ctx, buf, (size_t)n) != 1) {
			grace_err_set(e, path, 0, 0, "unable to hash");
			goto out;
		}
	}
	if (EVP_DigestFinal_ex(ctx, md, &mdlen) != 1) {
		grace_err_set(e, path, 0, 0, "unable to hash");
		goto out;
	}
	grace_hex_encode(md, mdlen, hex);
	r = 0;
out:
	ERR_clear_error();
	EVP_MD_CTX_free(ctx);
	free(buf);
	close(fd);
	return r;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
grace_digest_match(const char *got, const char *expected,
    enum grace_digest_alg a, struct grace_err *e)
{
	size_t want = alg_len(a) * 2, i, n;
	const char *x = expected, *colon = strchr(expected, ':');
	unsigned char norm[GRACE_DIGEST_HEXMAX];

	if (colon) {
		size_t plen = (size_t)(colon - expected);
		const char *name = grace_digest_alg_name(a);

		if (plen != strlen(name) || strncmp(expected, name, plen) != 0) {
			grace_err_set(e, NULL, 0, 0, "expected digest '%.80s' is "
			    "not a %s digest", expected, name);
			e->code = GRACE_EXIT_INPUT;
			return -1;
		}
		x = colon + 1;
	}
	n = strlen(x);
	if (n != want) {
		grace_err_set(e, NULL, 0, 0, "expected digest '%.140s' is not "
		    "%zu hex digits (%s)", expected, want,
		    grace_digest_alg_name(a));
		e->code = GRACE_EXIT_INPUT;
		return -1;
	}
	for (i = 0; i < n; i++) {
		int v = hexval((unsigned char)x[i]);

		if (v < 0) {
			grace_err_set(e, NULL, 0, 0, "expected digest '%.140s' "
			    "is not hex", expected);
			e->code = GRACE_EXIT_INPUT;
			return -1;
		}
		norm[i] = (unsigned char)"0123456789abcdef"[v];
	}
	if (strlen(got) == n && CRYPTO_memcmp(norm, got, n) == 0)
		return 1;
	grace_err_set(e, NULL, 0, 0, "%s mismatch: expected %.*s, got %s",
	    grace_digest_alg_name(a), (int)n, (const char *)norm, got);
	e->code = GRACE_EXIT_NEGATIVE;
	return 0;
}

static const char *
base_name(const char *s, size_t n, size_t *len)
{
	const char *b = s;
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] == '/')
			b = s + i + 1;
	*len = n - (size_t)(b - s);
	return b;
}

int
grace_digest_manifest(const char *manifest, const char *name, char *hex,
    size_t cap, struct grace_err *e)
{
	size_t len, nlen = strlen(name), bl, wbl;
	char *text = grace_read_file(manifest, MAX_MANIFEST, &len, e);
	const char *p, *end, *wb = base_name(name, nlen, &wbl);
	int found = 0;

	if (!text)
		return -1;
	for (p = text; p < text + len && !found; p = end + 1) {
		const char *h, *f;
		size_t hl, fl;

		end = memchr(p, '\n', (size_t)(text + len - p));
		if (!end)
			end = text + len;
		h = p;
		while (h < end && (*h == ' ' || *h == '\t'))
			h++;
		if (h == end || *h == '#')
			continue;
		for (hl = 0; h + hl < end && h[hl] != ' ' && h[hl] != '\t'; hl++)
			;
		f = h + hl;
		if (f < end)
			f++;               /* the separator */
		if (f < end && (*f == ' ' || *f == '*'))
			f++;               /* text or binary mode mark */
		fl = (size_t)(end - f);
		if (fl && f[fl - 1] == '\r')
			fl--;
		if (fl == 0 || hl + 1 > cap)
			continue;
		if ((fl == nlen && memcmp(f, name, nlen) == 0) ||
		    (base_name(f, fl, &bl) && bl == wbl &&
		    memcmp(base_name(f, fl, &bl), wb, wbl) == 0)) {
			memcpy(hex, h, hl);
			hex[hl] = '\0';
			found = 1;
		}
	}
	free(text);
	if (!found) {
		grace_err_set(e, manifest, 0, 0, "'%s' is not listed", name);
		e->code = GRACE_EXIT_NEGATIVE;
	}
	return found;
}

int
grace_sig_encoding_parse(const char *s, enum grace_sig_encoding *enc)
{
	if (strcmp(s, "auto") == 0)
		*enc = GRACE_SIG_AUTO;
	else if (strcmp(s, "raw") == 0)
		*enc = GRACE_SIG_RAW;
	else if (strcmp(s, "base64") == 0)
		*enc = GRACE_SIG_BASE64;
	else
		return -1;
	return 0;
}

static int
b64char(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '=';
}

/* Decode base64 text with white space anywhere. Returns 0 or -1. */
static int
unbase64(const unsigned char *s, size_t n, unsigned char *out, size_t cap,
    size_t *outlen)
{
	char *clean = malloc(n + 1);
	size_t i, k = 0;
	int r;

	if (!clean)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n')
			continue;
		if (!b64char(s[i])) {
			free(clean);
			return -1;
		}
		clean[k++] = (char)s[i];
	}
	r = k ? grace_b64_decode(clean, k, out, cap, outlen) : -1;
	free(clean);
	return r;
}

/* Load the signature bytes into sig (MAX_SIG bytes). */
static int
load_sig(const char *sigfile, enum grace_sig_encoding enc, unsigned char *sig,
    size_t *siglen, struct grace_err *e)
{
	size_t n;
	char *raw = grace_read_file(sigfile, MAX_SIG, &n, e);
	int r = 0;

	if (!raw)
		return -1;
	if (enc == GRACE_SIG_RAW) {
		memcpy(sig, raw, n);
		*siglen = n;
	} else if (unbase64((unsigned char *)raw, n, sig, MAX_SIG, siglen) == 0) {
		/* base64 text */
	} else if (enc == GRACE_SIG_AUTO) {
		memcpy(sig, raw, n);
		*siglen = n;
	} else {
		grace_err_set(e, sigfile, 0, 0, "not base64 text");
		e->code = GRACE_EXIT_NEGATIVE;
		r = -2; /* a damaged signature: does not verify */
	}
	free(raw);
	return r;
}

static EVP_PKEY *
load_key(const char *keyfile, struct grace_err *e)
{
	size_t n;
	char *pem = grace_read_file(keyfile, MAX_KEY, &n, e);
	BIO *bio;
	EVP_PKEY *k = NULL;

	if (!pem)
		return NULL;
	bio = BIO_new_mem_buf(pem, (int)n);
	if (bio)
		k = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	BIO_free(bio);
	free(pem);
	if (!k) {
		grace_err_set(e, keyfile, 0, 0, "not a PEM public key "
		    "(-----BEGIN PUBLIC KEY-----)");
		e->code = GRACE_EXIT_USAGE;
	}
	return k;
}

int
grace_sig_verify_file(const char *file, const char *sigfile,
    const char *keyfile, enum grace_sig_encoding enc, const char *hash,
    struct grace_err *e)
{
	unsigned char *sig = NULL;
	size_t siglen = 0;
	EVP_PKEY *key = NULL;
	EVP_MD_CTX *ctx = NULL;
	const EVP_MD *md = NULL;
	void *map = MAP_FAILED;
	struct stat st;
	int fd = -1, r = -1, id, lr;

	if (!(key = load_key(keyfile, e)))
		goto out;
	id = EVP_PKEY_get_base_id(key);
	if (id == EVP_PKEY_EC) {
		if (!hash || strcmp(hash, "sha256") == 0)
			md = EVP_sha256();
		else if (strcmp(hash, "sha384") == 0)
			md = EVP_sha384();
		else if (strcmp(hash, "sha512") == 0)
			md = EVP_sha512();
		else {
			grace_err_set(e, NULL, 0, 0, "unknown hash '%s' (sha256, "
			    "sha384 or sha512)", hash);
			e->code = GRACE_EXIT_USAGE;
			goto out;
		}
	} else if (id != EVP_PKEY_ED25519) {
		grace_err_set(e, keyfile, 0, 0, "unsupported key type %s (use "
		    "an Ed25519 or ECDSA key)", EVP_PKEY_get0_type_name(key) ?
		    EVP_PKEY_get0_type_name(key) : OBJ_nid2sn(id));
		e->code = GRACE_EXIT_USAGE;
		goto out;
	}
	if ((fd = open_regular(file, e)) < 0)
		goto out;
	if (!(sig = malloc(MAX_SIG))) {
		grace_err_sys(e, sigfile, "unable to read");
		goto out;
	}
	lr = load_sig(sigfile, enc, sig, &siglen, e);
	if (lr == -2) {
		r = 0;
		goto out;
	}
	if (lr < 0)
		goto out;
	if (fstat(fd, &st) < 0) {
		grace_err_sys(e, file, "unable to stat");
		goto out;
	}
	if (st.st_size > 0) {
		map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (map == MAP_FAILED) {
			grace_err_sys(e, file, "unable to read");
			goto out;
		}
	}
	if (!(ctx = EVP_MD_CTX_new()) ||
	    EVP_DigestVerifyInit(ctx, NULL, md, NULL, key) != 1) {
		grace_err_set(e, keyfile, 0, 0, "unable to verify with this key");
		goto out;
	}
	if (EVP_DigestVerify(ctx, sig, siglen, map == MAP_FAILED ?
	    (const unsigned char *)"" : map, (size_t)st.st_size) == 1) {
		r = 1;
	} else {
		grace_err_set(e, sigfile, 0, 0, "signature does not verify "
		    "with %s", keyfile);
		e->code = GRACE_EXIT_NEGATIVE;
		r = 0;
	}
out:
	ERR_clear_error();
	if (map != MAP_FAILED)
		munmap(map, (size_t)st.st_size);
	if (fd >= 0)
		close(fd);
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(key);
	free(sig);
	return r;
}
