/* chaincheck.h - chain verification as grace-log verify and grace-verify
 * --chain run it: verifier keys loaded, signed checkpoints opened into
 * expectations, a monitor's state file (the size and Merkle root of the
 * last verified log), grace_log_verify() over the segments (the one
 * implementation of the chain check, logfmt.h), and the results: the
 * grace.log.verification event, the new state, Prometheus metrics.
 *
 * The state file is one line of JSON, written atomically:
 *   {"size":N,"root":"<64 hex>","head":"<64 hex>","time":"<RFC 3339>"}
 * size and root are what the next run checks (the first size records of
 * the log must still have that Merkle root: the log was only appended
 * to); head and time are for people.
 */
#ifndef GRACE_CHAINCHECK_H
#define GRACE_CHAINCHECK_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "checkpoint.h"
#include "err.h"
#include "logfmt.h"
#include "note.h"

struct grace_chain_cp {
	const char *path;
	struct grace_checkpoint cp;
	int opened;              /* signature verified and parsed */
	size_t ex;               /* its expectation, when opened */
	char why[900];           /* why it could not be opened */
};

struct grace_chain {
	/* What to verify (borrowed; set before grace_chain_verify()). */
	const char *const *files;    /* segments, oldest first */
	size_t nfiles;
	const char *const *checkpoints;
	size_t ncheckpoints;
	const char *const *pubkeys;  /* key strings, or files holding one */
	size_t npubkeys;
	const char *state;           /* NULL: no state file */
	grace_log_warn_fn *warn;
	void *warn_arg;
	/* Results. */
	struct grace_log_result res;
	struct grace_chain_cp *cps;  /* ncheckpoints of them */
	struct grace_log_expect *ex;
	size_t nex;
	int state_used;              /* a state file was read: ex[0] */
	uint64_t state_size;
	char state_root[GRACE_SHA256_HEXLEN + 1];
	struct grace_note_verifier **vs;
};

/* Set every field to empty. */
void grace_chain_init(struct grace_chain *c);
/* Free what grace_chain_verify() allocated (c's inputs are not freed). */
void grace_chain_free(struct grace_chain *c);

/* Load each of args[0..n) as a verifier key: a file that holds one, or
 * the key string itself ("name+keyid+base64"). Returns 0 with *vs a
 * malloc'd array of n verifiers, or -1 with e filled: "unable to open"
 * (GRACE_EXIT_SYSTEM) or "not a verifier key: ..." (GRACE_EXIT_USAGE),
 * naming the argument. Free with grace_chain_free_verifiers(). */
int grace_chain_load_verifiers(const char *const *args, size_t n,
    struct grace_note_verifier ***vs, struct grace_err *e);
void grace_chain_free_verifiers(struct grace_note_verifier **vs, size_t n);

/* Verify: load the keys, open each checkpoint (one whose signature does
 * not verify is a failure of its own, reported after the chain's), read
 * the state file (none yet: nothing to compare; not valid: a failure),
 * and run grace_log_verify() with an expectation for the state first,
 * then one per opened checkpoint. Returns 0 when the verification ran:
 * c->res.intact is the verdict and c->res.fail the first problem (code
 * GRACE_EXIT_NEGATIVE). Returns -1 with e filled when it could not run:
 * a bad key or a log that is not a regular file (GRACE_EXIT_USAGE), an
 * unreadable log, checkpoint or key file (GRACE_EXIT_SYSTEM). */
int grace_chain_verify(struct grace_chain *c, struct grace_err *e);

/* Append the grace.log.verification event (one line, '\n' included) with
 * "source":source. With a state file, data also carries
 * "root" (the Merkle root of the records verified) and
 * "state":{"file","size","root","checked"}, checked being true when the
 * previous state was compared, false on the first run. Returns 0 or -1
 * (ENOMEM). */
int grace_chain_event(const struct grace_chain *c, const char *source,
    struct grace_buf *out);

/* Write the state for the log just verified (c->res must be intact)
 * atomically to c->state. Returns 0 or -1 (e filled). */
int grace_chain_save_state(const struct grace_chain *c, struct grace_err *e);

/* Write the Prometheus node_exporter textfile at path, atomically:
 * grace_chain_intact, grace_chain_records_verified and
 * grace_chain_last_verification_timestamp_seconds, labelled with the
 * log's (last segment's) path. ran is 0 when the verification could
 * not run (then intact is 0 and records 0). Returns 0 or -1 (e). */
int grace_chain_metrics(const struct grace_chain *c, int ran,
    const char *path, struct grace_err *e);

#endif
