/* chain.c - chain verification with keys, checkpoints, a state file,
 * its result event and metrics (log.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "log.h"
#include "fileutil.h"
#include "json.h"
#include "timeutil.h"

#define MAX_KEYFILE (64 * 1024)
#define MAX_CHECKPOINT (1024 * 1024)
#define MAX_STATE (64 * 1024)

void
grace_chain_init(struct grace_chain *c)
{
	memset(c, 0, sizeof *c);
}

void
grace_chain_free_verifiers(struct grace_note_verifier **vs, size_t n)
{
	size_t i;

	if (!vs)
		return;
	for (i = 0; i < n; i++)
		grace_note_verifier_free(vs[i]);
	free(vs);
}

void
grace_chain_free(struct grace_chain *c)
{
	size_t i;

	for (i = 0; c->cps && i < c->ncheckpoints; i++)
		grace_checkpoint_clear(&c->cps[i].cp);
	free(c->cps);
	free(c->ex);
	grace_chain_free_verifiers(c->vs, c->npubkeys);
	grace_chain_free_verifiers(c->ws, c->nwitnesses);
	c->cps = NULL;
	c->ex = NULL;
	c->vs = NULL;
	c->ws = NULL;
}

int
grace_chain_load_verifiers(const char *const *args, size_t n,
    struct grace_note_verifier ***vs, struct grace_err *e)
{
	size_t i;

	*vs = calloc(n ? n : 1, sizeof **vs);
	if (!*vs)
		return grace_err_sys(e, NULL, "unable to load keys");
	for (i = 0; i < n; i++) {
		struct stat st;
		char *text = NULL;
		const char *key = args[i];
		size_t len;

		if (stat(args[i], &st) == 0) {
			text = grace_read_file(args[i], MAX_KEYFILE, &len, e);
			if (!text) {
				/* too large to be a key: a bad argument */
				if (errno == EFBIG) {
					grace_err_set(e, args[i], 0, 0, "not a "
					    "verifier key: larger than %d "
					    "bytes", MAX_KEYFILE);
					e->code = GRACE_EXIT_USAGE;
				}
				return -1;
			}
			while (len && (text[len - 1] == '\n' ||
			    text[len - 1] == '\r' || text[len - 1] == ' '))
				text[--len] = '\0';
			key = text;
		} else if (!strchr(args[i], '+')) {
			return grace_err_sys(e, args[i], "unable to open");
		}
		(*vs)[i] = grace_note_verifier_parse(key, e);
		if (!(*vs)[i]) {
			char msg[sizeof e->msg];

			snprintf(msg, sizeof msg, "%s", e->msg);
			grace_err_set(e, args[i], 0, 0, "not a verifier key: %.700s",
			    msg);
			e->code = GRACE_EXIT_USAGE;
			free(text);
			return -1;
		}
		free(text);
	}
	return 0;
}

/* Read the state file: 1 loaded, 0 none yet, -1 not valid (why set). */
static int
read_state(struct grace_chain *c, char *why, size_t cap, struct grace_err *e)
{
	static const char *const keys[] = { "size", "root" };
	struct grace_jspan f[2];
	struct grace_err pe;
	struct stat st;
	char *text;
	size_t n, i;
	uint64_t size = 0;

	if (stat(c->state, &st) < 0 && errno == ENOENT)
		return 0;
	if (!(text = grace_read_file(c->state, MAX_STATE, &n, e))) {
		/* padded past what a state holds: not valid, like any
		 * other damage to it */
		if (errno != EFBIG)
			return -2;
		snprintf(why, cap, "larger than %d bytes", MAX_STATE);
		return -1;
	}
	if (grace_json_scan(text, n, keys, 2, f, c->state, 1, &pe) < 0) {
		snprintf(why, cap, "not JSON: %.500s", pe.msg);
		free(text);
		return -1;
	}
	if (f[0].kind != GRACE_J_NUMBER || f[0].len > 19 ||
	    text[f[0].off] == '-' ||
	    strspn(text + f[0].off, "0123456789") != f[0].len) {
		snprintf(why, cap, "'size' is not a record count");
		free(text);
		return -1;
	}
	for (i = 0; i < f[0].len; i++)
		size = size * 10 + (uint64_t)(text[f[0].off + i] - '0');
	if (f[1].kind != GRACE_J_STRING || f[1].len != 66 ||
	    grace_hex_decode(text + f[1].off + 1, c->ex[0].root,
	    GRACE_SHA256_LEN) < 0) {
		snprintf(why, cap, "'root' is not a SHA-256 hash in hex");
		free(text);
		return -1;
	}
	c->state_size = size;
	grace_hex_encode(c->ex[0].root, GRACE_SHA256_LEN, c->state_root);
	c->ex[0].size = size;
	c->ex[0].label = c->state;
	free(text);
	return 1;
}

/* With witnesses: the checkpoint counts only when at least
 * c->min_witnesses of them cosigned it (each cosignature by one of them
 * verified). Returns 0, or -1 with e saying why not. */
static int
witnessed(struct grace_chain *c, struct grace_chain_cp *cp, const char *text,
    size_t len, struct grace_err *e)
{
	size_t n = 0, need = c->min_witnesses ? c->min_witnesses : 1;

	if (!c->nwitnesses)
		return 0;
	if (grace_note_cosigned(text, len,
	    (struct grace_note_verifier *const *)c->ws, c->nwitnesses, &n,
	    NULL, e) < 0) {
		grace_checkpoint_clear(&cp->cp);
		return -1;
	}
	cp->cosigned = n;
	if (n < need) {
		grace_checkpoint_clear(&cp->cp);
		return grace_err_setc(e, GRACE_EXIT_NEGATIVE, "cosigned by %zu "
		    "of the witnesses named, %zu needed", n, need);
	}
	return 0;
}

int
grace_chain_verify(struct grace_chain *c, struct grace_err *e)
{
	char state_why[600] = "";
	size_t i, ncp = c->ncheckpoints;
	int st = 0;

	if ((c->nwitnesses || c->min_witnesses) && !c->ncheckpoints)
		return grace_err_setc(e, GRACE_EXIT_USAGE, "--witness and "
		    "--witnesses are about checkpoints: give --checkpoint FILE");
	if (c->min_witnesses > c->nwitnesses)
		return grace_err_setc(e, GRACE_EXIT_USAGE, "--witnesses %zu needs "
		    "as many --witness keys (%zu given)", c->min_witnesses,
		    c->nwitnesses);
	if (grace_chain_load_verifiers(c->pubkeys, c->npubkeys, &c->vs, e) < 0)
		return -1;
	if (c->nwitnesses) {
		if (grace_chain_load_verifiers(c->witnesses, c->nwitnesses,
		    &c->ws, e) < 0)
			return -1;
		for (i = 0; i < c->nwitnesses; i++)
			if (!grace_note_verifier_is_witness(c->ws[i]))
				return grace_err_setc(e, GRACE_EXIT_USAGE,
				    "%s: not a witness key (grace-log keygen "
				    "--witness makes one)", c->witnesses[i]);
	}
	c->cps = calloc(ncp ? ncp : 1, sizeof *c->cps);
	c->ex = calloc(ncp + 1, sizeof *c->ex);
	if (!c->cps || !c->ex)
		return grace_err_sys(e, NULL, "unable to start");
	if (c->state) {
		st = read_state(c, state_why, sizeof state_why, e);
		if (st == -2)
			return -1;
		if (st == 1) {
			c->state_used = 1;
			c->nex = 1;
		}
	}
	for (i = 0; i < ncp; i++) {
		size_t len;
		char *text;

		c->cps[i].path = c->checkpoints[i];
		text = grace_read_file(c->checkpoints[i], MAX_CHECKPOINT, &len, e);
		if (!text && errno == EFBIG) {
			/* malformed, like a checkpoint that does not parse */
			snprintf(c->cps[i].why, sizeof c->cps[i].why,
			    "larger than %d bytes", MAX_CHECKPOINT);
			continue;
		}
		if (!text)
			return -1;
		if (grace_checkpoint_open(text, len,
		    (struct grace_note_verifier *const *)c->vs, c->npubkeys,
		    &c->cps[i].cp, e) == 0 &&
		    witnessed(c, &c->cps[i], text, len, e) == 0) {
			/* Only checkpoints whose signature verified set
			 * expectations; cps[i].ex indexes them. */
			c->cps[i].opened = 1;
			c->cps[i].ex = c->nex;
			c->ex[c->nex].size = c->cps[i].cp.size;
			memcpy(c->ex[c->nex].root, c->cps[i].cp.root,
			    GRACE_SHA256_LEN);
			c->ex[c->nex++].label = c->cps[i].path;
		} else {
			snprintf(c->cps[i].why, sizeof c->cps[i].why, "%s", e->msg);
		}
		free(text);
	}
	if (grace_log_verify_each(c->files, c->nfiles, c->ex, c->nex,
	    c->state != NULL, c->warn, c->warn_arg, c->each, c->each_arg,
	    &c->res, e) < 0)
		return -1;
	/* The state's own wording: the log's history changed since the
	 * last run (grace_log_verify speaks of checkpoints). */
	if (c->state_used && c->ex[0].checked == -1 &&
	    strcmp(c->res.fail.file, c->state) == 0) {
		grace_err_set(&c->res.fail, c->state, 0, 0, "history rewritten "
		    "since the last verification: the first %llu records no "
		    "longer have the Merkle root recorded in this state file "
		    "(%llu records verified)",
		    (unsigned long long)c->state_size,
		    (unsigned long long)c->res.records);
		c->res.fail.code = GRACE_EXIT_NEGATIVE;
	}
	if (st == -1 && c->res.intact) {
		c->res.intact = 0;
		grace_err_set(&c->res.fail, c->state, 0, 0, "state file is not "
		    "valid (%s): cannot tell whether the log only grew since "
		    "the last verification; restore it, or remove it to start "
		    "afresh", state_why);
		c->res.fail.code = GRACE_EXIT_NEGATIVE;
	}
	/* A checkpoint whose signature failed is its own failure. */
	for (i = 0; i < ncp; i++) {
		if (!c->cps[i].opened && c->res.intact) {
			c->res.intact = 0;
			grace_err_set(&c->res.fail, c->cps[i].path, 0, 0,
			    "bad checkpoint: %s", c->cps[i].why);
			c->res.fail.code = GRACE_EXIT_NEGATIVE;
		}
	}
	return 0;
}

static void
add_jstr(struct grace_buf *b, const char *s)
{
	grace_buf_add_jstr(b, s, strlen(s));
}

int
grace_chain_event(const struct grace_chain *c, const char *source,
    struct grace_buf *b)
{
	const struct grace_log_result *res = &c->res;
	struct grace_timefmt tf;
	char now[GRACE_TIME_LEN];
	size_t i;
	size_t start = b->len;

	grace_timefmt_init(&tf);
	grace_time_now(&tf, now);
	grace_buf_adds(b, "{\"type\":\"grace.log.verification\",\"source\":");
	add_jstr(b, source);
	grace_buf_adds(b, ",\"time\":\"");
	grace_buf_adds(b, now);
	grace_buf_adds(b, "\",\"data\":{\"files\":[");
	for (i = 0; i < c->nfiles; i++) {
		if (i)
			grace_buf_add(b, ",", 1);
		add_jstr(b, c->files[i]);
	}
	grace_buf_addf(b, "],\"intact\":%s,\"records\":%llu,\"bytes\":%llu,"
	    "\"first_seq\":%llu,\"last_seq\":%llu,\"head\":\"%s\"",
	    res->intact ? "true" : "false",
	    (unsigned long long)res->records, (unsigned long long)res->bytes,
	    (unsigned long long)res->first_seq,
	    (unsigned long long)res->last_seq, res->head);
	if (res->last_time[0])
		grace_buf_addf(b, ",\"last_time\":\"%s\"", res->last_time);
	if (res->continues[0]) {
		grace_buf_adds(b, ",\"continues\":");
		add_jstr(b, res->continues);
	}
	grace_buf_addf(b, ",\"warnings\":%lu", res->warnings);
	if (c->ncheckpoints) {
		grace_buf_adds(b, ",\"checkpoints\":[");
		for (i = 0; i < c->ncheckpoints; i++) {
			const struct grace_chain_cp *cp = &c->cps[i];

			if (i)
				grace_buf_add(b, ",", 1);
			grace_buf_adds(b, "{\"file\":");
			add_jstr(b, cp->path);
			if (cp->opened) {
				grace_buf_addf(b, ",\"size\":%llu,\"ok\":%s",
				    (unsigned long long)cp->cp.size,
				    c->ex[cp->ex].checked == 1 ? "true" : "false");
				if (c->nwitnesses)
					grace_buf_addf(b, ",\"cosigned\":%zu",
					    cp->cosigned);
			} else {
				grace_buf_adds(b, ",\"ok\":false,\"error\":");
				add_jstr(b, cp->why);
			}
			grace_buf_add(b, "}", 1);
		}
		grace_buf_add(b, "]", 1);
	}
	if (c->state) {
		char root[GRACE_SHA256_HEXLEN + 1];

		grace_hex_encode(res->root, GRACE_SHA256_LEN, root);
		grace_buf_addf(b, ",\"root\":\"%s\",\"state\":{\"file\":", root);
		add_jstr(b, c->state);
		if (c->state_used)
			grace_buf_addf(b, ",\"size\":%llu,\"root\":\"%s\","
			    "\"checked\":true,\"ok\":%s",
			    (unsigned long long)c->state_size, c->state_root,
			    c->ex[0].checked == 1 ? "true" : "false");
		else
			grace_buf_adds(b, ",\"checked\":false");
		grace_buf_add(b, "}", 1);
	}
	if (!res->intact) {
		grace_buf_adds(b, ",\"error\":{\"file\":");
		add_jstr(b, res->fail.file);
		if (res->fail.line)
			grace_buf_addf(b, ",\"line\":%lu", res->fail.line);
		if (res->fail_seq)
			grace_buf_addf(b, ",\"seq\":%llu",
			    (unsigned long long)res->fail_seq);
		grace_buf_addf(b, ",\"torn\":%s,\"reason\":",
		    res->torn ? "true" : "false");
		add_jstr(b, res->fail.msg);
		grace_buf_add(b, "}", 1);
	}
	grace_buf_adds(b, "}}\n");
	/* buf functions keep the buffer as it was on ENOMEM: a line cut
	 * short shows up as a missing newline. */
	return b->len > start && b->p[b->len - 1] == '\n' ? 0 : -1;
}

int
grace_chain_save_state(const struct grace_chain *c, struct grace_err *e)
{
	struct grace_buf b = {0};
	struct grace_timefmt tf;
	char now[GRACE_TIME_LEN], root[GRACE_SHA256_HEXLEN + 1];
	int r;

	grace_timefmt_init(&tf);
	grace_time_now(&tf, now);
	grace_hex_encode(c->res.root, GRACE_SHA256_LEN, root);
	if (grace_buf_addf(&b, "{\"size\":%llu,\"root\":\"%s\",\"head\":\"%s\","
	    "\"time\":\"%s\"}\n", (unsigned long long)c->res.records, root,
	    c->res.head, now) < 0) {
		grace_buf_free(&b);
		return grace_err_sys(e, c->state, "unable to write");
	}
	r = grace_atomic_write(c->state, b.p, b.len, 0644, e);
	grace_buf_free(&b);
	return r;
}

/* A Prometheus label value: \ " and newline escaped. */
static void
add_label(struct grace_buf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			grace_buf_addf(b, "\\%c", *s);
		else if (*s == '\n')
			grace_buf_adds(b, "\\n");
		else
			grace_buf_add(b, s, 1);
	}
}

int
grace_chain_metrics(const struct grace_chain *c, int ran, const char *path,
    struct grace_err *e)
{
	struct grace_buf b = {0}, lbl = {0};
	struct timespec now;
	int r, intact = ran && c->res.intact;

	clock_gettime(CLOCK_REALTIME, &now);
	grace_buf_adds(&lbl, "{log=\"");
	add_label(&lbl, c->nfiles ? c->files[c->nfiles - 1] : "");
	grace_buf_adds(&lbl, "\"}");
	grace_buf_addf(&b,
	    "# HELP grace_chain_intact 1 if the last verification found the "
	    "log's chain, checkpoints and state intact, else 0.\n"
	    "# TYPE grace_chain_intact gauge\n"
	    "grace_chain_intact%s %d\n"
	    "# HELP grace_chain_records_verified Records verified by the last "
	    "verification.\n"
	    "# TYPE grace_chain_records_verified gauge\n"
	    "grace_chain_records_verified%s %llu\n"
	    "# HELP grace_chain_last_verification_timestamp_seconds When the "
	    "last verification ran, in seconds since the Unix epoch.\n"
	    "# TYPE grace_chain_last_verification_timestamp_seconds gauge\n"
	    "grace_chain_last_verification_timestamp_seconds%s %lld.%03ld\n",
	    lbl.p, intact, lbl.p,
	    ran ? (unsigned long long)c->res.records : 0ull, lbl.p,
	    (long long)now.tv_sec, now.tv_nsec / 1000000);
	if (!b.len || b.p[b.len - 1] != '\n')
		r = grace_err_sys(e, path, "unable to write");
	else
		r = grace_atomic_write(path, b.p, b.len, 0644, e);
	grace_buf_free(&b);
	grace_buf_free(&lbl);
	return r;
}
