/* heal.c - what the whole folder shares: the names of severities and
 * outcomes; and the counts --metrics reads from the detection state. */
#include <string.h>

#include "heal.h"
#include "detect_int.h"
#include "log/log.h"

static const char *const sev_names[GRACE_HSEV_N] = {
	"none", "low", "medium", "high", "critical",
};

const char *
grace_hsev_name(int s)
{
	return s >= 0 && s < GRACE_HSEV_N ? sev_names[s] : "?";
}

int
grace_hsev_parse(const char *s, size_t n)
{
	int i;

	for (i = 0; i < GRACE_HSEV_N; i++)
		if (strlen(sev_names[i]) == n && memcmp(sev_names[i], s, n) == 0)
			return i;
	return -1;
}

const char *
grace_hout_name(enum grace_hout o)
{
	static const char *const names[] = {
		"verified", "failed", "rolled_back", "escalated",
	};

	return (unsigned)o < sizeof names / sizeof *names ? names[o] : "?";
}

int
grace_heal_hashid(char out[17], const char *const *parts, size_t n)
{
	struct grace_sha256 *c = grace_sha256_new();
	uint8_t d[GRACE_SHA256_LEN];
	size_t i;
	int r = c ? grace_sha256_init(c) : -1;

	for (i = 0; r == 0 && i < n; i++)
		r = grace_sha256_update(c, parts[i], strlen(parts[i]) +
		    (i + 1 < n));   /* the NUL between parts */
	if (r == 0)
		r = grace_sha256_final(c, d);
	grace_sha256_free(c);
	if (r < 0)
		return -1;
	grace_hex_encode(d, 8, out);
	return 0;
}

size_t
grace_detectors_count(const struct grace_detectors *d)
{
	return d->n;
}

const char *
grace_detectors_id(const struct grace_detectors *d, size_t i)
{
	return d->v[i].id;
}

void
grace_detect_open_counts(const struct grace_detect *s, size_t *counts)
{
	size_t k;

	memset(counts, 0, s->d->n * sizeof *counts);
	for (k = 0; k < s->nent; k++)
		if (s->ent[k].open)
			counts[s->ent[k].det]++;
}
