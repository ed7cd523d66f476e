/* heal.c - what the whole folder shares: the names of severities and
 * outcomes. */
#include <string.h>

#include "heal.h"

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
