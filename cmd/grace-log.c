/* grace-log - append to, verify, checkpoint, repair, rotate and read the
 * SHA-256 hash-chained audit log (man/grace-log.1, the format in
 * man/grace-log.5). Option parsing and the loops only: the format lives in
 * lib/log/. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log/log.h"
#include "buf.h"
#include "cli.h"
#include "err.h"
#include "fileutil.h"
#include "filter.h"
#include "jpath.h"
#include "json.h"
#include "lines.h"
#include "metrics.h"
#include "ready.h"
#include "reject.h"
#include "timeutil.h"
#include "version.h"

static const char *prog = "grace-log";

#define BATCH_BYTES (4u << 20)
#define BATCH_ITEMS 16384
#define MAX_KEYFILE (64 * 1024)
#define MAX_CHECKPOINT (1024 * 1024)
/* The largest event a record may hold, and the longest record line: verify
 * (MAX_RECORD in lib/log/format.c) reads records of up to 64 MiB + 256 bytes,
 * and the wrapper around an event takes at most 223. */
#define MAX_EVENT (64u << 20)
#define MAX_RECORD_LINE (MAX_EVENT + 256)

static void
usage_main(FILE *f)
{
	fprintf(f,
	    "usage: grace-log COMMAND [OPTIONS]\n"
	    "\n"
	    "The append-only, SHA-256 hash-chained audit log.\n"
	    "\n"
	    "commands:\n"
	    "  append -f LOG      append events from stdin (or FILEs), pass them on annotated\n"
	    "  verify -f LOG      check the chain (and signed checkpoints); write a result event\n"
	    "  checkpoint -f LOG -k KEY   sign the log's size and Merkle root (C2SP tlog-checkpoint)\n"
	    "  keygen NAME        make an Ed25519 signing key and its verifier key\n"
	    "  repair -f LOG      move a torn last record (left by a crash) to LOG.torn\n"
	    "  rotate -f LOG      start a new segment that continues the chain\n"
	    "  report -f LOG      the audit report: one self-contained HTML page\n"
	    "  prove -f LOG ...   an inclusion or consistency proof (RFC 9162), for anyone\n"
	    "  verify-proof PROOF check a proof without the log\n"
	    "  witness CHECKPOINT cosign a log's checkpoint if it extends the last one\n"
	    "  cat [-e] FILE...   print the records, or with -e the events\n"
	    "  tail [-n N] [-F] [-e] -f LOG   print the last records, following the file\n"
	    "\n"
	    "-f LOG defaults to $GRACE_LOG. 'grace-log COMMAND --help' for a command's options.\n"
	    "Exit status: 0 ok, 1 negative verdict (tampering found), 2 usage error,\n"
	    "3 bad input line, 4 system error. See grace-log(1) and grace-log(5).\n");
}

/* Print "grace-log: [CMD: ]message" (none when fmt is NULL: getopt has
 * already said what is wrong) and where to find help; returns 2. */
static int usage_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = grace_cli_usage_verror(stderr, prog, cmd, fmt, ap);
	va_end(ap);
	return rc;
}

static int
report(const struct grace_err *e)
{
	return grace_cli_report(stderr, prog, e);
}

static int
parse_size(const char *s, unsigned long long *v)
{
	return grace_cli_parse_size(s, v);
}

/* A log file named with -f, or $GRACE_LOG. */
static const char *
default_log(const char *f)
{
	if (f)
		return f;
	f = getenv("GRACE_LOG");
	return f && *f ? f : NULL;
}

/* ------------------------------------------------------------------ append */

struct item {
	int rejected;         /* 1: a rejection record in rej */
	size_t off, len;      /* the event in evbuf, or the record in rej */
	struct grace_jspan grace;
	double t0;            /* --metrics: when it was read */
};

struct appender {
	struct grace_log_writer w;
	int records;          /* --records: pass the records on */
	struct grace_buf evbuf, rej, out;
	struct item *items;
	size_t nitems, cap;
	size_t nevents;
	const char **evs;
	size_t *lens;
	unsigned long long accepted, rejected;
	unsigned long long duplicates; /* --once: events in the log already */
	struct grace_metrics *metrics; /* --metrics */
};

static int
batch_add(struct appender *a, const struct item *it)
{
	if (a->nitems == a->cap) {
		size_t ncap = a->cap ? a->cap * 2 : 1024;
		struct item *ni = realloc(a->items, ncap * sizeof *ni);
		const char **ne = realloc(a->evs, ncap * sizeof *ne);
		size_t *nl;

		if (ni)
			a->items = ni;
		if (ne)
			a->evs = ne;
		nl = realloc(a->lens, ncap * sizeof *nl);
		if (nl)
			a->lens = nl;
		if (!ni || !ne || !nl)
			return -1;
		a->cap = ncap;
	}
	a->items[a->nitems++] = *it;
	if (!it->rejected)
		a->nevents++;
	return 0;
}

/* The grace.log member {"seq":N,"hash":"<64 hex>"} into val; returns its
 * length. Built by hand: printf showed up at 15% of append's time. */
static size_t
log_member(char *val, uint64_t seq, const char *hash)
{
	char tmp[20];
	size_t n = 0;
	int i = 20;

	memcpy(val, "{\"seq\":", 7);
	n = 7;
	do {
		tmp[--i] = (char)('0' + seq % 10);
		seq /= 10;
	} while (seq);
	memcpy(val + n, tmp + i, (size_t)(20 - i));
	n += (size_t)(20 - i);
	memcpy(val + n, ",\"hash\":\"", 9);
	n += 9;
	memcpy(val + n, hash, 64);
	n += 64;
	memcpy(val + n, "\"}", 2);
	return n + 2;
}

/* Write the batch's records, then pass the batch on. */
static int
batch_flush(struct appender *a, struct grace_err *e)
{
	size_t i, k = 0;
	char val[128];

	if (a->nitems == 0)
		return 0;
	for (i = 0; i < a->nitems; i++) {
		if (!a->items[i].rejected) {
			a->evs[k] = a->evbuf.p + a->items[i].off;
			a->lens[k++] = a->items[i].len;
		}
	}
	if (k && grace_log_append(&a->w, a->evs, a->lens, k, e) < 0)
		return -1;
	for (i = 0, k = 0; i < a->nitems; i++) {
		const struct item *it = &a->items[i];
		int r, dup = 0;

		if (it->rejected) {
			r = grace_buf_add(&a->out, a->rej.p + it->off, it->len);
		} else {
			size_t end = a->w.ends[k];
			size_t start = k ? a->w.ends[k - 1] : 0;
			uint64_t seq = a->w.seqs[k];

			dup = a->w.once && a->w.dup[k];
			k++;
			if (a->records) {
				r = grace_buf_add(&a->out, a->w.recs.p + start,
				    end - start);
			} else {
				size_t n = log_member(val, seq,
				    a->w.hashes + 64 * (k - 1));

				r = grace_json_splice_grace(&a->out,
				    a->evbuf.p + it->off, it->len, &it->grace,
				    "log", val, n);
				r |= grace_buf_add(&a->out, "\n", 1);
			}
		}
		if (r < 0)
			return grace_err_sys(e, NULL, "unable to write output");
		if (a->metrics) {
			if (it->rejected)
				grace_metrics_bad_line(a->metrics, 1);
			else if (grace_metrics_event(a->metrics, it->t0,
			    dup ? "duplicate" : "appended", 1, e) < 0)
				return -1;
		}
	}
	a->accepted += a->nevents - a->w.ndup;
	a->duplicates += a->w.ndup;
	a->w.ndup = 0;
	a->nitems = a->nevents = 0;
	grace_buf_reset(&a->evbuf);
	grace_buf_reset(&a->rej);
	if (grace_cli_flush(&a->out, NULL) < 0)
		return grace_err_sys(e, "<stdout>", "unable to write");
	return 0;
}

/* Handle one input line: queue it as an event or as a rejection.
 * Returns 0, 1 for a rejected line, -1 on memory failure. */
static int
take_line(struct appender *a, const char *name, unsigned long lineno,
    const char *line, size_t n, int toolong, size_t max)
{
	static const char *const keys[] = { "grace" };
	struct grace_err e;
	struct item it = {0};

	if (a->metrics)
		it.t0 = grace_mono_ms();
	if (!toolong && grace_json_blank(line, n))
		return 0;
	if (toolong) {
		grace_err_set(&e, name, lineno, 0,
		    "line longer than %zu bytes (see --max-line)", max);
	} else if (grace_json_scan(line, n, keys, 1, &it.grace, name, lineno,
	    &e) == 0) {
		if (it.grace.kind == GRACE_J_NONE ||
		    it.grace.kind == GRACE_J_OBJECT) {
			size_t lead = 0;

			/* Store the object without the white space around it
			 * (a CRLF line end, say): a record's event is exactly
			 * the object, from '{' to '}' (grace-log(5)). */
			while (lead < n && line[lead] != '{')
				lead++;
			while (n > lead && line[n - 1] != '}')
				n--;
			if (it.grace.kind != GRACE_J_NONE)
				it.grace.off -= lead;
			it.off = a->evbuf.len;
			it.len = n - lead;
			if (grace_buf_add(&a->evbuf, line + lead, n - lead) < 0)
				return -1;
			return batch_add(a, &it);
		}
		grace_err_set(&e, name, lineno, it.grace.off + 1,
		    "member 'grace' is %s, not an object",
		    grace_json_kind_name(it.grace.kind));
	}
	grace_err_print(stderr, prog, &e);
	it.rejected = 1;
	it.off = a->rej.len;
	if (grace_reject_json(&a->rej, prog, &e) < 0)
		return -1;
	it.len = a->rej.len - it.off;
	a->rejected++;
	return batch_add(a, &it) < 0 ? -1 : 1;
}

/* append --check: the log can be appended to (writable, room on its
 * disk) and is intact at its head (a well-formed last record, no torn
 * tail: append would refuse both). */
static int
append_check(const char *log, const char *metrics, int json)
{
	struct grace_ready r;
	struct grace_log_head h;
	struct grace_buf sum = {0};
	struct grace_err e;
	int fd, status;

	grace_ready_init(&r, prog);
	grace_ready_writable(&r, log);
	if ((fd = open(log, O_RDONLY | O_CLOEXEC)) >= 0) {
		if (grace_log_read_head(fd, log, &h, &e) < 0)
			grace_ready_add(&r, "log", log, 0, "%s", e.msg);
		else if (h.torn)
			grace_ready_add(&r, "log", log, 0, "a torn last record: "
			    "%llu bytes after the last newline (grace-log repair)",
			    (unsigned long long)h.torn);
		else
			grace_ready_add(&r, "log", log, 1, "intact at its head: "
			    "seq %llu, %s", (unsigned long long)h.seq, h.hash);
		close(fd);
		grace_buf_addf(&sum, "head seq %llu", (unsigned long long)h.seq);
	} else if (errno == ENOENT) {
		grace_buf_adds(&sum, "a new log");
	} else {
		grace_ready_add(&r, "log", log, 0, "%s", strerror(errno));
		grace_buf_adds(&sum, "unreadable");
	}
	if (metrics)
		grace_ready_writable(&r, metrics);
	status = grace_ready_print(&r, json, 0, log, sum.p ? sum.p : "", stdout,
	    stderr);
	grace_ready_free(&r);
	grace_buf_free(&sum);
	return status;
}

static void
usage_append(FILE *f)
{
	fprintf(f,
	    "usage: grace-log append -f LOG [--sync=always|batch|none] [--records | --once]\n"
	    "                        [--strict] [--max-line BYTES] [--metrics FILE] [FILE...]\n"
	    "       grace-log append -f LOG --check [-o json] [--metrics FILE]\n"
	    "\n"
	    "Append one record per event read from FILEs (default: stdin) and pass each\n"
	    "event on to stdout with grace.log {seq, hash} added (--records: the records).\n"
	    "\n"
	    "  -f, --file LOG      the log (default $GRACE_LOG); created if missing\n"
	    "      --sync=MODE     always: fdatasync every event; batch (default): once per\n"
	    "                      batch of lines already read; none: leave it to the kernel\n"
	    "      --records       write the log records to stdout instead of the events\n"	    "      --once          append no event whose source and id the log holds\n"
	    "                      already: pass it on with that record's seq and hash\n"
	    "                      (re-running an input after a crash logs it once)\n"
	    "      --strict        stop at the first bad input line\n"
	    "      --max-line N    longest input line accepted, in bytes (default 1048576,\n"
	    "                      at most 67108864)\n"
	    "      --metrics FILE  write Prometheus textfile metrics to FILE (atomically,\n"
	    "                      every 5 seconds and at the end)\n"
	    "      --check         ready to append? the log writable with room on its disk,\n"
	    "                      intact at its head (no torn or malformed last record);\n"
	    "                      -o json: one object; exit 0 ready, 1 not\n"
	    "Events are passed on only once their records are written (and synced).\n");
}

static int
cmd_append(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "file", required_argument, NULL, 'f' },
		{ "sync", required_argument, NULL, 's' },
		{ "records", no_argument, NULL, 'r' },
		{ "once", no_argument, NULL, 'O' },
		{ "strict", no_argument, NULL, 'S' },
		{ "max-line", required_argument, NULL, 'm' },
		{ "metrics", required_argument, NULL, 'M' },
		{ "check", no_argument, NULL, 'C' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ 0, 0, 0, 0 },
	};
	struct appender a;
	struct grace_err e;
	enum grace_log_sync sync = GRACE_SYNC_BATCH;
	const char *log = NULL, *metrics = NULL;
	unsigned long long max = GRACE_LINES_DEFAULT_MAX;
	int strict = 0, c, status = GRACE_EXIT_OK, i, stop = 0, log_failed = 0;
	int check = 0, cjson = 0, once = 0;

	memset(&a, 0, sizeof a);
	while ((c = getopt_long(argc, argv, "f:o:h", lo, NULL)) != -1) {
		switch (c) {
		case 'f': log = optarg; break;
		case 's':
			if (strcmp(optarg, "always") == 0)
				sync = GRACE_SYNC_ALWAYS;
			else if (strcmp(optarg, "batch") == 0)
				sync = GRACE_SYNC_BATCH;
			else if (strcmp(optarg, "none") == 0)
				sync = GRACE_SYNC_NONE;
			else
				return usage_error("append", "--sync takes always, "
				    "batch or none, not '%s'", optarg);
			break;
		case 'r': a.records = 1; break;
		case 'O': once = 1; break;
		case 'S': strict = 1; break;
		case 'm':
			/* No more than a record can hold: a longer event
			 * would make a record that verify refuses. */
			if (parse_size(optarg, &max) < 0 || max == 0 ||
			    max > MAX_EVENT)
				return usage_error("append", "--max-line takes a "
				    "byte count from 1 to 67108864, not '%s'",
				    optarg);
			break;
		case 'M': metrics = optarg; break;
		case 'C': check = 1; break;
		case 'o':
			if (strcmp(optarg, "json") == 0)
				cjson = 1;
			else if (strcmp(optarg, "text") != 0)
				return usage_error("append", "-o takes text or json "
				    "(with --check), not '%s'", optarg);
			break;
		case 'h': usage_append(stdout); return 0;
		default: return usage_error("append", NULL);
		}
	}
	if (!(log = default_log(log)))
		return usage_error("append", "%s", "no log file: use -f LOG or set GRACE_LOG");
	if (cjson && !check)
		return usage_error("append", "%s", "-o json goes with --check");
	if (once && a.records)
		return usage_error("append", "%s", "--once goes without --records "
		    "(an event the log holds already has no new record to write)");
	if (check) {
		if (optind < argc)
			return usage_error("append", "%s", "--check reads no input");
		return append_check(log, metrics, cjson);
	}
	if (metrics && !(a.metrics = grace_metrics_new("grace-log", metrics))) {
		grace_err_sys(&e, NULL, "out of memory");
		return report(&e);
	}
	if (grace_log_writer_open(&a.w, log, sync, &e) < 0 ||
	    (once && grace_log_writer_once(&a.w, &e) < 0)) {
		grace_log_writer_close(&a.w);
		grace_metrics_free(a.metrics);
		return report(&e);
	}
	for (i = optind; (i < argc || i == optind) && !stop; i++) {
		const char *name = i < argc ? argv[i] : "-";
		struct grace_lines rd;
		const char *line;
		size_t n;
		int fd, t;

		if (strcmp(name, "-") == 0) {
			fd = STDIN_FILENO;
			name = "<stdin>";
		} else if ((fd = open(name, O_RDONLY | O_CLOEXEC)) < 0) {
			grace_err_sys(&e, name, "unable to open");
			status = report(&e);
			break;
		}
		if (grace_lines_init(&rd, fd, name, (size_t)max) < 0) {
			grace_err_sys(&e, name, "unable to read");
			status = report(&e);
			if (fd != STDIN_FILENO)
				close(fd);
			break;
		}
		for (;;) {
			t = grace_lines_buffered(&rd, &line, &n, &e);
			if (t == GRACE_LINE_AGAIN) {
				/* Group commit: sync what is read before waiting. */
				if (a.nitems && !grace_lines_ready(&rd) &&
				    batch_flush(&a, &e) < 0) {
					status = report(&e);
					stop = log_failed = 1;
					break;
				}
				if (grace_lines_fill(&rd, &e) < 0) {
					status = report(&e);
					stop = 1;
					break;
				}
				continue;
			}
			if (t == GRACE_LINE_EOF)
				break;
			t = take_line(&a, name, rd.lineno, line, n,
			    t == GRACE_LINE_TOOLONG, (size_t)max);
			if (t < 0) {
				grace_err_sys(&e, name, "unable to read");
				status = report(&e);
				stop = 1;
				break;
			}
			if (t == 1) {
				status = GRACE_EXIT_INPUT;
				if (strict) {
					stop = 1;
					break;
				}
			}
			if (sync == GRACE_SYNC_ALWAYS || a.nitems >= BATCH_ITEMS ||
			    a.evbuf.len >= BATCH_BYTES) {
				if (batch_flush(&a, &e) < 0) {
					status = report(&e);
					stop = log_failed = 1;
					break;
				}
			}
		}
		grace_lines_free(&rd);
		if (fd != STDIN_FILENO)
			close(fd);
	}
	/* What was accepted is written, whatever stopped the loop (an input
	 * that cannot be opened or read stops it; the log failing does not
	 * get a second try). */
	if (!log_failed && batch_flush(&a, &e) < 0)
		status = report(&e);
	if (strict && status == GRACE_EXIT_INPUT)
		fprintf(stderr, "%s: stopped at the first bad line (--strict); "
		    "%llu events appended before it\n", prog, a.accepted);
	if (a.duplicates)
		fprintf(stderr, "%s: %s: %llu event%s in the log already (--once): "
		    "not appended again\n", prog, log, a.duplicates,
		    a.duplicates == 1 ? " was" : "s were");
	status = grace_cli_metrics_end(stderr, prog, a.metrics, status);
	grace_metrics_free(a.metrics);
	grace_log_writer_close(&a.w);
	grace_buf_free(&a.evbuf);
	grace_buf_free(&a.rej);
	grace_buf_free(&a.out);
	free(a.items);
	free(a.evs);
	free(a.lens);
	return status;
}

/* ------------------------------------------------------------------ verify */

static void
print_warning(void *arg, const struct grace_err *w)
{
	(void)arg;
	grace_err_print(stderr, prog, w);
}

static void
usage_verify(FILE *f)
{
	fprintf(f,
	    "usage: grace-log verify [-f LOG]... [FILE...] [--checkpoint FILE --pubkey KEY]...\n"
	    "                        [--witness KEY]... [--witnesses K] [-q]\n"
	    "\n"
	    "Check every record's hash, seq and prev link, the seams between segments\n"
	    "given in order (oldest first), and each signed checkpoint: the first N records\n"
	    "must have the checkpoint's Merkle root and a signature by one of the keys\n"
	    "must verify. Writes one grace.log.verification event to stdout.\n"
	    "\n"
	    "  -f, --file LOG        a log segment (repeatable; default $GRACE_LOG)\n"
	    "  -c, --checkpoint FILE a signed checkpoint to check (repeatable)\n"
	    "  -p, --pubkey KEY      a verifier key, or a file holding one (repeatable)\n"
	    "      --witness KEY     a witness's key, or a file holding one (repeatable)\n"
	    "      --witnesses K     a checkpoint counts only when K of the --witness keys\n"
	    "                        cosigned it (default 1 when --witness is given)\n"
	    "  -q, --quiet           no result event: errors and the exit status only\n"
	    "Exit status: 0 intact, 1 tampering, truncation or a torn tail found,\n"
	    "2 usage error (a log that is not a regular file), 4 system error.\n");
}

/* verify and report share their command line (segments, checkpoints,
 * keys) and the verification. */
struct chain_cmd {
	const char *name;
	char **files, **cps, **keys, **witnesses;
	size_t nfiles, ncp, nkeys, nwitnesses, min_witnesses;
	int bad_min;                  /* --witnesses was not a count */
	struct grace_chain ch;
	int verified;                 /* grace_chain_verify() ran */
};

static int
chain_cmd_init(struct chain_cmd *cc, const char *name, int argc)
{
	struct grace_err e;

	memset(cc, 0, sizeof *cc);
	cc->name = name;
	grace_chain_init(&cc->ch);
	cc->files = calloc((size_t)argc + 1, sizeof *cc->files);
	cc->cps = calloc((size_t)argc + 1, sizeof *cc->cps);
	cc->keys = calloc((size_t)argc + 1, sizeof *cc->keys);
	cc->witnesses = calloc((size_t)argc + 1, sizeof *cc->witnesses);
	if (!cc->files || !cc->cps || !cc->keys || !cc->witnesses) {
		grace_err_sys(&e, NULL, "unable to start");
		return report(&e);
	}
	return 0;
}

/* The long options every chain command takes besides its own. */
#define CHAIN_WITNESS_OPTS \
	{ "witness", required_argument, NULL, 'W' }, \
	{ "witnesses", required_argument, NULL, 'K' }

/* An option of the shared ones: 1 when c was one of them. */
static int
chain_cmd_opt(struct chain_cmd *cc, int c, char *arg)
{
	unsigned long long k;

	switch (c) {
	case 'f': cc->files[cc->nfiles++] = arg; return 1;
	case 'c': cc->cps[cc->ncp++] = arg; return 1;
	case 'p': cc->keys[cc->nkeys++] = arg; return 1;
	case 'W': cc->witnesses[cc->nwitnesses++] = arg; return 1;
	case 'K':
		if (parse_size(arg, &k) < 0 || k == 0 || k > 1000)
			cc->bad_min = 1;
		else
			cc->min_witnesses = (size_t)k;
		return 1;
	default: return 0;
	}
}

/* The rest of the command line, then the verification. Returns 0 when it
 * ran (cc->ch.res says what it found; a broken chain is said on stderr),
 * else the exit status. */
static int
chain_cmd_verify(struct chain_cmd *cc, int argc, char **argv)
{
	struct grace_err e;
	const char *def;

	while (optind < argc)
		cc->files[cc->nfiles++] = argv[optind++];
	if (cc->nfiles == 0 && (def = default_log(NULL)))
		cc->files[cc->nfiles++] = (char *)def;
	if (cc->nfiles == 0)
		return usage_error(cc->name, "%s", "no log file: use -f LOG or "
		    "set GRACE_LOG");
	if (cc->ncp && !cc->nkeys)
		return usage_error(cc->name, "%s", "--checkpoint needs --pubkey "
		    "KEY: an unsigned checkpoint proves nothing");
	if (cc->bad_min)
		return usage_error(cc->name, "%s", "--witnesses takes a count "
		    "(1 or more)");

	cc->ch.files = (const char *const *)cc->files;
	cc->ch.nfiles = cc->nfiles;
	cc->ch.checkpoints = (const char *const *)cc->cps;
	cc->ch.ncheckpoints = cc->ncp;
	cc->ch.pubkeys = (const char *const *)cc->keys;
	cc->ch.npubkeys = cc->nkeys;
	cc->ch.witnesses = (const char *const *)cc->witnesses;
	cc->ch.nwitnesses = cc->nwitnesses;
	cc->ch.min_witnesses = cc->min_witnesses;
	cc->ch.warn = print_warning;
	if (grace_chain_verify(&cc->ch, &e) < 0)
		return report(&e);
	cc->verified = 1;
	if (!cc->ch.res.intact)
		grace_err_print(stderr, prog, &cc->ch.res.fail);
	return 0;
}

static void
chain_cmd_free(struct chain_cmd *cc)
{
	grace_chain_free(&cc->ch);
	free(cc->files);
	free(cc->cps);
	free(cc->keys);
	free(cc->witnesses);
}

static int
cmd_verify(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "file", required_argument, NULL, 'f' },
		{ "checkpoint", required_argument, NULL, 'c' },
		CHAIN_WITNESS_OPTS,
		{ "pubkey", required_argument, NULL, 'p' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0, 0, 0, 0 },
	};
	struct chain_cmd cc;
	struct grace_buf out = {0};
	struct grace_err e;
	int c, quiet = 0, status;

	if ((status = chain_cmd_init(&cc, "verify", argc)) != 0)
		goto out;
	while ((c = getopt_long(argc, argv, "f:c:p:qh", lo, NULL)) != -1) {
		if (chain_cmd_opt(&cc, c, optarg))
			continue;
		switch (c) {
		case 'q': quiet = 1; break;
		case 'h': usage_verify(stdout); goto out;
		default: status = usage_error("verify", NULL); goto out;
		}
	}
	if ((status = chain_cmd_verify(&cc, argc, argv)) != 0)
		goto out;
	if (!cc.ch.res.intact)
		status = GRACE_EXIT_NEGATIVE;
	if (!quiet && (grace_chain_event(&cc.ch, prog, &out) < 0 ||
	    grace_cli_flush(&out, NULL) < 0)) {
		grace_err_sys(&e, "<stdout>", "unable to write");
		status = report(&e);
	}
out:
	chain_cmd_free(&cc);
	grace_buf_free(&out);
	return status;
}

/* ------------------------------------------------------------------ report */

static void
usage_report(FILE *f)
{
	fprintf(f,
	    "usage: grace-log report [-f LOG]... [FILE...] [--checkpoint FILE --pubkey KEY]...\n"
	    "                        [--witness KEY]... [--witnesses K] [-o FILE]\n"
	    "\n"
	    "Verify the log (segments oldest first) and each signed checkpoint, and write\n"
	    "the audit report: one self-contained HTML page (no script, no network) with\n"
	    "the chain's status, the decisions over time, the denials and reviews with\n"
	    "their reasons, the anomalies and healings, each row naming its record's seq\n"
	    "and hash. Exit 1 when the chain or a checkpoint does not verify (the report\n"
	    "says so and is written still).\n"
	    "\n"
	    "  -f, --file LOG        a log segment (default: $GRACE_LOG)\n"
	    "  -c, --checkpoint FILE a signed checkpoint to check (repeatable)\n"
	    "  -p, --pubkey KEY      a verifier key, or a file holding one (repeatable)\n"
	    "      --witness KEY     a witness's key (repeatable); --witnesses K: a\n"
	    "                        checkpoint counts only when K of them cosigned it\n"
	    "  -o, --output FILE     write the page to FILE (replaced atomically), not stdout\n");
}

static int
cmd_report(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "file", required_argument, NULL, 'f' },
		{ "checkpoint", required_argument, NULL, 'c' },
		CHAIN_WITNESS_OPTS,
		{ "pubkey", required_argument, NULL, 'p' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ 0, 0, 0, 0 },
	};
	struct chain_cmd cc;
	struct grace_buf out = {0};
	struct grace_err e;
	const char *output = NULL;
	int c, status;

	if ((status = chain_cmd_init(&cc, "report", argc)) != 0)
		goto out;
	while ((c = getopt_long(argc, argv, "f:c:p:o:h", lo, NULL)) != -1) {
		if (chain_cmd_opt(&cc, c, optarg))
			continue;
		switch (c) {
		case 'o': output = optarg; break;
		case 'h': usage_report(stdout); goto out;
		default: status = usage_error("report", NULL); goto out;
		}
	}
	if ((status = chain_cmd_verify(&cc, argc, argv)) != 0)
		goto out;
	if (!cc.ch.res.intact)
		status = GRACE_EXIT_NEGATIVE;
	if (grace_log_report_html(&cc.ch, &out, &e) < 0) {
		status = report(&e);
		goto out;
	}
	if (output) {
		if (grace_atomic_write(output, out.p, out.len, 0644, &e) < 0)
			status = report(&e);
	} else if (grace_cli_flush(&out, NULL) < 0) {
		grace_err_sys(&e, "<stdout>", "unable to write");
		status = report(&e);
	}
out:
	chain_cmd_free(&cc);
	grace_buf_free(&out);
	return status;
}

/* -------------------------------------------------------------- checkpoint */

static void
usage_checkpoint(FILE *f)
{
	fprintf(f,
	    "usage: grace-log checkpoint [-f LOG]... [FILE...] -k KEYFILE... [--origin ORIGIN]\n"
	    "                            [-o FILE] [--event [--since OLD]]\n"
	    "\n"
	    "Verify the log, then sign its record count and RFC 6962 Merkle root as a\n"
	    "C2SP tlog-checkpoint (a signed note). Written to stdout, or atomically to -o FILE.\n"
	    "With --event, stdout gets a grace.checkpoint event carrying it instead (to\n"
	    "publish it, for a witness: 'grace-log witness' reads such events); with\n"
	    "--since OLD, the log must still match the checkpoint OLD, and the event\n"
	    "carries the consistency proof from OLD to the new one.\n"
	    "\n"
	    "  -f, --file LOG      a log segment (repeatable, oldest first; default $GRACE_LOG)\n"
	    "  -k, --key KEYFILE   a signing key made by 'grace-log keygen' (repeatable: one\n"
	    "                      signature line per key, in the order given)\n"
	    "      --origin ORIGIN the checkpoint's origin line (default: the first key's name)\n"
	    "  -o, --output FILE   write the checkpoint to FILE (replaced atomically)\n"
	    "      --event         write a grace.checkpoint event to stdout\n"
	    "      --since OLD     the checkpoint published before (signed by a -k key;\n"
	    "                      a missing file: none was, no proof)\n");
}

static int consistency_proof(char *const *files, size_t nfiles,
    const struct grace_checkpoint *old, const struct grace_checkpoint *cp,
    struct grace_buf *out, struct grace_err *e);
static int open_checkpoint(const char *path, struct grace_note_verifier **vs,
    size_t nvs, struct grace_checkpoint *cp, char **text, size_t *len,
    struct grace_err *e);

/* The grace.checkpoint event for the signed checkpoint note of cp,
 * appended to out: with have_since, it follows the one of since records,
 * and proof (if not NULL) is the consistency proof from that one. */
static int
checkpoint_event(struct grace_buf *out, const struct grace_checkpoint *cp,
    const char *note, const struct grace_buf *proof, int have_since,
    uint64_t since, struct grace_err *e)
{
	struct grace_timefmt tf;
	struct grace_sha256 *sha = grace_sha256_new();
	char now[GRACE_TIME_LEN], root[GRACE_B64_ENCLEN(GRACE_MERKLE_HASHLEN)];
	char idhex[GRACE_SHA256_HEXLEN + 1];
	uint8_t id[GRACE_SHA256_LEN];

	/* The id is the note's hash: the same signed tree published twice
	 * is one event (the server's and --once's deduplication). */
	if (!sha || grace_sha256_once(sha, note, strlen(note), id) < 0) {
		grace_sha256_free(sha);
		return grace_err_setc(e, GRACE_EXIT_SYSTEM, "unable to hash");
	}
	grace_sha256_free(sha);
	grace_hex_encode(id, sizeof id, idhex);
	grace_timefmt_init(&tf);
	grace_time_now(&tf, now);
	grace_b64_encode(cp->root, sizeof cp->root, root);
	grace_buf_addf(out, "{\"specversion\":\"1.0\",\"id\":\"cp-%.32s\","
	    "\"type\":\"grace.checkpoint\",\"source\":\"grace-log checkpoint\","
	    "\"time\":\"%s\",\"subject\":", idhex, now);
	grace_buf_add_jstr(out, cp->origin, strlen(cp->origin));
	grace_buf_adds(out, ",\"data\":{\"origin\":");
	grace_buf_add_jstr(out, cp->origin, strlen(cp->origin));
	grace_buf_addf(out, ",\"size\":%llu,\"root\":\"%s\",\"checkpoint\":",
	    (unsigned long long)cp->size, root);
	grace_buf_add_jstr(out, note, strlen(note));
	if (have_since)
		grace_buf_addf(out, ",\"since\":%llu",
		    (unsigned long long)since);
	if (proof) {
		grace_buf_adds(out, ",\"proof\":");
		grace_buf_add_jstr(out, proof->p, proof->len);
	}
	if (grace_buf_adds(out, "}}\n") < 0)
		return grace_err_sys(e, NULL, "out of memory");
	return 0;
}

/* The signer key in keyfile (a 'grace-log keygen' .key file), or NULL
 * with e filled: the file cannot be read (GRACE_EXIT_SYSTEM), or is not
 * a signing key (GRACE_EXIT_USAGE). The key text is wiped once parsed. */
static struct grace_note_signer *
load_signer(const char *keyfile, struct grace_err *e)
{
	struct grace_note_signer *signer;
	char *skey;
	size_t len;

	if (!(skey = grace_read_file(keyfile, MAX_KEYFILE, &len, e))) {
		if (errno == EFBIG) {
			/* too large to be a key: a bad argument */
			grace_err_set(e, keyfile, 0, 0, "not a signing key: "
			    "larger than %d bytes", MAX_KEYFILE);
			e->code = GRACE_EXIT_USAGE;
		}
		return NULL;
	}
	while (len && (skey[len - 1] == '\n' || skey[len - 1] == '\r'))
		skey[--len] = '\0';
	signer = grace_note_signer_parse(skey, e);
	grace_note_free_secret(skey);
	if (!signer) {
		char msg[sizeof e->msg];

		snprintf(msg, sizeof msg, "%s", e->msg);
		grace_err_set(e, keyfile, 0, 0, "not a signing key: %s", msg);
		e->code = GRACE_EXIT_USAGE;
	}
	return signer;
}

static int
cmd_checkpoint(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "file", required_argument, NULL, 'f' },
		{ "key", required_argument, NULL, 'k' },
		{ "origin", required_argument, NULL, 'O' },
		{ "output", required_argument, NULL, 'o' },
		{ "event", no_argument, NULL, 'E' },
		{ "since", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ 0, 0, 0, 0 },
	};
	char **files = calloc((size_t)argc + 1, sizeof *files);
	char **keyfiles = calloc((size_t)argc + 1, sizeof *keyfiles);
	struct grace_note_signer **signers =
	    calloc((size_t)argc + 1, sizeof *signers);
	const char *origin = NULL, *output = NULL, *def, *since = NULL;
	struct grace_note_verifier **vs = NULL;
	struct grace_checkpoint cp, old;
	struct grace_log_expect ex;
	struct grace_log_result res;
	struct grace_buf ev = { 0 }, proof = { 0 };
	struct grace_err e;
	char *note = NULL, *otext = NULL;
	size_t nfiles = 0, nkeys = 0, i, j, olen = 0;
	int c, status = GRACE_EXIT_OK, event = 0, have_old = 0;

	grace_checkpoint_init(&cp);
	grace_checkpoint_init(&old);
	if (!files || !keyfiles || !signers) {
		free(files);
		free(keyfiles);
		free(signers);
		grace_err_sys(&e, NULL, "unable to start");
		return report(&e);
	}
	while ((c = getopt_long(argc, argv, "f:k:o:h", lo, NULL)) != -1) {
		switch (c) {
		case 'f': files[nfiles++] = optarg; break;
		case 'k': keyfiles[nkeys++] = optarg; break;
		case 'O': origin = optarg; break;
		case 'o': output = optarg; break;
		case 'E': event = 1; break;
		case 'S': since = optarg; break;
		case 'h': usage_checkpoint(stdout); goto out;
		default: status = usage_error("checkpoint", NULL); goto out;
		}
	}
	while (optind < argc)
		files[nfiles++] = argv[optind++];
	if (nfiles == 0 && (def = default_log(NULL)))
		files[nfiles++] = (char *)def;
	if (nfiles == 0 || !nkeys) {
		status = usage_error("checkpoint", "%s", nfiles ? "no key: use -k KEYFILE" :
		    "no log file: use -f LOG or set GRACE_LOG");
		goto out;
	}
	if (since && !event) {
		status = usage_error("checkpoint", "%s", "--since goes with "
		    "--event (the proof travels in the event)");
		goto out;
	}
	/* Every key given signs: a signed note carries one signature line
	 * per key (the log's own, a second operator's, a key being rolled
	 * in), and each verifier key verifies it alone. */
	for (i = 0; i < nkeys; i++) {
		if (!(signers[i] = load_signer(keyfiles[i], &e))) {
			status = report(&e);
			goto out;
		}
		for (j = 0; j < i; j++) {
			if (strcmp(grace_note_signer_vkey(signers[j]),
			    grace_note_signer_vkey(signers[i])) == 0) {
				grace_err_set(&e, keyfiles[i], 0, 0, "the same key "
				    "as %s: give each key once", keyfiles[j]);
				e.code = GRACE_EXIT_USAGE;
				status = report(&e);
				goto out;
			}
		}
	}
	/* The checkpoint published before: ours (a -k key signed it), and
	 * the log must still hold its tree. */
	if (since && (access(since, F_OK) == 0 || errno != ENOENT)) {
		if (!(vs = calloc(nkeys, sizeof *vs))) {
			grace_err_sys(&e, NULL, "unable to start");
			status = report(&e);
			goto out;
		}
		for (i = 0; i < nkeys; i++)
			if (!(vs[i] = grace_note_verifier_parse(
			    grace_note_signer_vkey(signers[i]), &e))) {
				status = report(&e);
				goto out;
			}
		if (open_checkpoint(since, vs, nkeys, &old, &otext, &olen,
		    &e) < 0) {
			status = report(&e);
			goto out;
		}
		have_old = 1;
	}
	memset(&ex, 0, sizeof ex);
	if (have_old) {
		ex.size = old.size;
		memcpy(ex.root, old.root, sizeof ex.root);
		ex.label = since;
	}
	if (grace_log_verify((const char *const *)files, nfiles, &ex,
	    have_old ? 1 : 0, 1, print_warning, NULL, &res, &e) < 0) {
		status = report(&e);
		goto out;
	}
	if (!res.intact) {
		grace_err_print(stderr, prog, &res.fail);
		fprintf(stderr, "%s: refusing to sign a log that does not verify%s\n",
		    prog, have_old && ex.checked != 1 ? " against the checkpoint "
		    "published before (--since)" : "");
		status = GRACE_EXIT_NEGATIVE;
		goto out;
	}
	if (res.continues[0]) {
		fprintf(stderr, "%s: %s continues segment '%s': give every "
		    "segment, oldest first, so the checkpoint covers the whole "
		    "log\n", prog, files[0], res.continues);
		status = GRACE_EXIT_USAGE;
		goto out;
	}
	cp.size = res.records;
	memcpy(cp.root, res.root, sizeof cp.root);
	if (!origin)
		origin = grace_note_signer_name(signers[0]);
	if (strlen(origin) > GRACE_CHECKPOINT_ORIGIN_MAX) {
		status = usage_error("checkpoint", "%s", "--origin is longer "
		    "than 256 bytes");
		goto out;
	}
	snprintf(cp.origin, sizeof cp.origin, "%s", origin);
	if (have_old && strcmp(old.origin, cp.origin) != 0) {
		status = usage_error("checkpoint", "--since %s is a checkpoint "
		    "of '%s', not of '%s'", since, old.origin, cp.origin);
		goto out;
	}
	note = grace_checkpoint_sign(&cp,
	    (struct grace_note_signer *const *)signers, nkeys, &e);
	if (!note) {
		status = report(&e);
		goto out;
	}
	/* The proof from the tree published before, when it is not this
	 * one nor the empty tree (a prefix of every tree). */
	if (have_old && old.size > 0 && old.size < cp.size &&
	    consistency_proof(files, nfiles, &old, &cp, &proof, &e) < 0) {
		status = report(&e);
		goto out;
	}
	if (event && checkpoint_event(&ev, &cp, note, proof.len ? &proof :
	    NULL, have_old, old.size, &e) < 0) {
		status = report(&e);
		goto out;
	}
	if (output) {
		if (grace_atomic_write(output, note, strlen(note), 0644, &e) < 0) {
			status = report(&e);
			goto out;
		}
	}
	if ((event || !output) && grace_write_all(STDOUT_FILENO, event ? ev.p :
	    note, event ? ev.len : strlen(note)) < 0) {
		grace_err_sys(&e, "<stdout>", "unable to write");
		status = report(&e);
	}
out:
	for (i = 0; i < nkeys; i++) {
		grace_note_signer_free(signers[i]);
		if (vs)
			grace_note_verifier_free(vs[i]);
	}
	free(vs);
	grace_checkpoint_clear(&cp);
	grace_checkpoint_clear(&old);
	grace_buf_free(&ev);
	grace_buf_free(&proof);
	free(otext);
	free(note);
	free(signers);
	free(keyfiles);
	free(files);
	return status;
}

/* ------------------------------------------------------------------ keygen */

static void
usage_keygen(FILE *f)
{
	fprintf(f,
	    "usage: grace-log keygen [-o PREFIX] [--force] [--witness] NAME\n"
	    "\n"
	    "Make an Ed25519 key for signing checkpoints. Writes PREFIX.key (the signer\n"
	    "key, mode 0600) and PREFIX.pub (the verifier key), and prints the verifier\n"
	    "key, NAME+KEYID+BASE64, as Go's sumdb/note verifiers read it.\n"
	    "\n"
	    "  -o, --output PREFIX  file name prefix (default: NAME)\n"
	    "      --force          replace existing key files\n"
	    "      --witness        a witness's key, for 'grace-log witness': it cosigns\n"
	    "                       checkpoints (c2sp.org/tlog-cosignature, algorithm 4)\n");
}

static int
write_new(const char *path, const char *text, int mode, int force,
    struct grace_err *e)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC |
	    (force ? O_TRUNC : O_EXCL), mode);

	if (fd < 0) {
		grace_err_sys(e, path, errno == EEXIST ?
		    "refusing to overwrite (use --force)" : "unable to create");
		if (errno == EEXIST)
			e->code = GRACE_EXIT_USAGE;
		return -1;
	}
	if (fchmod(fd, (mode_t)mode) < 0 ||
	    grace_write_all(fd, text, strlen(text)) < 0 ||
	    grace_write_all(fd, "\n", 1) < 0 || fsync(fd) < 0) {
		grace_err_sys(e, path, "unable to write");
		close(fd);
		return -1;
	}
	return close(fd) < 0 ? grace_err_sys(e, path, "unable to write") : 0;
}

static int
cmd_keygen(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "force", no_argument, NULL, 'F' },
		{ "witness", no_argument, NULL, 'W' },
		{ "help", no_argument, NULL, 'h' },
		{ 0, 0, 0, 0 },
	};
	const char *prefix = NULL, *name;
	char *skey = NULL, *vkey = NULL, *path = NULL;
	struct grace_err e;
	int c, force = 0, witness = 0, status = GRACE_EXIT_OK;
	size_t plen;

	while ((c = getopt_long(argc, argv, "o:h", lo, NULL)) != -1) {
		switch (c) {
		case 'o': prefix = optarg; break;
		case 'F': force = 1; break;
		case 'W': witness = 1; break;
		case 'h': usage_keygen(stdout); return 0;
		default: return usage_error("keygen", NULL);
		}
	}
	if (optind != argc - 1)
		return usage_error("keygen", "%s", "give exactly one key NAME");
	name = argv[optind];
	if (!prefix)
		prefix = name;
	if (grace_note_keygen_alg(name, witness, &skey, &vkey, &e) < 0) {
		e.code = GRACE_EXIT_USAGE;
		return report(&e);
	}
	plen = strlen(prefix) + 5;
	path = malloc(plen);
	if (!path) {
		grace_err_sys(&e, NULL, "unable to write keys");
		status = report(&e);
		goto out;
	}
	/* Both or neither: never leave a new secret beside an old public key. */
	if (!force) {
		const char *ext[2] = { "key", "pub" };
		int k;

		for (k = 0; k < 2; k++) {
			snprintf(path, plen, "%s.%s", prefix, ext[k]);
			if (access(path, F_OK) == 0) {
				grace_err_set(&e, path, 0, 0, "refusing to "
				    "overwrite (use --force)");
				e.code = GRACE_EXIT_USAGE;
				status = report(&e);
				goto out;
			}
		}
	}
	snprintf(path, plen, "%s.key", prefix);
	if (write_new(path, skey, 0600, force, &e) < 0) {
		status = report(&e);
		goto out;
	}
	snprintf(path, plen, "%s.pub", prefix);
	if (write_new(path, vkey, 0644, force, &e) < 0) {
		status = report(&e);
		goto out;
	}
	printf("%s\n", vkey);
out:
	grace_note_free_secret(skey);
	free(vkey);
	free(path);
	return status;
}

/* ------------------------------------------------------------------ repair */

static void
usage_repair(FILE *f)
{
	fprintf(f,
	    "usage: grace-log repair [-f] LOG\n"
	    "\n"
	    "After a crash, move the bytes of a torn last record (after the last newline)\n"
	    "to LOG.torn and truncate them from LOG. Never removes a complete record.\n");
}

static int
cmd_repair(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "file", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ 0, 0, 0, 0 },
	};
	const char *log = NULL;
	struct grace_log_head h;
	struct grace_err e;
	char *side = NULL, *torn = NULL;
	int c, fd, sfd = -1, status = GRACE_EXIT_OK;

	while ((c = getopt_long(argc, argv, "f:h", lo, NULL)) != -1) {
		switch (c) {
		case 'f': log = optarg; break;
		case 'h': usage_repair(stdout); return 0;
		default: return usage_error("repair", NULL);
		}
	}
	if (optind < argc && !log)
		log = argv[optind++];
	if (optind < argc)
		return usage_error("repair", "unexpected argument '%s'", argv[optind]);
	if (!(log = default_log(log)))
		return usage_error("repair", "%s", "no log file: use -f LOG or set GRACE_LOG");
	fd = open(log, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		grace_err_sys(&e, log, "unable to open");
		return report(&e);
	}
	if (grace_lock(fd, 0, log, &e) < 0 ||
	    grace_log_read_head(fd, log, &h, &e) < 0) {
		status = report(&e);
		goto out;
	}
	if (h.torn == 0) {
		fprintf(stderr, "%s: %s: nothing to repair: the last record is "
		    "complete\n", prog, log);
		goto out;
	}
	side = malloc(strlen(log) + 6);
	torn = malloc(h.torn);
	if (!side || !torn) {
		grace_err_sys(&e, log, "unable to repair");
		status = report(&e);
		goto out;
	}
	sprintf(side, "%s.torn", log);
	if (grace_pread_all(fd, torn, h.torn, h.size) < 0) {
		grace_err_sys(&e, log, "unable to read");
		status = report(&e);
		goto out;
	}
	sfd = open(side, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (sfd < 0 || grace_write_all(sfd, torn, h.torn) < 0 ||
	    fsync(sfd) < 0) {
		grace_err_sys(&e, side, "unable to save the torn bytes");
		status = report(&e);
		goto out;
	}
	if (ftruncate(fd, (off_t)h.size) < 0 || fsync(fd) < 0) {
		grace_err_sys(&e, log, "unable to truncate");
		status = report(&e);
		goto out;
	}
	if (h.seq)
		fprintf(stderr, "%s: %s: moved %llu torn bytes to %s; the log "
		    "ends at seq %llu\n", prog, log, (unsigned long long)h.torn,
		    side, (unsigned long long)h.seq);
	else
		fprintf(stderr, "%s: %s: moved %llu torn bytes to %s; the log "
		    "is now empty\n", prog, log, (unsigned long long)h.torn,
		    side);
out:
	if (sfd >= 0)
		close(sfd);
	grace_unlock(fd);
	close(fd);
	free(side);
	free(torn);
	return status;
}

/* ------------------------------------------------------------------ rotate */

static void
usage_rotate(FILE *f)
{
	fprintf(f,
	    "usage: grace-log rotate -f LOG [--to OLDNAME]\n"
	    "\n"
	    "Keep the current file as OLDNAME (default LOG.YYYYMMDDTHHMMSSZ, with .1, .2 ...\n"
	    "added if that exists) and start LOG\n"
	    "afresh with a seam record that names OLDNAME and carries its record count,\n"
	    "size and head hash, so the chain runs on across segments. Verify segments\n"
	    "together, oldest first: grace-log verify OLDNAME LOG.\n");
}

static int
cmd_rotate(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "file", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ 0, 0, 0, 0 },
	};
	const char *log = NULL, *to = NULL;
	char *name = NULL;
	struct grace_log_head h;
	struct grace_err e;
	int c, status = GRACE_EXIT_OK;

	while ((c = getopt_long(argc, argv, "f:h", lo, NULL)) != -1) {
		switch (c) {
		case 'f': log = optarg; break;
		case 't': to = optarg; break;
		case 'h': usage_rotate(stdout); return 0;
		default: return usage_error("rotate", NULL);
		}
	}
	if (optind < argc)
		return usage_error("rotate", "unexpected argument '%s'", argv[optind]);
	if (!(log = default_log(log)))
		return usage_error("rotate", "%s", "no log file: use -f LOG or set GRACE_LOG");
	if (!to) {
		time_t now = time(NULL);
		struct tm tm;
		size_t n = strlen(log) + 40;
		size_t base;
		int k;

		name = malloc(n);
		if (!name || !gmtime_r(&now, &tm)) {
			grace_err_sys(&e, log, "unable to rotate");
			return report(&e);
		}
		snprintf(name, n, "%s.%04d%02d%02dT%02d%02d%02dZ", log,
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min, tm.tm_sec);
		/* A second rotation within the same second: LOG.<time>.1, .2 */
		base = strlen(name);
		for (k = 1; access(name, F_OK) == 0 && k < 1000; k++)
			snprintf(name + base, n - base, ".%d", k);
		to = name;
	}
	if (grace_log_rotate(log, to, &h, &e) < 0)
		status = report(&e);
	else
		fprintf(stderr, "%s: %s: rotated: old segment kept as %s; the "
		    "new segment starts at seq %llu\n", prog, log, to,
		    (unsigned long long)h.seq);
	free(name);
	return status;
}

/* ------------------------------------------------------------- cat / tail */

/* Print one record line, or its event. Returns 0, or 1 for a malformed
 * record (reported). */
static int
emit_record(struct grace_buf *out, const char *file, unsigned long lineno,
    const char *line, size_t n, int events)
{
	struct grace_log_rec r;
	const char *why;

	if (!events)
		return grace_buf_add(out, line, n) | grace_buf_add(out, "\n", 1);
	if (grace_log_parse(line, n, &r, &why) < 0) {
		struct grace_err e;

		grace_err_set(&e, file, lineno, 0, "%s", why);
		grace_err_print(stderr, prog, &e);
		return 1;
	}
	return grace_buf_add(out, r.event, r.event_len) |
	    grace_buf_add(out, "\n", 1);
}

static int
cat_fd(int fd, const char *name, int events, struct grace_buf *out,
    int *status)
{
	struct grace_lines rd;
	struct grace_err e;
	struct stat st;
	const char *line;
	size_t n;
	int t, regular;

	/* A log file is read up to its size under a shared lock, as verify
	 * does: appenders write whole batches under the exclusive lock, so
	 * a batch being written is never seen half done. */
	regular = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
	if (regular) {
		if (grace_lock(fd, 1, name, &e) < 0) {
			*status = report(&e);
			return -1;
		}
		if (fstat(fd, &st) < 0) {
			grace_err_sys(&e, name, "unable to stat");
			grace_unlock(fd);
			*status = report(&e);
			return -1;
		}
		grace_unlock(fd);
	}
	if (grace_lines_init(&rd, fd, name, MAX_RECORD_LINE) < 0) {
		grace_err_sys(&e, name, "unable to read");
		*status = report(&e);
		return -1;
	}
	if (regular) {
		rd.limit = (unsigned long long)st.st_size;
		if (st.st_size == 0)
			rd.eof = 1;
	}
	while ((t = grace_lines_next(&rd, &line, &n, &e)) > 0) {
		if (t == GRACE_LINE_TOOLONG) {
			grace_err_set(&e, name, rd.lineno, 0, "record too long");
			grace_err_print(stderr, prog, &e);
			*status = GRACE_EXIT_INPUT;
			continue;
		}
		if (rd.unterminated) {
			/* Not a record: never pass it on as one. */
			grace_err_set(&e, name, rd.lineno, 0, "torn last record: "
			    "%zu bytes after the last newline, not printed (a "
			    "crash during append?); 'grace-log repair' moves "
			    "them aside", n);
			grace_err_print(stderr, prog, &e);
			*status = GRACE_EXIT_INPUT;
			continue;
		}
		if (emit_record(out, name, rd.lineno, line, n, events))
			*status = GRACE_EXIT_INPUT;
		if (out->len >= (1u << 20) && grace_cli_flush(out, NULL) < 0)
			break;
	}
	if (t < 0)
		*status = report(&e);
	grace_lines_free(&rd);
	if (grace_cli_flush(out, NULL) < 0) {
		grace_err_sys(&e, "<stdout>", "unable to write");
		*status = report(&e);
		return -1;
	}
	return t < 0 ? -1 : 0;
}

static void
usage_cat(FILE *f)
{
	fprintf(f,
	    "usage: grace-log cat [-e] [-f LOG]... [FILE...]\n"
	    "\n"
	    "Print the records of the log segments in order, or with -e the events they\n"
	    "hold, so that the log can feed a pipeline. cat does not verify: run verify.\n");
}

static int
cmd_cat(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "file", required_argument, NULL, 'f' },
		{ "events", no_argument, NULL, 'e' },
		{ "help", no_argument, NULL, 'h' },
		{ 0, 0, 0, 0 },
	};
	char **files = calloc((size_t)argc + 1, sizeof *files);
	struct grace_buf out = {0};
	struct grace_err e;
	size_t nfiles = 0, i;
	int c, events = 0, status = GRACE_EXIT_OK;
	const char *def;

	if (!files) {
		grace_err_sys(&e, NULL, "unable to start");
		return report(&e);
	}
	while ((c = getopt_long(argc, argv, "f:eh", lo, NULL)) != -1) {
		switch (c) {
		case 'f': files[nfiles++] = optarg; break;
		case 'e': events = 1; break;
		case 'h': usage_cat(stdout); free(files); return 0;
		default: free(files); return usage_error("cat", NULL);
		}
	}
	while (optind < argc)
		files[nfiles++] = argv[optind++];
	if (nfiles == 0 && (def = default_log(NULL)))
		files[nfiles++] = (char *)def;
	if (nfiles == 0) {
		free(files);
		return usage_error("cat", "%s", "no log file: use -f LOG or set GRACE_LOG");
	}
	for (i = 0; i < nfiles; i++) {
		int fd = open(files[i], O_RDONLY | O_CLOEXEC);

		if (fd < 0) {
			grace_err_sys(&e, files[i], "unable to open");
			status = report(&e);
			break;
		}
		c = cat_fd(fd, files[i], events, &out, &status);
		close(fd);
		if (c < 0)
			break;
	}
	grace_buf_free(&out);
	free(files);
	return status;
}

static void
usage_tail(FILE *f)
{
	fprintf(f,
	    "usage: grace-log tail [-n N] [-F] [-e] [-f] LOG\n"
	    "\n"
	    "Print the last N records (default 10; -n +N: from line N on), or with -e\n"
	    "their events. -F follows the file as it grows, across rotations, until killed.\n");
}

/* Offset of the start of the last n lines of fd (complete lines only). */
static long long
last_lines_offset(int fd, unsigned long long n, long long size)
{
	char buf[65536];
	long long pos = size, nl = 0;
	int seen = 0;

	if (n == 0)
		return size;
	while (pos > 0) {
		long long start = pos > (long long)sizeof buf ?
		    pos - (long long)sizeof buf : 0;
		size_t len = (size_t)(pos - start);
		size_t i;

		if (grace_pread_all(fd, buf, len, (unsigned long long)start) < 0)
			return -1;
		for (i = len; i > 0; i--) {
			if (buf[i - 1] != '\n')
				continue;
			/* The newline ending the last complete line does not
			 * count (what follows it is a torn tail, not shown). */
			if (!seen) {
				seen = 1;
				continue;
			}
			if ((unsigned long long)++nl == n)
				return start + (long long)i;
		}
		pos = start;
	}
	return 0;
}

static int
cmd_tail(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "file", required_argument, NULL, 'f' },
		{ "lines", required_argument, NULL, 'n' },
		{ "follow", no_argument, NULL, 'F' },
		{ "events", no_argument, NULL, 'e' },
		{ "help", no_argument, NULL, 'h' },
		{ 0, 0, 0, 0 },
	};
	const char *log = NULL;
	unsigned long long n = 10, from_line = 0;
	int c, follow = 0, events = 0, status = GRACE_EXIT_OK, fd;
	struct grace_buf out = {0}, part = {0};
	struct grace_err e;
	struct stat st;
	long long off;
	unsigned long lineno = 0;
	int rotated = 0;
	char buf[65536];

	while ((c = getopt_long(argc, argv, "f:n:Feh", lo, NULL)) != -1) {
		switch (c) {
		case 'f': log = optarg; break;
		case 'n':
			if (optarg[0] == '+') {
				if (parse_size(optarg + 1, &from_line) < 0 ||
				    from_line == 0)
					return usage_error("tail", "-n takes N or "
					    "+N, not '%s'", optarg);
			} else if (parse_size(optarg, &n) < 0) {
				return usage_error("tail", "-n takes N or +N, "
				    "not '%s'", optarg);
			}
			break;
		case 'F': follow = 1; break;
		case 'e': events = 1; break;
		case 'h': usage_tail(stdout); return 0;
		default: return usage_error("tail", NULL);
		}
	}
	if (optind < argc && !log)
		log = argv[optind++];
	if (optind < argc)
		return usage_error("tail", "unexpected argument '%s'", argv[optind]);
	if (!(log = default_log(log)))
		return usage_error("tail", "%s", "no log file: use -f LOG or set GRACE_LOG");
	fd = open(log, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		grace_err_sys(&e, log, "unable to open");
		return report(&e);
	}
	if (fstat(fd, &st) < 0) {
		grace_err_sys(&e, log, "unable to stat");
		close(fd);
		return report(&e);
	}
	if (from_line)
		off = 0;
	else if ((off = last_lines_offset(fd, n, (long long)st.st_size)) < 0) {
		grace_err_sys(&e, log, "unable to read");
		close(fd);
		return report(&e);
	}
	/* Stream from off; hold a partial last line until it is complete. */
	for (;;) {
		ssize_t got = pread(fd, buf, sizeof buf, (off_t)off);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			grace_err_sys(&e, log, "unable to read");
			status = report(&e);
			break;
		}
		if (got > 0) {
			char *s = buf, *end = buf + got, *nl;

			off += got;
			while ((nl = memchr(s, '\n', (size_t)(end - s)))) {
				const char *line = s;
				size_t len = (size_t)(nl - s);

				if (part.len) {
					grace_buf_add(&part, s, len);
					line = part.p;
					len = part.len;
				}
				lineno++;
				if (!from_line || lineno >= from_line) {
					if (emit_record(&out, log, lineno, line,
					    len, events))
						status = GRACE_EXIT_INPUT;
				}
				grace_buf_reset(&part);
				s = nl + 1;
			}
			grace_buf_add(&part, s, (size_t)(end - s));
			continue;
		}
		if (grace_cli_flush(&out, NULL) < 0) {
			grace_err_sys(&e, "<stdout>", "unable to write");
			status = report(&e);
			break;
		}
		if (!follow)
			break;
		{
			struct stat now, cur;
			struct timespec pause = { 0, 200 * 1000 * 1000 };

			if (rotated) {
				/* The old file was read to its end once more
				 * after the rotation was seen (a batch written
				 * just before it is not lost): go on with the
				 * new one. */
				int nfd = open(log, O_RDONLY | O_CLOEXEC);

				rotated = 0;
				if (nfd >= 0) {
					close(fd);
					fd = nfd;
					off = 0;
					lineno = 0;
					grace_buf_reset(&part);
					continue;
				}
			} else if (stat(log, &now) == 0 && fstat(fd, &cur) == 0 &&
			    (now.st_ino != cur.st_ino || now.st_dev != cur.st_dev)) {
				rotated = 1;
				continue;
			} else if (fstat(fd, &cur) == 0 && cur.st_size < off) {
				fprintf(stderr, "%s: %s: file truncated; "
				    "following from its new end\n", prog, log);
				off = cur.st_size;
				grace_buf_reset(&part);
			}
			nanosleep(&pause, NULL);
		}
	}
	close(fd);
	grace_buf_free(&out);
	grace_buf_free(&part);
	return status;
}

/* -------------------------------------------------------------------- main */

/* ------------------------------------------------------------- proofs */

static void
usage_prove(FILE *f)
{
	fprintf(f,
	    "usage: grace-log prove [-f LOG]... -p KEY... --inclusion SEQ CHECKPOINT [-o FILE]\n"
	    "       grace-log prove [-f LOG]... -p KEY... --consistency OLD NEW [-o FILE]\n"
	    "\n"
	    "Verify the log and its signed checkpoints, then write an RFC 9162 proof that\n"
	    "anyone can check without the log (grace-log verify-proof): that record SEQ is\n"
	    "in the tree CHECKPOINT signed (a c2sp.org/tlog-proof, the checkpoint in it), or\n"
	    "that the tree checkpoint NEW signed extends the tree of OLD.\n"
	    "\n"
	    "  -f, --file LOG        a log segment (repeatable, oldest first; default $GRACE_LOG)\n"
	    "  -p, --pubkey KEY      a verifier key, or a file holding one (repeatable)\n"
	    "      --inclusion SEQ   prove the record of seq SEQ\n"
	    "      --consistency     prove that NEW extends OLD\n"
	    "  -o, --output FILE     write the proof to FILE (replaced atomically)\n"
	    "Exit status: 0 proof written, 1 the log does not verify or does not match a\n"
	    "checkpoint, 2 usage error, 4 system error.\n");
}

struct prove_state {
	struct grace_prover *pr;
	int consistency;
	uint64_t seq, size;    /* inclusion: the seq wanted; the tree's size */
	uint64_t first_seq;
	int started;
};

/* Each verified record: the prover takes the first size of them (an
 * inclusion prover is made at the first, when its seq tells the index). */
static int
prove_each(void *arg, const char *line, size_t n, struct grace_err *e)
{
	struct prove_state *ps = arg;

	if (!ps->started) {
		struct grace_log_rec r;
		const char *why;

		ps->started = 1;
		if (grace_log_parse(line, n, &r, &why) < 0)
			return grace_err_setc(e, GRACE_EXIT_SYSTEM,
			    "a verified record does not parse: %s", why);
		ps->first_seq = r.seq;
		if (!ps->consistency) {
			if (ps->seq < r.seq || ps->seq - r.seq >= ps->size)
				return grace_err_setc(e, GRACE_EXIT_USAGE,
				    "no record of seq %llu in the %llu records "
				    "the checkpoint covers (seq %llu to %llu)",
				    (unsigned long long)ps->seq,
				    (unsigned long long)ps->size,
				    (unsigned long long)r.seq,
				    (unsigned long long)(r.seq + ps->size - 1));
			ps->pr = grace_prover_inclusion(ps->seq - r.seq,
			    ps->size, e);
			if (!ps->pr)
				return -1;
		}
	}
	if (!ps->pr || grace_prover_needs(ps->pr) == 0)
		return 0;
	return grace_prover_add(ps->pr, line, n, e);
}

/* Open the signed checkpoint file path with the verifiers vs into cp;
 * *text (malloc'd) and *len get the file. Returns 0, or -1 (e). */
static int
open_checkpoint(const char *path, struct grace_note_verifier **vs, size_t nvs,
    struct grace_checkpoint *cp, char **text, size_t *len,
    struct grace_err *e)
{
	char msg[sizeof e->msg];

	if (!(*text = grace_read_file(path, MAX_CHECKPOINT, len, e)))
		return -1;
	if (grace_checkpoint_open(*text, *len, vs, nvs, cp, e) < 0) {
		snprintf(msg, sizeof msg, "%s", e->msg);
		grace_err_set(e, path, 0, 0, "%s", msg);
		e->code = GRACE_EXIT_NEGATIVE;
		free(*text);
		*text = NULL;
		return -1;
	}
	return 0;
}

/* The consistency proof (its text, appended to out) that the tree of
 * old is a prefix of the tree of cp, from the log files[0..nfiles),
 * which must still hold cp's tree. Returns 0, or -1 with e filled. */
static int
consistency_proof(char *const *files, size_t nfiles,
    const struct grace_checkpoint *old, const struct grace_checkpoint *cp,
    struct grace_buf *out, struct grace_err *e)
{
	struct prove_state ps;
	struct grace_log_expect ex;
	struct grace_log_result res;
	struct grace_proof proof;
	uint8_t root[GRACE_MERKLE_HASHLEN], first[GRACE_MERKLE_HASHLEN];
	int rc = -1;

	memset(&ps, 0, sizeof ps);
	memset(&ex, 0, sizeof ex);
	ps.consistency = 1;
	ps.size = cp->size;
	if (!(ps.pr = grace_prover_consistency(old->size, cp->size, e)))
		return -1;
	ex.size = cp->size;
	memcpy(ex.root, cp->root, sizeof ex.root);
	ex.label = "the new checkpoint";
	if (grace_log_verify_each((const char *const *)files, nfiles, &ex, 1,
	    0, NULL, NULL, prove_each, &ps, &res, e) < 0)
		goto out;
	if (res.intact && grace_prover_finish(ps.pr, &proof, root, first,
	    e) < 0)
		goto out;
	if (!res.intact || memcmp(root, cp->root, sizeof root) != 0 ||
	    memcmp(first, old->root, sizeof first) != 0) {
		grace_err_setc(e, GRACE_EXIT_NEGATIVE, "the log changed while "
		    "it was read: its tree is not the one just signed");
		goto out;
	}
	if (grace_proof_format(out, &proof, NULL, 0) < 0) {
		grace_err_sys(e, NULL, "out of memory");
		goto out;
	}
	rc = 0;
out:
	grace_prover_free(ps.pr);
	return rc;
}

static int
cmd_prove(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "file", required_argument, NULL, 'f' },
		{ "pubkey", required_argument, NULL, 'p' },
		{ "inclusion", required_argument, NULL, 'I' },
		{ "consistency", no_argument, NULL, 'C' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ 0, 0, 0, 0 },
	};
	struct chain_cmd cc;
	struct prove_state ps;
	struct grace_checkpoint cp[2];
	struct grace_note_verifier **vs = NULL;
	struct grace_proof proof;
	struct grace_buf out = { 0 };
	struct grace_err e;
	uint8_t root[GRACE_MERKLE_HASHLEN], first[GRACE_MERKLE_HASHLEN];
	char *text[2] = { NULL, NULL };
	size_t len[2] = { 0, 0 }, ncp, i;
	const char *output = NULL, *def;
	unsigned long long seq;
	int c, status, inclusion = 0;

	memset(&ps, 0, sizeof ps);
	grace_checkpoint_init(&cp[0]);
	grace_checkpoint_init(&cp[1]);
	if ((status = chain_cmd_init(&cc, "prove", argc)) != 0)
		return status;
	while ((c = getopt_long(argc, argv, "f:p:o:h", lo, NULL)) != -1) {
		if (c != 'c' && chain_cmd_opt(&cc, c, optarg))
			continue;
		switch (c) {
		case 'I':
			inclusion = 1;
			if (parse_size(optarg, &seq) < 0 || seq == 0) {
				status = usage_error("prove", "--inclusion "
				    "'%s': not a seq (1 or more)", optarg);
				goto out;
			}
			ps.seq = seq;
			break;
		case 'C': ps.consistency = 1; break;
		case 'o': output = optarg; break;
		case 'h': usage_prove(stdout); goto out;
		default: status = usage_error("prove", NULL); goto out;
		}
	}
	ncp = ps.consistency ? 2 : 1;
	if (inclusion == ps.consistency) {
		status = usage_error("prove", "%s", "say which proof: "
		    "--inclusion SEQ CHECKPOINT or --consistency OLD NEW");
		goto out;
	}
	if (argc - optind != (int)ncp) {
		status = usage_error("prove", "%s", ps.consistency ?
		    "--consistency takes two checkpoints: OLD NEW" :
		    "--inclusion SEQ takes one checkpoint");
		goto out;
	}
	if (!cc.nkeys) {
		status = usage_error("prove", "%s", "no key: use --pubkey KEY "
		    "(an unsigned checkpoint proves nothing)");
		goto out;
	}
	for (i = 0; i < ncp; i++)
		cc.cps[cc.ncp++] = argv[optind + (int)i];
	optind = argc;
	if (cc.nfiles == 0 && (def = default_log(NULL)))
		cc.files[cc.nfiles++] = (char *)def;
	if (cc.nfiles == 0) {
		status = usage_error("prove", "%s", "no log file: use -f LOG "
		    "or set GRACE_LOG");
		goto out;
	}
	/* The checkpoints first, for the tree's size; the verification
	 * opens them again and checks the log against them. */
	if (grace_chain_load_verifiers((const char *const *)cc.keys, cc.nkeys,
	    &vs, &e) < 0) {
		status = report(&e);
		goto out;
	}
	for (i = 0; i < ncp; i++) {
		if (open_checkpoint(cc.cps[i], vs, cc.nkeys, &cp[i], &text[i],
		    &len[i], &e) < 0) {
			status = report(&e);
			goto out;
		}
	}
	if (ps.consistency) {
		if (strcmp(cp[0].origin, cp[1].origin) != 0) {
			status = usage_error("prove", "%s and %s are "
			    "checkpoints of two logs ('%s', '%s')", cc.cps[0],
			    cc.cps[1], cp[0].origin, cp[1].origin);
			goto out;
		}
		if (!(ps.pr = grace_prover_consistency(cp[0].size, cp[1].size,
		    &e))) {
			grace_err_setc(&e, GRACE_EXIT_USAGE, "%s covers %llu "
			    "records, %s %llu: the old checkpoint must not be "
			    "larger than the new, nor empty", cc.cps[0],
			    (unsigned long long)cp[0].size, cc.cps[1],
			    (unsigned long long)cp[1].size);
			status = report(&e);
			goto out;
		}
	}
	ps.size = cp[ncp - 1].size;
	cc.ch.each = prove_each;
	cc.ch.each_arg = &ps;
	if ((status = chain_cmd_verify(&cc, argc, argv)) != 0)
		goto out;
	if (!cc.ch.res.intact) {
		fprintf(stderr, "%s: prove: refusing to prove from a log that "
		    "does not verify\n", prog);
		status = GRACE_EXIT_NEGATIVE;
		goto out;
	}
	if (!ps.pr || grace_prover_finish(ps.pr, &proof, root, first, &e) < 0) {
		if (!ps.pr)
			grace_err_setc(&e, GRACE_EXIT_USAGE, "no record of seq "
			    "%llu: the log is empty",
			    (unsigned long long)ps.seq);
		status = report(&e);
		goto out;
	}
	/* The verification compared the roots already: fail closed if the
	 * prover's tree is not the checkpoints' all the same. */
	if (memcmp(root, cp[ncp - 1].root, sizeof root) != 0 ||
	    (ps.consistency && memcmp(first, cp[0].root, sizeof first) != 0)) {
		fprintf(stderr, "%s: prove: the log changed while it was read: "
		    "its tree is not the one the checkpoint signed\n", prog);
		status = GRACE_EXIT_NEGATIVE;
		goto out;
	}
	if (grace_proof_format(&out, &proof, text[0], len[0]) < 0) {
		grace_err_sys(&e, NULL, "unable to write the proof");
		status = report(&e);
		goto out;
	}
	if (output) {
		if (grace_atomic_write(output, out.p, out.len, 0644, &e) < 0)
			status = report(&e);
	} else if (grace_write_all(STDOUT_FILENO, out.p, out.len) < 0) {
		grace_err_sys(&e, "<stdout>", "unable to write");
		status = report(&e);
	}
out:
	grace_prover_free(ps.pr);
	grace_chain_free_verifiers(vs, cc.nkeys);
	for (i = 0; i < 2; i++) {
		grace_checkpoint_clear(&cp[i]);
		free(text[i]);
	}
	grace_buf_free(&out);
	chain_cmd_free(&cc);
	return status;
}

static void
usage_verify_proof(FILE *f)
{
	fprintf(f,
	    "usage: grace-log verify-proof -p KEY... [-r RECORD] PROOF\n"
	    "       grace-log verify-proof -p KEY... PROOF OLD NEW\n"
	    "\n"
	    "Check a proof that 'grace-log prove' wrote, without the log: that the record\n"
	    "(one line of the log: from RECORD, or stdin) is in the tree the proof's\n"
	    "checkpoint signed; or that the tree checkpoint NEW signed extends the tree\n"
	    "of OLD. Each checkpoint's signature must verify with one of the keys.\n"
	    "\n"
	    "  -p, --pubkey KEY      a verifier key, or a file holding one (repeatable)\n"
	    "  -r, --record FILE     the record (default: standard input)\n"
	    "  -q, --quiet           no 'ok' line: the exit status only\n"
	    "Exit status: 0 proven, 1 not proven (a proof that does not hold, is\n"
	    "malformed, or whose checkpoint's signature does not verify), 2 usage error,\n"
	    "4 system error.\n");
}

/* "not proven" with its reason; returns 1. */
static int
not_proven(const char *path, const struct grace_err *why)
{
	fprintf(stderr, "%s: %s: not proven: %s\n", prog, path, why->msg);
	return GRACE_EXIT_NEGATIVE;
}

static int
cmd_verify_proof(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "pubkey", required_argument, NULL, 'p' },
		{ "record", required_argument, NULL, 'r' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0, 0, 0, 0 },
	};
	char **keys = calloc((size_t)argc + 1, sizeof *keys);
	struct grace_note_verifier **vs = NULL;
	struct grace_checkpoint cp[2];
	struct grace_proof proof;
	struct grace_err e;
	const char *record = NULL, *path;
	char *ptext = NULL, *rtext = NULL, *cptext[2] = { NULL, NULL };
	size_t nkeys = 0, plen, rlen, cplen, off, i;
	uint8_t leaf[GRACE_MERKLE_HASHLEN];
	struct grace_log_rec rec;
	const char *why;
	int c, status = GRACE_EXIT_OK, quiet = 0, rc;

	grace_checkpoint_init(&cp[0]);
	grace_checkpoint_init(&cp[1]);
	if (!keys) {
		grace_err_sys(&e, NULL, "unable to start");
		return report(&e);
	}
	while ((c = getopt_long(argc, argv, "p:r:qh", lo, NULL)) != -1) {
		switch (c) {
		case 'p': keys[nkeys++] = optarg; break;
		case 'r': record = optarg; break;
		case 'q': quiet = 1; break;
		case 'h': usage_verify_proof(stdout); goto out;
		default: status = usage_error("verify-proof", NULL); goto out;
		}
	}
	if (argc - optind != 1 && argc - optind != 3) {
		status = usage_error("verify-proof", "%s", "give a PROOF, and "
		    "for a consistency proof the checkpoints OLD NEW");
		goto out;
	}
	if (!nkeys) {
		status = usage_error("verify-proof", "%s", "no key: use "
		    "--pubkey KEY (an unsigned checkpoint proves nothing)");
		goto out;
	}
	path = argv[optind];
	if (grace_chain_load_verifiers((const char *const *)keys, nkeys, &vs,
	    &e) < 0 || !(ptext = grace_read_file(path, MAX_CHECKPOINT * 2,
	    &plen, &e))) {
		status = report(&e);
		goto out;
	}
	if (grace_proof_parse(ptext, plen, &proof, &off, &e) < 0) {
		status = not_proven(path, &e);
		goto out;
	}
	if (proof.consistency != (argc - optind == 3)) {
		status = usage_error("verify-proof", "%s", proof.consistency ?
		    "a consistency proof is checked against two checkpoints: "
		    "PROOF OLD NEW" : "an inclusion proof carries its "
		    "checkpoint: give the PROOF alone (and the record)");
		goto out;
	}
	if (!proof.consistency) {
		if (grace_checkpoint_open(ptext + off, plen - off, vs, nkeys,
		    &cp[0], &e) < 0) {
			status = not_proven(path, &e);
			goto out;
		}
		proof.size = cp[0].size;
		if (!(rtext = grace_read_file(record ? record : "/dev/stdin",
		    MAX_RECORD_LINE + 1, &rlen, &e))) {
			status = report(&e);
			goto out;
		}
		/* One record: one line, its newline optional. */
		if (rlen && rtext[rlen - 1] == '\n')
			rlen--;
		if (rlen == 0 || memchr(rtext, '\n', rlen)) {
			grace_err_setc(&e, GRACE_EXIT_USAGE, "%s: give one "
			    "record, one line of the log", record ? record :
			    "<stdin>");
			status = report(&e);
			goto out;
		}
		if (grace_log_parse(rtext, rlen, &rec, &why) < 0) {
			grace_err_setc(&e, GRACE_EXIT_NEGATIVE, "%s: not a "
			    "record of a log: %s", record ? record : "<stdin>",
			    why);
			status = not_proven(path, &e);
			goto out;
		}
		if (grace_merkle_leaf_hash(rtext, rlen, leaf) < 0) {
			grace_err_sys(&e, NULL, "unable to hash");
			status = report(&e);
			goto out;
		}
		rc = grace_proof_check_inclusion(&proof, leaf, cp[0].root);
	} else {
		for (i = 0; i < 2; i++) {
			const char *cpath = argv[optind + 1 + (int)i];

			if (open_checkpoint(cpath, vs, nkeys, &cp[i],
			    &cptext[i], &cplen, &e) < 0) {
				status = e.code == GRACE_EXIT_NEGATIVE ?
				    not_proven(path, &e) : report(&e);
				goto out;
			}
		}
		if (strcmp(cp[0].origin, cp[1].origin) != 0 ||
		    cp[0].size != proof.index || cp[1].size != proof.size) {
			grace_err_setc(&e, GRACE_EXIT_NEGATIVE, "the proof is "
			    "from %llu to %llu records; the checkpoints are "
			    "'%s' at %llu and '%s' at %llu",
			    (unsigned long long)proof.index,
			    (unsigned long long)proof.size, cp[0].origin,
			    (unsigned long long)cp[0].size, cp[1].origin,
			    (unsigned long long)cp[1].size);
			status = not_proven(path, &e);
			goto out;
		}
		rc = grace_proof_check_consistency(&proof, cp[0].root,
		    cp[1].root);
	}
	if (rc < 0) {
		grace_err_setc(&e, GRACE_EXIT_SYSTEM, "unable to hash "
		    "(libcrypto failure)");
		status = report(&e);
		goto out;
	}
	if (rc > 0) {
		grace_err_setc(&e, GRACE_EXIT_NEGATIVE, "%s", proof.consistency ?
		    "the new tree does not extend the old (a fork, or history "
		    "rewritten)" : "the record is not at that index of the "
		    "signed tree");
		status = not_proven(path, &e);
		goto out;
	}
	if (quiet)
		;
	else if (proof.consistency)
		printf("%s: ok: %s at %llu records extends itself at %llu\n",
		    path, cp[1].origin, (unsigned long long)cp[1].size,
		    (unsigned long long)cp[0].size);
	else
		printf("%s: ok: record %llu (leaf %llu) is in %s at %llu "
		    "records\n", path, (unsigned long long)rec.seq,
		    (unsigned long long)proof.index, cp[0].origin,
		    (unsigned long long)cp[0].size);
	if (!quiet && fflush(stdout) != 0) {
		grace_err_sys(&e, "<stdout>", "unable to write");
		status = report(&e);
	}
out:
	grace_chain_free_verifiers(vs, nkeys);
	for (i = 0; i < 2; i++) {
		grace_checkpoint_clear(&cp[i]);
		free(cptext[i]);
	}
	free(ptext);
	free(rtext);
	free(keys);
	return status;
}

/* ------------------------------------------------------------ witness */

static void
usage_witness(FILE *f)
{
	fprintf(f,
	    "usage: grace-log witness --state DIR --key KEYFILE -p KEY... [--proof PROOF]\n"
	    "                         -o FILE CHECKPOINT\n"
	    "       grace-log witness --state DIR --key KEYFILE -p KEY... --events [--strict]\n"
	    "                         [FILE...]\n"
	    "\n"
	    "Witness a log's new checkpoint: its signature must verify with a -p key, and\n"
	    "it must be consistent with the last checkpoint of that origin this witness\n"
	    "cosigned (kept in DIR): larger, with a consistency proof from that one\n"
	    "('grace-log prove --consistency'), or the same tree. Then add a C2SP\n"
	    "tlog-cosignature and write the cosigned checkpoint to FILE. A fork, a\n"
	    "rewrite, a checkpoint that goes backwards or a missing proof is refused.\n"
	    "Either way one event goes to stdout: grace.witness.cosigned, or\n"
	    "grace.witness.refused with the reason.\n"
	    "\n"
	    "With --events, it reads grace.checkpoint events ('grace-log checkpoint\n"
	    "--event') from stdin or the FILEs, and writes one such event for each, the\n"
	    "cosigned checkpoint in its data.note.\n"
	    "\n"
	    "  -s, --state DIR     the witness's state: the last checkpoint it cosigned\n"
	    "                      for each origin (made if missing)\n"
	    "  -k, --key KEYFILE   the witness's signing key ('grace-log keygen --witness')\n"
	    "  -p, --pubkey KEY    the log's verifier key, or a file holding one (repeatable)\n"
	    "      --proof PROOF   a consistency proof from the last cosigned checkpoint\n"
	    "  -o, --output FILE   the cosigned checkpoint (replaced atomically)\n"
	    "      --events        read grace.checkpoint events, not a CHECKPOINT file\n"
	    "      --strict        with --events: stop at the first bad line\n"
	    "Exit status: 0 cosigned, 1 refused, 2 usage error, 3 a bad input line,\n"
	    "4 system error.\n");
}

struct witness {
	struct grace_note_signer *w;
	struct grace_note_verifier **vs;
	size_t nvs;
	const char *state;
	const char *output;     /* file mode: where the cosigned note goes */
	int lfd;                /* the state directory's lock file */
	char lpath[PATH_MAX];
	struct grace_buf b, tmp, note, proof; /* event mode scratch */
};

/* The witness's result event, appended to out: cp is the checkpoint
 * (as signed, if it verified; else as it claims), from where it came (a
 * file, or an event's input and line), note the cosigned checkpoint or
 * the one refused, reason NULL when cosigned. */
static int
witness_event(struct grace_buf *out, const char *type, const char *wname,
    const struct grace_checkpoint *cp, const char *from, int have_last,
    const struct grace_checkpoint *last, const char *note,
    const char *reason, struct grace_err *e)
{
	struct grace_timefmt tf;
	struct grace_buf b = { 0 };
	char now[GRACE_TIME_LEN], root[GRACE_B64_ENCLEN(GRACE_MERKLE_HASHLEN)];
	char idhex[GRACE_SHA256_HEXLEN + 1];
	uint8_t id[GRACE_SHA256_LEN];
	struct grace_sha256 *sha = grace_sha256_new();
	int rc = 0;

	grace_timefmt_init(&tf);
	grace_time_now(&tf, now);
	grace_b64_encode(cp->root, sizeof cp->root, root);
	/* The id: the verdict on this tree of this origin at this time. */
	grace_buf_addf(&b, "%s\n%s\n%llu\n%s\n%s", type, cp->origin,
	    (unsigned long long)cp->size, root, now);
	if (!sha || grace_sha256_once(sha, b.p, b.len, id) < 0) {
		grace_sha256_free(sha);
		grace_buf_free(&b);
		return grace_err_setc(e, GRACE_EXIT_SYSTEM, "unable to hash");
	}
	grace_sha256_free(sha);
	grace_buf_free(&b);
	grace_hex_encode(id, sizeof id, idhex);
	grace_buf_addf(out, "{\"specversion\":\"1.0\",\"id\":\"w-%.16s\","
	    "\"type\":\"%s\",\"source\":\"grace-log witness\",\"time\":\"%s\","
	    "\"subject\":", idhex, type, now);
	grace_buf_add_jstr(out, cp->origin, strlen(cp->origin));
	grace_buf_adds(out, ",\"data\":{\"witness\":");
	grace_buf_add_jstr(out, wname, strlen(wname));
	grace_buf_adds(out, ",\"origin\":");
	grace_buf_add_jstr(out, cp->origin, strlen(cp->origin));
	grace_buf_addf(out, ",\"size\":%llu,\"root\":\"%s\",\"checkpoint\":",
	    (unsigned long long)cp->size, root);
	grace_buf_add_jstr(out, from, strlen(from));
	if (have_last) {
		grace_b64_encode(last->root, sizeof last->root, root);
		grace_buf_addf(out, ",\"last\":{\"size\":%llu,\"root\":\"%s\"}",
		    (unsigned long long)last->size, root);
	} else {
		grace_buf_adds(out, ",\"last\":null");
	}
	if (reason) {
		grace_buf_adds(out, ",\"reason\":");
		grace_buf_add_jstr(out, reason, strlen(reason));
	}
	grace_buf_adds(out, ",\"note\":");
	grace_buf_add_jstr(out, note, strlen(note));
	if (grace_buf_adds(out, "}}\n") < 0)
		rc = grace_err_sys(e, NULL, "out of memory");
	return rc;
}

/* Witness the signed checkpoint text[0..len) (from: where it came from,
 * for messages), with the consistency proof ptext[0..plen) (pname names
 * it; ptext NULL when none was given). The verdict's event is appended
 * to out and the reason of a refusal printed on stderr. Returns 0
 * cosigned, 1 refused, -1 with e filled (a system error). */
static int
witness_one(struct witness *wt, const char *text, size_t len,
    const char *ptext, size_t plen, const char *pname, const char *from,
    struct grace_buf *out, struct grace_err *e)
{
	struct grace_checkpoint cp, last;
	struct grace_proof proof;
	struct grace_sha256 *sha = NULL;
	char *ltext = NULL, *cosigned = NULL, spath[PATH_MAX], reason[PATH_MAX + 1024] = "";
	char ohex[GRACE_SHA256_HEXLEN + 1];
	const char *body;
	uint8_t oh[GRACE_SHA256_LEN];
	size_t llen;
	int rc = -1, have_last = 0, locked = 0, c;

	grace_checkpoint_init(&cp);
	grace_checkpoint_init(&last);
	if (grace_checkpoint_open(text, len, wt->vs, wt->nvs, &cp, e) < 0) {
		if (e->code == GRACE_EXIT_SYSTEM)
			goto out;
		/* Not the log's: nothing to witness. The event names the
		 * origin and tree it claims, when it has the shape of one. */
		snprintf(reason, sizeof reason, "%s", e->msg);
		grace_err_clear(e);
		body = memmem(text, len, "\n\n", 2);
		if (!body || grace_checkpoint_parse(text,
		    (size_t)(body - text) + 1, &cp, e) < 0) {
			grace_checkpoint_init(&cp);
			snprintf(cp.origin, sizeof cp.origin, "%s", "");
		}
		grace_err_clear(e);
		goto refuse;
	}
	/* The state: one file per origin, named by the origin's hash,
	 * under an exclusive lock on the directory's lock file. */
	if (!(sha = grace_sha256_new()) ||
	    grace_sha256_once(sha, cp.origin, strlen(cp.origin), oh) < 0) {
		grace_err_setc(e, GRACE_EXIT_SYSTEM, "unable to hash");
		goto out;
	}
	grace_hex_encode(oh, sizeof oh, ohex);
	if ((size_t)snprintf(spath, sizeof spath, "%s/%.32s.cp", wt->state,
	    ohex) >= sizeof spath) {
		grace_err_set(e, wt->state, 0, 0, "path too long");
		e->code = GRACE_EXIT_USAGE;
		goto out;
	}
	if (grace_lock(wt->lfd, 0, wt->lpath, e) < 0)
		goto out;
	locked = 1;
	if ((ltext = grace_read_file(spath, MAX_CHECKPOINT, &llen, e))) {
		if (grace_checkpoint_open(ltext, llen, wt->vs, wt->nvs, &last,
		    e) < 0 || strcmp(last.origin, cp.origin) != 0) {
			/* Fail closed: without the last tree, no
			 * consistency can be checked. */
			snprintf(reason, sizeof reason, "the last checkpoint "
			    "cosigned for this origin (%s) does not verify: %s",
			    spath, strcmp(last.origin, cp.origin) ? "another "
			    "origin" : e->msg);
			grace_err_clear(e);
			goto refuse;
		}
		have_last = 1;
	} else if (errno != ENOENT) {
		goto out;
	}
	grace_err_clear(e);
	if (have_last && cp.size < last.size) {
		snprintf(reason, sizeof reason, "goes backwards: %llu records, "
		    "after %llu were cosigned", (unsigned long long)cp.size,
		    (unsigned long long)last.size);
		goto refuse;
	}
	if (have_last && cp.size == last.size) {
		if (memcmp(cp.root, last.root, sizeof cp.root) != 0) {
			snprintf(reason, sizeof reason, "a fork: another tree "
			    "of %llu records than the one cosigned",
			    (unsigned long long)cp.size);
			goto refuse;
		}
	} else if (have_last && last.size > 0) {
		/* (The empty tree is a prefix of every tree.) */
		if (!ptext) {
			snprintf(reason, sizeof reason, "no consistency proof "
			    "from the %llu records cosigned last (%s)",
			    (unsigned long long)last.size, wt->output ?
			    "use --proof" : "the event has no data.proof: "
			    "publish with checkpoint --event --since");
			goto refuse;
		}
		if (grace_proof_parse(ptext, plen, &proof, NULL, e) < 0 ||
		    !proof.consistency || proof.index != last.size ||
		    proof.size != cp.size) {
			snprintf(reason, sizeof reason, "%s: not a consistency "
			    "proof from %llu to %llu records%s%s", pname,
			    (unsigned long long)last.size,
			    (unsigned long long)cp.size, e->msg[0] ? ": " : "",
			    e->msg);
			grace_err_clear(e);
			goto refuse;
		}
		c = grace_proof_check_consistency(&proof, last.root, cp.root);
		if (c < 0) {
			grace_err_setc(e, GRACE_EXIT_SYSTEM, "unable to hash");
			goto out;
		}
		if (c > 0) {
			snprintf(reason, sizeof reason, "not consistent with the "
			    "%llu records cosigned last: a fork, or history "
			    "rewritten", (unsigned long long)last.size);
			goto refuse;
		}
	}
	if (!(cosigned = grace_note_cosign(text, len, wt->w,
	    (uint64_t)time(NULL), e)))
		goto out;
	/* The state first: a cosignature given out is never forgotten. */
	if (grace_atomic_write(spath, cosigned, strlen(cosigned), 0644,
	    e) < 0 || (wt->output && grace_atomic_write(wt->output, cosigned,
	    strlen(cosigned), 0644, e) < 0))
		goto out;
	if (witness_event(out, "grace.witness.cosigned",
	    grace_note_signer_name(wt->w), &cp, from, have_last, &last,
	    cosigned, NULL, e) == 0)
		rc = 0;
	goto out;
refuse:
	fprintf(stderr, "%s: %s: refused: %s\n", prog, from, reason);
	{
		/* The note refused, as it came: a signed fork is evidence. */
		char *copy = strndup(text, len);

		if (copy && witness_event(out, "grace.witness.refused",
		    grace_note_signer_name(wt->w), &cp, from, have_last, &last,
		    copy, reason, e) == 0)
			rc = 1;
		else if (!copy)
			grace_err_sys(e, NULL, "out of memory");
		free(copy);
	}
out:
	if (locked)
		grace_unlock(wt->lfd);
	grace_sha256_free(sha);
	grace_checkpoint_clear(&cp);
	grace_checkpoint_clear(&last);
	free(ltext);
	free(cosigned);
	return rc;
}

/* Event mode: each event a grace.checkpoint, its signed checkpoint in
 * data.checkpoint and the consistency proof (if any) in data.proof. */
static int
witness_each(void *ctx, const struct grace_event *ev, struct grace_buf *out,
    struct grace_err *e)
{
	static char *const cseg[] = { "data", "checkpoint" };
	static char *const pseg[] = { "data", "proof" };
	struct witness *wt = ctx;
	const struct grace_jspan *t = &ev->found[0];
	char from[PATH_MAX + 32], pname[PATH_MAX + 48];
	const char *why = NULL;
	int r, hasp;

	snprintf(from, sizeof from, "%s:%lu", ev->input, ev->line);
	if (t->kind != GRACE_J_STRING || t->len != 18 ||
	    memcmp(ev->p + t->off, "\"grace.checkpoint\"", 18) != 0)
		why = "not a grace.checkpoint event";
	else if ((r = grace_jpath_text(ev->p, ev->n, cseg, 2, &wt->note,
	    &wt->tmp)) <= 0) {
		if (r < 0)
			return grace_err_sys(e, NULL, "out of memory");
		why = "grace.checkpoint event without data.checkpoint";
	}
	if (why) {
		struct grace_err bad;

		grace_err_set(&bad, ev->input, ev->line, 0, "%s", why);
		bad.code = GRACE_EXIT_INPUT;
		grace_err_print(stderr, prog, &bad);
		if (grace_reject_json(out, prog, &bad) < 0)
			return grace_err_sys(e, NULL, "out of memory");
		return GRACE_EXIT_INPUT;
	}
	if ((hasp = grace_jpath_text(ev->p, ev->n, pseg, 2, &wt->proof,
	    &wt->tmp)) < 0)
		return grace_err_sys(e, NULL, "out of memory");
	snprintf(pname, sizeof pname, "%s data.proof", from);
	r = witness_one(wt, wt->note.p, wt->note.len, hasp ? wt->proof.p :
	    NULL, hasp ? wt->proof.len : 0, pname, from, out, e);
	return r < 0 ? -1 : r ? GRACE_EXIT_NEGATIVE : GRACE_EXIT_OK;
}

static void
witness_diag(void *ctx, const struct grace_err *e)
{
	(void)ctx;
	grace_err_print(stderr, prog, e);
}

static int
cmd_witness(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "state", required_argument, NULL, 's' },
		{ "key", required_argument, NULL, 'k' },
		{ "pubkey", required_argument, NULL, 'p' },
		{ "proof", required_argument, NULL, 'P' },
		{ "output", required_argument, NULL, 'o' },
		{ "strict", no_argument, NULL, 'S' },
		{ "events", no_argument, NULL, 'E' },
		{ "help", no_argument, NULL, 'h' },
		{ 0, 0, 0, 0 },
	};
	static const char *const keys[] = { "type" };
	char **pubs = calloc((size_t)argc + 1, sizeof *pubs);
	const char *keyfile = NULL, *proofp = NULL;
	struct witness wt;
	struct grace_filter_opts fo;
	struct grace_buf out = { 0 };
	struct grace_err e;
	char *text = NULL, *ptext = NULL;
	size_t len, plen = 0;
	int c, status = GRACE_EXIT_OK, strict = 0, events = 0, r;

	memset(&wt, 0, sizeof wt);
	wt.lfd = -1;
	if (!pubs) {
		grace_err_sys(&e, NULL, "unable to start");
		return report(&e);
	}
	while ((c = getopt_long(argc, argv, "s:k:p:o:h", lo, NULL)) != -1) {
		switch (c) {
		case 's': wt.state = optarg; break;
		case 'k': keyfile = optarg; break;
		case 'p': pubs[wt.nvs++] = optarg; break;
		case 'P': proofp = optarg; break;
		case 'o': wt.output = optarg; break;
		case 'S': strict = 1; break;
		case 'E': events = 1; break;
		case 'h': usage_witness(stdout); goto out;
		default: status = usage_error("witness", NULL); goto out;
		}
	}
	/* -o FILE CHECKPOINT: one checkpoint file; --events: events. */
	if (!wt.state || !keyfile || !wt.nvs ||
	    (!events && (argc - optind != 1 || !wt.output)) ||
	    (events && (proofp || wt.output))) {
		status = usage_error("witness", "%s", !wt.state ?
		    "no state: use --state DIR" : !keyfile ?
		    "no witness key: use --key KEYFILE" : !wt.nvs ?
		    "no log key: use --pubkey KEY" : events ? "--events writes "
		    "events, and reads their proofs from data.proof: no -o, "
		    "no --proof" : argc - optind != 1 ? "give one CHECKPOINT "
		    "(or --events)" :
		    "no output: use -o FILE for the cosigned checkpoint");
		goto out;
	}
	if (!events && strict) {
		status = usage_error("witness", "%s", "--strict goes with "
		    "--events");
		goto out;
	}
	if (!(wt.w = load_signer(keyfile, &e))) {
		status = report(&e);
		goto out;
	}
	if (!grace_note_signer_is_witness(wt.w)) {
		grace_err_set(&e, keyfile, 0, 0, "not a witness key: make one "
		    "with grace-log keygen --witness");
		e.code = GRACE_EXIT_USAGE;
		status = report(&e);
		goto out;
	}
	if (grace_chain_load_verifiers((const char *const *)pubs, wt.nvs,
	    &wt.vs, &e) < 0) {
		status = report(&e);
		goto out;
	}
	if (wt.output) {
		if (!(text = grace_read_file(argv[optind], MAX_CHECKPOINT, &len,
		    &e)) || (proofp && !(ptext = grace_read_file(proofp,
		    MAX_CHECKPOINT, &plen, &e)))) {
			status = report(&e);
			goto out;
		}
	}
	if ((size_t)snprintf(wt.lpath, sizeof wt.lpath, "%s/witness.lock",
	    wt.state) >= sizeof wt.lpath) {
		status = usage_error("witness", "%s", "--state: path too long");
		goto out;
	}
	if (mkdir(wt.state, 0755) < 0 && errno != EEXIST) {
		grace_err_sys(&e, wt.state, "unable to make the state directory");
		status = report(&e);
		goto out;
	}
	if ((wt.lfd = open(wt.lpath, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) < 0) {
		grace_err_sys(&e, wt.lpath, "unable to open");
		status = report(&e);
		goto out;
	}
	if (wt.output) {
		r = witness_one(&wt, text, len, ptext, plen, proofp ? proofp :
		    "", argv[optind], &out, &e);
		if (r < 0)
			status = report(&e);
		else if (grace_write_all(STDOUT_FILENO, out.p, out.len) < 0) {
			grace_err_sys(&e, "<stdout>", "unable to write");
			status = report(&e);
		} else
			status = r ? GRACE_EXIT_NEGATIVE : GRACE_EXIT_OK;
		goto out;
	}
	memset(&fo, 0, sizeof fo);
	fo.prog = prog;
	fo.strict = strict;
	fo.keys = keys;
	fo.nkeys = 1;
	fo.out_fd = STDOUT_FILENO;
	/* a checkpoint event carries a checkpoint and a proof: small */
	fo.max_line = 4 * MAX_CHECKPOINT;
	status = grace_filter_run(&fo, argv + optind, (size_t)(argc - optind),
	    witness_each, witness_diag, &wt, NULL, &e);
	if (status == GRACE_EXIT_SYSTEM)
		report(&e);
out:
	if (wt.lfd >= 0)
		close(wt.lfd);
	grace_note_signer_free(wt.w);
	grace_chain_free_verifiers(wt.vs, wt.nvs);
	grace_buf_free(&wt.b);
	grace_buf_free(&wt.tmp);
	grace_buf_free(&wt.note);
	grace_buf_free(&wt.proof);
	grace_buf_free(&out);
	free(text);
	free(ptext);
	free(pubs);
	return status;
}

int
main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} cmds[] = {
		{ "append", cmd_append },
		{ "verify", cmd_verify },
		{ "checkpoint", cmd_checkpoint },
		{ "keygen", cmd_keygen },
		{ "repair", cmd_repair },
		{ "rotate", cmd_rotate },
		{ "report", cmd_report },
		{ "prove", cmd_prove },
		{ "verify-proof", cmd_verify_proof },
		{ "witness", cmd_witness },
		{ "cat", cmd_cat },
		{ "tail", cmd_tail },
	};
	size_t i;

	/* A file size limit (ulimit -f) makes write() fail with EFBIG, like
	 * a full disk, instead of killing us half-way through a batch: the
	 * append is then rolled back and reported. */
	signal(SIGXFSZ, SIG_IGN);
	if (argc < 2) {
		usage_main(stderr);
		return GRACE_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage_main(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
		printf("grace-log (grace) %s\n", GRACE_VERSION);
		return 0;
	}
	for (i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
		if (strcmp(argv[1], cmds[i].name) == 0) {
			char name[32];
			int r;

			/* getopt_long names argv[0] in its messages: make them
			 * read "grace-log: append: unrecognized option ...". */
			snprintf(name, sizeof name, "%s: %s", prog, cmds[i].name);
			argv[1] = name;
			r = cmds[i].fn(argc - 1, argv + 1);

			if (fflush(stdout) != 0 || ferror(stdout)) {
				fprintf(stderr, "%s: <stdout>: unable to write: %s\n",
				    prog, strerror(errno));
				return GRACE_EXIT_SYSTEM;
			}
			return r;
		}
	}
	if (argv[1][0] == '-')
		return usage_error(NULL, "unrecognized option '%s'", argv[1]);
	return usage_error(NULL, "unknown command '%s'", argv[1]);
}
