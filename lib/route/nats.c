/* nats.c - NATS JetStream through the NATS C client (libnats): the nats
 * target kind (route_int.h) and the source that reads a durable pull
 * consumer (route.h).
 *
 * The target publishes each event asynchronously to its subject with the
 * event's id as Nats-Msg-Id (so that the stream stores a retried publish
 * once), at most one batch (max_batch) in flight, and counts an event
 * delivered only when its publish acknowledgment came back: the delivered
 * prefix of a batch ends at the first event that failed or was not
 * acknowledged within the timeout. The router retries, backs off, trips
 * the breaker, spills and dead-letters as for any kind. The connection
 * does not reconnect by itself: a lost server is a failed write, and the
 * router's retries reconnect.
 */
#include <errno.h>
#include <nats/nats.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "jpath.h"
#include "json.h"
#include "log/log.h"
#include "ready.h"
#include "route_int.h"
#include "timeutil.h"

#define NATS_BATCH 256          /* the in-flight window, events */
#define WAIT_STEP_MS 50         /* waits look at t->abandon this often */

static atomic_int used;         /* the library was started */

enum { NK_ID, NK_TYPE, NK_SOURCE, NK_SUBJECT, NK_N };
static const char *const nkeys[NK_N] = { "id", "type", "source", "subject" };

struct natsst {
	natsOptions *opts;
	natsConnection *nc;
	jsCtx *js;
	int published;              /* an asynchronous publish was made */
	int probe;                  /* a new connection: one event first */
	/* the batch in flight, shared with the ack error handler */
	pthread_mutex_t mu;
	natsMsg *sent[NATS_BATCH];
	size_t nsent;
	size_t failed;              /* the first failed index, or SIZE_MAX */
	char why[256];
	struct grace_buf subj, val, tmp, id;
	struct grace_sha256 *sha;
	struct grace_jspan found[NK_N];
};

/* The library's last error on this thread, without the "(conn.c:12): "
 * it starts with, or the status's text. */
static const char *
last_error(natsStatus s)
{
	const char *last = nats_GetLastError(NULL), *c;

	if (!last || !*last)
		return natsStatus_GetText(s);
	if (*last == '(' && (c = strstr(last, "): ")))
		return c + 3;
	return last;
}

static int
nats_fail(struct grace_err *e, const char *what, const char *url,
    natsStatus s)
{
	return grace_err_set(e, NULL, 0, 0, "%s %s: %s", what, url,
	    last_error(s));
}

/* A new connection to url (timeout_ms to connect), reconnecting or not.
 * Returns 0 with *nc and *opts, or -1 (e filled). */
static int
connect_to(const char *url, int64_t timeout_ms, int reconnect,
    natsOptions **opts, natsConnection **nc, struct grace_err *e)
{
	natsStatus s;

	atomic_store(&used, 1);
	*nc = NULL;
	if ((s = natsOptions_Create(opts)) != NATS_OK)
		return nats_fail(e, "unable to connect to", url, s);
	{
		/* one URL, or a list separated by commas (a cluster) */
		const char *srv[16];
		char *copy = strdup(url), *tok, *save;
		int ns = 0;

		if (!copy) {
			natsOptions_Destroy(*opts);
			*opts = NULL;
			return grace_err_sys(e, NULL, "out of memory");
		}
		for (tok = strtok_r(copy, ",", &save); tok && ns < 16;
		    tok = strtok_r(NULL, ",", &save))
			srv[ns++] = tok;
		s = natsOptions_SetServers(*opts, srv, ns);
		free(copy);
	}
	if (s == NATS_OK)
		s = natsOptions_SetTimeout(*opts, timeout_ms);
	if (s == NATS_OK)
		s = natsOptions_SetAllowReconnect(*opts, reconnect != 0);
	if (s == NATS_OK && reconnect)
		s = natsOptions_SetMaxReconnect(*opts, -1);
	if (s == NATS_OK && reconnect)
		s = natsOptions_SetReconnectWait(*opts, 250);
	if (s == NATS_OK)
		s = natsConnection_Connect(nc, *opts);
	if (s != NATS_OK) {
		nats_fail(e, "unable to connect to", url, s);
		natsOptions_Destroy(*opts);
		*opts = NULL;
		*nc = NULL;
		return -1;
	}
	return 0;
}

/* An asynchronous publish failed (the library's thread): remember the
 * first of the batch that did. The newest entry holding that address is
 * the message (an older one with the same address was freed before it
 * was made). */
static void
ack_err(jsCtx *js, jsPubAckErr *pae, void *arg)
{
	struct natsst *x = arg;
	size_t i;

	(void)js;
	pthread_mutex_lock(&x->mu);
	for (i = x->nsent; i-- > 0; )
		if (x->sent[i] == pae->Msg)
			break;
	if (i != (size_t)-1 && i < x->failed) {
		x->failed = i;
		snprintf(x->why, sizeof x->why, "publish not acknowledged: %s",
		    pae->ErrText ? pae->ErrText : natsStatus_GetText(pae->Err));
	} else if (i == (size_t)-1 && x->failed == SIZE_MAX) {
		x->failed = 0;      /* not ours to place: count none */
		snprintf(x->why, sizeof x->why, "publish not acknowledged: %s",
		    pae->ErrText ? pae->ErrText : natsStatus_GetText(pae->Err));
	}
	pthread_mutex_unlock(&x->mu);
}

static void
nats_close(struct grace_rt *t, int64_t wait_ms)
{
	struct natsst *x = t->kind;

	(void)wait_ms;
	if (!x)
		return;
	if (x->js) {
		natsMsgList pl;

		/* (the library crashes asking before any publish) */
		if (x->published &&
		    js_PublishAsyncGetPendingList(&pl, x->js) == NATS_OK)
			natsMsgList_Destroy(&pl);
		jsCtx_Destroy(x->js);
	}
	natsConnection_Destroy(x->nc);
	natsOptions_Destroy(x->opts);
	pthread_mutex_destroy(&x->mu);
	grace_buf_free(&x->subj);
	grace_buf_free(&x->val);
	grace_buf_free(&x->tmp);
	grace_buf_free(&x->id);
	grace_sha256_free(x->sha);
	free(x);
	t->kind = NULL;
}

/* Connect, and make sure the stream is there: grace-route does not
 * create it (its subjects, storage and replicas are the operator's). */
static int
nats_open(struct grace_rt *t, struct grace_err *e)
{
	const struct grace_rtarget_cfg *c = t->cfg;
	struct natsst *x = calloc(1, sizeof *x);
	jsStreamInfo *si = NULL;
	jsOptions jo;
	jsErrCode jerr = 0;
	natsStatus s;

	if (!x || !(x->sha = grace_sha256_new())) {
		free(x);
		return grace_err_sys(e, NULL, "out of memory");
	}
	pthread_mutex_init(&x->mu, NULL);
	x->failed = SIZE_MAX;
	x->probe = 1;
	t->kind = x;
	if (connect_to(c->url, c->timeout_ms, 0, &x->opts, &x->nc, e) < 0) {
		nats_close(t, 0);
		return -1;
	}
	jsOptions_Init(&jo);
	jo.Wait = c->timeout_ms;
	jo.PublishAsync.MaxPending = NATS_BATCH;
	jo.PublishAsync.ErrHandler = ack_err;
	jo.PublishAsync.ErrHandlerClosure = x;
	if ((s = natsConnection_JetStream(&x->js, x->nc, &jo)) != NATS_OK) {
		nats_fail(e, "no JetStream at", c->url, s);
		nats_close(t, 0);
		return -1;
	}
	s = js_GetStreamInfo(&si, x->js, c->stream, NULL, &jerr);
	jsStreamInfo_Destroy(si);
	if (s == NATS_NOT_FOUND) {
		grace_err_set(e, NULL, 0, 0, "stream '%s' does not exist on %s "
		    "(routing makes no stream: make it with grace-route "
		    "--create-streams, or add it with subjects that take "
		    "'%s')", c->stream, c->url, c->subject);
		nats_close(t, 0);
		return -1;
	}
	if (s != NATS_OK) {
		nats_fail(e, "unable to look up the stream on", c->url, s);
		nats_close(t, 0);
		return -1;
	}
	return 0;
}

/* Append the text of v (a top-level member's span in p) to b, made safe
 * for a NATS subject: letters, digits, '_' and '-' as they are, '.'
 * where it separates two non-empty tokens, anything else '_'; nothing
 * becomes "_". */
static int
add_safe(struct natsst *x, struct grace_buf *b, const char *p,
    const struct grace_jspan *v)
{
	size_t i, n;
	const char *s;
	int x1 = 0;

	grace_buf_reset(&x->val);
	if (v->kind == GRACE_J_STRING) {
		if (grace_json_unescape(&x->val, p + v->off, v->len) < 0)
			return -1;
	} else if (v->kind == GRACE_J_NUMBER) {
		if (grace_buf_add(&x->val, p + v->off, v->len) < 0)
			return -1;
	}
	s = x->val.p;
	n = x->val.len;
	if (n == 0)
		return grace_buf_add(b, "_", 1);
	for (i = 0; i < n; i++) {
		char ch = s[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' ||
		    (ch == '.' && i > 0 && i + 1 < n && s[i - 1] != '.' &&
		    s[i + 1] != '.')))
			ch = '_';
		x1 |= grace_buf_add(b, &ch, 1);
	}
	return x1;
}

/* The partition of the event p[0..n): FNV-1a (32 bits) of its key's
 * values, each followed by a NUL byte, modulo the count. */
static int
partition_of(struct natsst *x, const struct grace_rtarget_cfg *c,
    const char *p, size_t n, unsigned *part)
{
	uint32_t h = 2166136261u;
	size_t i, j;

	for (i = 0; i < c->npkey; i++) {
		if (grace_jpath_text(p, n, c->pkey[i].segs, c->pkey[i].nsegs,
		    &x->val, &x->tmp) < 0)
			return -1;
		for (j = 0; j <= x->val.len; j++) {
			h ^= j < x->val.len ? (unsigned char)x->val.p[j] : 0;
			h *= 16777619u;
		}
	}
	*part = h % c->pcount;
	return 0;
}

/* The subject and message id of the event p[0..n) (no '\n') into
 * x->subj and x->id. Returns 0, or -1 (e filled). */
static int
address(struct grace_rt *t, const char *p, size_t n, struct grace_err *e)
{
	const struct grace_rtarget_cfg *c = t->cfg;
	struct natsst *x = t->kind;
	const struct grace_jspan *id = &x->found[NK_ID];
	const char *s = c->subject;
	uint8_t d[GRACE_SHA256_LEN];
	char hex[GRACE_SHA256_HEXLEN + 1];
	struct grace_err bad;
	int r = 0;

	if (grace_json_scan(p, n, nkeys, NK_N, x->found, t->cfg->name, 0,
	    &bad) < 0)
		return grace_err_set(e, NULL, 0, 0, "not an event: %s", bad.msg);
	grace_buf_reset(&x->subj);
	while (*s && r == 0) {
		if (strncmp(s, "{type}", 6) == 0) {
			r = add_safe(x, &x->subj, p, &x->found[NK_TYPE]);
			s += 6;
		} else if (strncmp(s, "{source}", 8) == 0) {
			r = add_safe(x, &x->subj, p, &x->found[NK_SOURCE]);
			s += 8;
		} else if (strncmp(s, "{subject}", 9) == 0) {
			r = add_safe(x, &x->subj, p, &x->found[NK_SUBJECT]);
			s += 9;
		} else if (strncmp(s, "{partition}", 11) == 0) {
			unsigned part;

			r = partition_of(x, c, p, n, &part);
			if (r == 0)
				r = grace_buf_addf(&x->subj, "%u", part);
			s += 11;
		} else {
			r = grace_buf_add(&x->subj, s++, 1);
		}
	}
	/* The id, when it is a string or a number that can be a header
	 * value; otherwise the SHA-256 of the line. */
	grace_buf_reset(&x->id);
	if (r == 0 && (id->kind == GRACE_J_STRING ||
	    id->kind == GRACE_J_NUMBER)) {
		size_t i;

		r = id->kind == GRACE_J_STRING ?
		    grace_json_unescape(&x->id, p + id->off, id->len) :
		    grace_buf_add(&x->id, p + id->off, id->len);
		for (i = 0; r == 0 && i < x->id.len; i++)
			if ((unsigned char)x->id.p[i] < 0x20 ||
			    x->id.p[i] == 0x7f)
				break;
		if (r == 0 && (i < x->id.len || x->id.len == 0 ||
		    x->id.len > 1024))
			grace_buf_reset(&x->id);
	}
	if (r == 0 && x->id.len == 0) {
		if (grace_sha256_once(x->sha, p, n, d) < 0)
			return grace_err_set(e, NULL, 0, 0, "SHA-256 failed");
		grace_hex_encode(d, sizeof d, hex);
		r = grace_buf_add(&x->id, hex, GRACE_SHA256_HEXLEN);
	}
	if (r == 0)
		r = grace_buf_add(&x->subj, "", 0) | grace_buf_add(&x->id, "", 0);
	return r ? grace_err_sys(e, NULL, "out of memory") : 0;
}

static int
nats_write(struct grace_rt *t, struct grace_ritem *const *items, size_t n,
    size_t *done, struct grace_err *e)
{
	const struct grace_rtarget_cfg *c = t->cfg;
	struct natsst *x = t->kind;
	size_t i, upto, pubfail = SIZE_MAX;
	jsPubOptions po;
	natsStatus s = NATS_OK;
	double end;
	char why[1100] = "";

	*done = 0;
	if (n > c->window)
		n = c->window;
	/* On a new connection (the first, or one after a failure: the
	 * router reopens) one event goes alone and is acknowledged before
	 * a window is sent: a server that cannot take the stream's
	 * publishes yet (no responders while it rejoins, no leader) fails
	 * that one, not the first events of a window whose later ones it
	 * stores, which, published again, would land after them. */
	if (x->probe)
		n = 1;
	pthread_mutex_lock(&x->mu);
	x->nsent = 0;
	x->failed = SIZE_MAX;
	x->why[0] = '\0';
	pthread_mutex_unlock(&x->mu);
	for (i = 0; i < n; i++) {
		natsMsg *msg = NULL;
		struct grace_err ae;

		if (address(t, items[i]->p, items[i]->n - 1, &ae) < 0) {
			snprintf(why, sizeof why, "%s", ae.msg);
			pubfail = i;
			break;
		}
		s = natsMsg_Create(&msg, x->subj.p, NULL, items[i]->p,
		    (int)(items[i]->n - 1));
		if (s == NATS_OK)
			s = natsMsgHeader_Set(msg, "Nats-Msg-Id", x->id.p);
		if (s == NATS_OK) {
			pthread_mutex_lock(&x->mu);
			x->sent[i] = msg;
			x->nsent = i + 1;
			pthread_mutex_unlock(&x->mu);
			jsPubOptions_Init(&po);
			po.ExpectStream = c->stream;
			s = js_PublishMsgAsync(x->js, &msg, &po);
			if (s == NATS_OK)
				x->published = 1;
		}
		if (s != NATS_OK) {
			natsMsg_Destroy(msg);
			snprintf(why, sizeof why, "unable to publish to '%s': %s",
			    x->subj.p, last_error(s));
			pubfail = i;
			break;
		}
	}
	/* Wait for the acknowledgments, looking at abandon between steps. */
	end = grace_mono_ms() + (double)c->timeout_ms;
	for (s = NATS_OK; x->published; ) {
		jsPubOptions_Init(&po);
		po.MaxWait = WAIT_STEP_MS;
		s = js_PublishAsyncComplete(x->js, &po);
		if (s != NATS_TIMEOUT || atomic_load(&t->abandon) ||
		    grace_mono_ms() >= end)
			break;
	}
	upto = pubfail < n ? pubfail : n;
	if (s != NATS_OK) {
		natsMsgList pl;
		int k;

		if (js_PublishAsyncGetPendingList(&pl, x->js) == NATS_OK) {
			pthread_mutex_lock(&x->mu);
			for (k = 0; k < pl.Count; k++) {
				for (i = x->nsent; i-- > 0; )
					if (x->sent[i] == pl.Msgs[k])
						break;
				if (i == (size_t)-1)
					i = 0;
				if (i < upto) {
					upto = i;
					snprintf(why, sizeof why, "%s", atomic_load(
					    &t->abandon) ? "drain deadline" :
					    "publish not acknowledged in time");
				}
			}
			pthread_mutex_unlock(&x->mu);
			natsMsgList_Destroy(&pl);
		} else if (upto) {
			upto = 0;
			snprintf(why, sizeof why, "publish not acknowledged in "
			    "time");
		}
	}
	pthread_mutex_lock(&x->mu);
	if (x->failed < upto) {
		upto = x->failed;
		snprintf(why, sizeof why, "%s", x->why);
	}
	x->nsent = 0;
	pthread_mutex_unlock(&x->mu);
	*done = upto;
	if (upto == n) {
		x->probe = 0;
		return 0;
	}
	return grace_err_set(e, NULL, 0, 0, "%s", why[0] ? why :
	    "publish failed");
}

static int
nats_flush(struct grace_rt *t, struct grace_err *e)
{
	(void)t;
	(void)e;
	return 0;
}

const struct grace_rtarget_ops grace_rtarget_nats_ops = {
	nats_open, nats_write, nats_flush, nats_close, NATS_BATCH,
};

/* ============================================================ source */

/* The source passes the messages on in the stream's order, once each
 * as far as it can tell, acknowledging them only when the program says
 * so. JetStream delivers a message for the first time in the stream's
 * order, but one delivered and not acknowledged comes again only when
 * its ack wait is over: a message a reader before us left (killed with
 * a batch in hand), or one delivered to us and lost on the way (a
 * server that went down), comes after newer ones. So the source keeps
 * newer messages back, in memory and unacknowledged, until every
 * message delivered and not acknowledged is in its hands; then it
 * passes them all on, in the order of their stream sequences.
 *
 * How it knows: each delivery has the consumer's next delivery
 * sequence (the server counts every delivery, again or not). While the
 * deliveries come one after another and none is a redelivery, nothing
 * is out of our hands. A gap (deliveries we did not get), a redelivery,
 * or acknowledgments pending at the start make the source "unsettled":
 * it holds what comes, and asks the consumer, after each fetch, how
 * many messages it has delivered and not had acknowledged. When that is
 * no more than what the source holds and has passed on unacknowledged,
 * they are all here. A delivery sequence that goes back (a new leader
 * of the consumer that had not heard of the last deliveries) also waits
 * out an ack wait, so that what that leader thinks is pending comes
 * again first. */

/* a message in hand, and its stream sequence */
struct srcmsg {
	natsMsg *m;
	uint64_t seq;
};

#define SRC_HOLD_MAX 4096       /* held back at most; newer ones come again */
#define SRC_ELECT_MS 30000      /* a cluster's answer to setting up, at most */

struct grace_rnats_src {
	char *url;                  /* nats://HOST:PORT */
	char *stream;
	char *durable;
	char *name;                 /* nats://HOST:PORT/STREAM */
	int64_t timeout_ms;
	natsOptions *opts;
	natsConnection *nc;
	jsCtx *js;
	natsSubscription *sub;
	/* passed on by the last fetch, in order, to acknowledge */
	struct srcmsg *out;
	size_t nout, capout;
	size_t nagain;              /* of them, passed on before or unordered */
	/* held back, sorted by stream sequence */
	struct srcmsg *held;
	size_t nheld, capheld;
	int unsettled;
	uint64_t last_dseq;         /* the newest delivery sequence seen */
	uint64_t passed;            /* the newest stream sequence passed on */
	double settle_at;           /* after a sequence went back: not before */
	double unsettled_since;
	int warned;
	double ack_wait_ms;         /* the consumer's */
};

static void
free_msgs(struct srcmsg *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		natsMsg_Destroy(v[i].m);
}

void
grace_rnats_src_close(struct grace_rnats_src *s)
{
	if (!s)
		return;
	free_msgs(s->out, s->nout);
	free_msgs(s->held, s->nheld);
	natsSubscription_Destroy(s->sub);
	jsCtx_Destroy(s->js);
	natsConnection_Destroy(s->nc);
	natsOptions_Destroy(s->opts);
	free(s->out);
	free(s->held);
	free(s->url);
	free(s->stream);
	free(s->durable);
	free(s->name);
	free(s);
}

/* 1 if st, jerr is what a cluster electing a leader answers. */
static int
retry_later(natsStatus st, jsErrCode jerr)
{
	return st == NATS_TIMEOUT || st == NATS_NO_RESPONDERS ||
	    jerr == JSClusterNotAvailErr || jerr == JSClusterNoPeersErr ||
	    jerr == JSStreamOfflineErr || jerr == JSConsumerOfflineErr;
}

/* The consumer's state into *ci, asking again while a cluster elects a
 * leader, as long as wait_ms. */
static natsStatus
consumer_info(struct grace_rnats_src *s, jsConsumerInfo **ci,
    jsErrCode *jerr, double wait_ms)
{
	double end = grace_mono_ms() + wait_ms;
	natsStatus st;

	for (;;) {
		*jerr = 0;
		*ci = NULL;
		st = js_GetConsumerInfo(ci, s->js, s->stream, s->durable, NULL,
		    jerr);
		if (st == NATS_OK || !retry_later(st, *jerr) ||
		    grace_mono_ms() >= end)
			return st;
		jsConsumerInfo_Destroy(*ci);
		nanosleep(&(struct timespec){ 0, 250000000L }, NULL);
	}
}

/* Something may be out of our hands: hold what comes (above). */
static void
unsettle(struct grace_rnats_src *s)
{
	if (!s->unsettled)
		s->unsettled_since = grace_mono_ms();
	s->unsettled = 1;
}

struct grace_rnats_src *
grace_rnats_src_open(const char *url, const char *durable,
    const char *filter, int64_t ack_wait_ms, int64_t timeout_ms,
    struct grace_err *e)
{
	struct grace_rnats_src *s = calloc(1, sizeof *s);
	const char *slash;
	jsConsumerInfo *ci = NULL;
	jsConsumerConfig cc;
	jsSubOptions so;
	jsErrCode jerr = 0;
	natsStatus st;
	double end;

	if (!s) {
		grace_err_sys(e, NULL, "out of memory");
		return NULL;
	}
	slash = strrchr(url, '/');
	if (!grace_rnats_source_ok(url)) {
		grace_err_set(e, NULL, 0, 0, "--source '%s' is not "
		    "nats://HOST:PORT/STREAM", url);
		e->code = GRACE_EXIT_USAGE;
		free(s);
		return NULL;
	}
	s->timeout_ms = timeout_ms;
	if (!(s->url = strndup(url, (size_t)(slash - url))) ||
	    !(s->stream = strdup(slash + 1)) || !(s->name = strdup(url)) ||
	    !(s->durable = strdup(durable))) {
		grace_err_sys(e, NULL, "out of memory");
		grace_rnats_src_close(s);
		return NULL;
	}
	if (connect_to(s->url, timeout_ms, 1, &s->opts, &s->nc, e) < 0) {
		grace_rnats_src_close(s);
		return NULL;
	}
	if ((st = natsConnection_JetStream(&s->js, s->nc, NULL)) != NATS_OK) {
		nats_fail(e, "no JetStream at", s->url, st);
		grace_rnats_src_close(s);
		return NULL;
	}
	/* A cluster that is electing a leader, or catching a node up that
	 * just came back, answers with a timeout or no responders for a
	 * while: wait for it, SRC_ELECT_MS at most (or the connect timeout,
	 * if longer). A stream that is not there is said at once. */
	end = grace_mono_ms() + (timeout_ms > SRC_ELECT_MS ? (double)timeout_ms :
	    (double)SRC_ELECT_MS);
	for (;;) {
		st = consumer_info(s, &ci, &jerr, end - grace_mono_ms());
		if (st != NATS_NOT_FOUND || jerr == JSStreamNotFoundErr)
			break;
		jsConsumerConfig_Init(&cc);
		cc.Durable = durable;
		cc.AckPolicy = js_AckExplicit;
		cc.DeliverPolicy = js_DeliverAll;
		cc.AckWait = ack_wait_ms * 1000000;
		/* one batch unacknowledged at most: what the source holds
		 * back (above) is bounded by it */
		cc.MaxAckPending = NATS_BATCH;
		cc.FilterSubject = filter;
		jerr = 0;
		st = js_AddConsumer(&ci, s->js, s->stream, &cc, NULL, &jerr);
		if (!retry_later(st, jerr) || grace_mono_ms() >= end)
			break;
		jsConsumerInfo_Destroy(ci);
		ci = NULL;
		nanosleep(&(struct timespec){ 0, 250000000L }, NULL);
	}
	if (st == NATS_OK && filter && (!ci->Config->FilterSubject ||
	    strcmp(ci->Config->FilterSubject, filter) != 0)) {
		grace_err_set(e, NULL, 0, 0, "durable '%s' of stream '%s' "
		    "exists with subject filter '%s', not '%s'", durable,
		    s->stream, ci->Config->FilterSubject ?
		    ci->Config->FilterSubject : "", filter);
		jsConsumerInfo_Destroy(ci);
		grace_rnats_src_close(s);
		return NULL;
	}
	if (st != NATS_OK) {
		if (jerr == JSStreamNotFoundErr)
			grace_err_set(e, NULL, 0, 0, "stream '%s' does not exist "
			    "on %s", s->stream, s->url);
		else
			grace_err_set(e, NULL, 0, 0, "unable to set up durable "
			    "'%s' on stream '%s' at %s: %s", durable, s->stream,
			    s->url, last_error(st));
		jsConsumerInfo_Destroy(ci);
		grace_rnats_src_close(s);
		return NULL;
	}
	/* what a reader before us left unacknowledged comes again once its
	 * ack wait is over: until it did, newer messages are held back */
	s->ack_wait_ms = (double)(ci->Config->AckWait / 1000000);
	s->last_dseq = ci->Delivered.Consumer;
	s->passed = ci->AckFloor.Stream;
	if (ci->NumAckPending > 0)
		unsettle(s);
	jsSubOptions_Init(&so);
	so.Stream = s->stream;
	so.Consumer = durable;
	st = js_PullSubscribe(&s->sub, s->js, ci->Config->FilterSubject &&
	    *ci->Config->FilterSubject ? ci->Config->FilterSubject : ">",
	    durable, NULL, &so, &jerr);
	jsConsumerInfo_Destroy(ci);
	if (st != NATS_OK) {
		nats_fail(e, "unable to pull from", s->name, st);
		grace_rnats_src_close(s);
		return NULL;
	}
	return s;
}

const char *
grace_rnats_src_name(const struct grace_rnats_src *s)
{
	return s->name;
}

/* Append m (stream sequence seq) to *v (n, cap): 0, or -1 when out of
 * memory (m is not taken). */
static int
add_msg(struct srcmsg **v, size_t *n, size_t *cap, natsMsg *m, uint64_t seq)
{
	if (*n == *cap) {
		size_t c = *cap ? 2 * *cap : NATS_BATCH;
		struct srcmsg *nv = realloc(*v, c * sizeof **v);

		if (!nv)
			return -1;
		*v = nv;
		*cap = c;
	}
	(*v)[*n].m = m;
	(*v)[(*n)++].seq = seq;
	return 0;
}

/* Hold m back, in the order of stream sequences; a message held already
 * (delivered again while held) replaces the earlier delivery, whose
 * acknowledgment would be stale. Beyond SRC_HOLD_MAX the newest is let
 * go: it comes again. */
static int
hold(struct grace_rnats_src *s, natsMsg *m, uint64_t seq)
{
	size_t lo = 0, hi = s->nheld, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (s->held[mid].seq < seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < s->nheld && s->held[lo].seq == seq) {
		natsMsg_Destroy(s->held[lo].m);
		s->held[lo].m = m;
		return 0;
	}
	if (s->nheld >= SRC_HOLD_MAX) {
		if (lo == s->nheld) {
			natsMsg_Destroy(m);
			return 0;
		}
		natsMsg_Destroy(s->held[--s->nheld].m);
	}
	if (add_msg(&s->held, &s->nheld, &s->capheld, m, seq) < 0)
		return -1;
	memmove(s->held + lo + 1, s->held + lo,
	    (s->nheld - 1 - lo) * sizeof *s->held);
	s->held[lo].m = m;
	s->held[lo].seq = seq;
	return 0;
}

/* One delivery: passed on, or held back (above). */
static int
take(struct grace_rnats_src *s, natsMsg *m)
{
	jsMsgMetaData *md = NULL;
	uint64_t seq = 0, dseq = 0, ndel = 1;

	if (natsMsg_GetMetaData(&md, m) != NATS_OK) {
		/* not a JetStream delivery: nothing to order it by */
		jsMsgMetaData_Destroy(md);
		if (add_msg(&s->out, &s->nout, &s->capout, m, 0) < 0)
			return -1;
		s->nagain++;
		return 0;
	}
	seq = md->Sequence.Stream;
	dseq = md->Sequence.Consumer;
	ndel = md->NumDelivered;
	jsMsgMetaData_Destroy(md);
	if (dseq != s->last_dseq + 1) {
		unsettle(s);
		if (dseq <= s->last_dseq)
			s->settle_at = grace_mono_ms() + s->ack_wait_ms + 1000.0;
	}
	if (dseq > s->last_dseq)
		s->last_dseq = dseq;
	if (seq <= s->passed) {
		/* passed on already (its acknowledgment was lost), or late
		 * past what came after it: passed on again, a duplicate with
		 * its id, never a loss */
		if (add_msg(&s->out, &s->nout, &s->capout, m, seq) < 0)
			return -1;
		s->nagain++;
		return 0;
	}
	if (ndel > 1)
		unsettle(s);
	if (!s->unsettled && !s->nheld) {
		if (add_msg(&s->out, &s->nout, &s->capout, m, seq) < 0)
			return -1;
		s->passed = seq;
		return 0;
	}
	return hold(s, m, seq);
}

/* Unsettled: ask the consumer how many messages it has delivered and
 * not had acknowledged; when no more than the source has in hand, pass
 * what it holds on, in order. An answer that does not come leaves it
 * unsettled, to ask after the next fetch. */
static int
settle(struct grace_rnats_src *s, struct grace_err *e)
{
	jsConsumerInfo *ci = NULL;
	jsErrCode jerr = 0;
	double now = grace_mono_ms();
	int64_t inhand;
	size_t i;

	if (consumer_info(s, &ci, &jerr, 0) != NATS_OK) {
		jsConsumerInfo_Destroy(ci);
		return 0;
	}
	/* in hand and surely unacknowledged: what is held, and what this
	 * fetch passed on for the first time (one passed on again may be
	 * acknowledged already: not counted, which can only wait longer) */
	inhand = (int64_t)(s->nheld + s->nout - s->nagain);
	if (ci->NumAckPending <= inhand && now >= s->settle_at) {
		for (i = 0; i < s->nheld; i++) {
			if (add_msg(&s->out, &s->nout, &s->capout,
			    s->held[i].m, s->held[i].seq) < 0) {
				memmove(s->held, s->held + i, (s->nheld - i) *
				    sizeof *s->held);
				s->nheld -= i;
				jsConsumerInfo_Destroy(ci);
				return grace_err_sys(e, NULL, "out of memory");
			}
			if (s->held[i].seq > s->passed)
				s->passed = s->held[i].seq;
		}
		s->nheld = 0;
		s->unsettled = 0;
		s->warned = 0;
		s->last_dseq = ci->Delivered.Consumer;
	} else if (!s->warned && now - s->unsettled_since >
	    3.0 * s->ack_wait_ms + 5000.0) {
		fprintf(stderr, "grace-route: %s: %lld message%s delivered "
		    "and not acknowledged are not coming back to durable '%s' "
		    "(another reader?): %zu newer held back until they do\n",
		    s->name, (long long)(ci->NumAckPending - inhand),
		    ci->NumAckPending - inhand == 1 ? "" : "s", s->durable,
		    s->nheld);
		s->warned = 1;
	}
	jsConsumerInfo_Destroy(ci);
	return 0;
}

int
grace_rnats_src_fetch(struct grace_rnats_src *s, int64_t wait_ms,
    struct grace_err *e)
{
	natsMsgList list = {0};
	jsErrCode jerr = 0;
	natsStatus st;
	int i, rc = 0;

	/* what was passed on and not acknowledged comes again */
	free_msgs(s->out, s->nout);
	s->nout = s->nagain = 0;
	if (s->unsettled && wait_ms > 200)
		wait_ms = 200;
	st = natsSubscription_Fetch(&list, s->sub, NATS_BATCH, wait_ms,
	    &jerr);
	if (st == NATS_CONNECTION_CLOSED || st == NATS_INVALID_SUBSCRIPTION ||
	    st == NATS_ILLEGAL_STATE)
		return nats_fail(e, "unable to pull from", s->name, st);
	if (st != NATS_OK && st != NATS_TIMEOUT) {
		/* disconnected, reconnecting: nothing this time */
		nanosleep(&(struct timespec){ 0, 100 * 1000000L }, NULL);
		return 0;
	}
	for (i = 0; st == NATS_OK && i < list.Count; i++) {
		if (rc == 0 && take(s, list.Msgs[i]) < 0)
			rc = grace_err_sys(e, NULL, "out of memory");
		else if (rc == 0)
			list.Msgs[i] = NULL;    /* taken */
	}
	natsMsgList_Destroy(&list);
	if (rc == 0 && s->unsettled)
		rc = settle(s, e);
	return rc < 0 ? -1 : (int)s->nout;
}

int
grace_rnats_src_waiting(const struct grace_rnats_src *s)
{
	return s->unsettled && !s->warned;
}

const char *
grace_rnats_src_msg(const struct grace_rnats_src *s, size_t i, size_t *n,
    uint64_t *seq)
{
	natsMsg *m = s->out[i].m;

	*n = (size_t)natsMsg_GetDataLength(m);
	*seq = s->out[i].seq;
	return natsMsg_GetData(m) ? natsMsg_GetData(m) : "";
}

int
grace_rnats_src_ack(struct grace_rnats_src *s, struct grace_err *e)
{
	natsStatus st = NATS_OK;
	size_t i;

	/* (those held back are not: they are not passed on yet) */
	for (i = 0; i < s->nout && st == NATS_OK; i++)
		st = natsMsg_Ack(s->out[i].m, NULL);
	if (st == NATS_OK)
		st = natsConnection_FlushTimeout(s->nc, s->timeout_ms);
	free_msgs(s->out, s->nout);
	s->nout = s->nagain = 0;
	if (st != NATS_OK)
		return nats_fail(e, "unable to acknowledge to", s->name, st);
	return 0;
}

void
grace_rnats_shutdown(void)
{
	if (atomic_load(&used))
		nats_CloseAndWait(2000);
}

/* 1 if a and b are nats targets publishing to the same stream of the
 * same servers. */
static int
same_stream(const struct grace_rtarget_cfg *a, const struct grace_rtarget_cfg *b)
{
	return a->kind == GRACE_RK_NATS && b->kind == GRACE_RK_NATS &&
	    strcmp(a->url, b->url) == 0 && strcmp(a->stream, b->stream) == 0;
}

/* 1 if target i is the first of rs's nats targets on its stream. */
static int
first_of_stream(const struct grace_routes *rs, size_t i)
{
	size_t j;

	if (rs->t[i].kind != GRACE_RK_NATS)
		return 0;
	for (j = 0; j < i; j++)
		if (same_stream(&rs->t[j], &rs->t[i]))
			return 0;
	return 1;
}

/* --create-streams. The subjects a template publishes to, as a stream
 * subject, into *out: its literal tokens before the first variable, then
 * '>' (or the template itself when it has no variable). Returns 0, 1
 * when its first token holds a variable ('>' alone would take every
 * subject), or -1 when out of memory. */
static int
template_filter(const char *tpl, char **out)
{
	const char *v = strchr(tpl, '{'), *tok;

	*out = NULL;
	if (!v)
		return (*out = strdup(tpl)) ? 0 : -1;
	/* the start of the token the variable is in */
	for (tok = v; tok > tpl && tok[-1] != '.'; tok--)
		;
	if (tok == tpl)
		return 1;
	if (!(*out = malloc((size_t)(tok - tpl) + 2)))
		return -1;
	memcpy(*out, tpl, (size_t)(tok - tpl));
	memcpy(*out + (tok - tpl), ">", 2);
	return 0;
}

static void
say_stream(void (*say)(void *, const char *), void *arg, const char *what,
    const char *stream, const char *url, const jsStreamConfig *sc)
{
	struct grace_buf b = {0};
	int i;

	grace_buf_addf(&b, "stream '%s' on %s %s: subjects", stream, url, what);
	for (i = 0; i < sc->SubjectsLen; i++)
		grace_buf_addf(&b, "%s %s", i ? "," : "", sc->Subjects[i]);
	grace_buf_addf(&b, "; %s storage, %lld replica%s", sc->Storage ==
	    js_MemoryStorage ? "memory" : "file", (long long)sc->Replicas,
	    sc->Replicas == 1 ? "" : "s");
	if (sc->MaxMsgsPerSubject > 0)
		grace_buf_addf(&b, ", %lld message%s kept per subject",
		    (long long)sc->MaxMsgsPerSubject,
		    sc->MaxMsgsPerSubject == 1 ? "" : "s");
	if (b.p)
		say(arg, b.p);
	grace_buf_free(&b);
}

/* The stream of target i (the first of its (url, stream)), with the
 * subjects and settings of every target that publishes to it. */
static int
create_stream(const struct grace_routes *rs, size_t i,
    void (*say)(void *, const char *), void *arg, struct grace_err *e)
{
	const struct grace_rtarget_cfg *c = &rs->t[i], *o;
	const char **subj = calloc(rs->nt, sizeof *subj);
	natsOptions *opts = NULL;
	natsConnection *nc = NULL;
	jsCtx *js = NULL;
	jsOptions jo;
	jsStreamConfig sc;
	jsStreamInfo *si = NULL;
	jsErrCode jerr = 0;
	natsStatus s;
	size_t j, k, ns = 0;
	int rc = -1;

	if (!subj)
		return grace_err_sys(e, NULL, "out of memory");
	jsStreamConfig_Init(&sc);
	sc.Name = c->stream;
	sc.Storage = js_FileStorage;
	sc.Replicas = 1;
	for (j = i; j < rs->nt; j++) {
		char *f;
		int r;

		o = &rs->t[j];
		if (!same_stream(o, c))
			continue;
		if ((r = template_filter(o->subject, &f)) != 0) {
			if (r < 0) {
				grace_err_sys(e, NULL, "out of memory");
				goto out;
			}
			grace_err_set(e, rs->file, o->line, o->col, "target '%s': "
			    "its subject '%s' starts with a variable: make the "
			    "stream '%s' yourself, with the subjects it takes",
			    o->name, o->subject, o->stream);
			e->code = GRACE_EXIT_USAGE;
			goto out;
		}
		for (k = 0; k < ns && strcmp(subj[k], f) != 0; k++)
			;
		if (k < ns)
			free(f);
		else
			subj[ns++] = f;
		if (o->replicas > sc.Replicas)
			sc.Replicas = o->replicas;
		if (o->max_per_subject > 0 && (sc.MaxMsgsPerSubject <= 0 ||
		    o->max_per_subject < sc.MaxMsgsPerSubject))
			sc.MaxMsgsPerSubject = o->max_per_subject;
	}
	sc.Subjects = subj;
	sc.SubjectsLen = (int)ns;
	if (connect_to(c->url, c->timeout_ms, 0, &opts, &nc, e) < 0)
		goto out;
	jsOptions_Init(&jo);
	jo.Wait = c->timeout_ms;
	if ((s = natsConnection_JetStream(&js, nc, &jo)) != NATS_OK) {
		nats_fail(e, "no JetStream at", c->url, s);
		goto out;
	}
	s = js_GetStreamInfo(&si, js, c->stream, NULL, &jerr);
	if (s == NATS_OK) {
		say_stream(say, arg, "exists, left as it is", c->stream, c->url,
		    si->Config);
		rc = 0;
		goto out;
	}
	if (s != NATS_NOT_FOUND) {
		nats_fail(e, "unable to look up the stream on", c->url, s);
		goto out;
	}
	if ((s = js_AddStream(&si, js, &sc, NULL, &jerr)) != NATS_OK) {
		grace_err_set(e, NULL, 0, 0, "unable to make stream '%s' on %s: "
		    "%s", c->stream, c->url, last_error(s));
		goto out;
	}
	say_stream(say, arg, "made", c->stream, c->url, si->Config);
	rc = 0;
out:
	jsStreamInfo_Destroy(si);
	jsCtx_Destroy(js);
	if (nc)
		natsConnection_Destroy(nc);
	natsOptions_Destroy(opts);
	for (k = 0; k < ns; k++)
		free((char *)subj[k]);
	free(subj);
	return rc;
}

int
grace_rnats_create_streams(const struct grace_routes *rs,
    void (*say)(void *arg, const char *line), void *arg,
    struct grace_err *e)
{
	size_t i;

	/* each (servers, stream) once, at its first target */
	for (i = 0; i < rs->nt; i++)
		if (first_of_stream(rs, i) && create_stream(rs, i, say, arg,
		    e) < 0)
			return -1;
	return 0;
}

/* 1 if the NATS subject s matches the stream subject pat ('*' one token,
 * '>' one or more to the end). */
static int
subject_match(const char *pat, const char *s)
{
	for (;;) {
		const char *pe = strchr(pat, '.'), *se = strchr(s, '.');
		size_t pl = pe ? (size_t)(pe - pat) : strlen(pat);
		size_t sl = se ? (size_t)(se - s) : strlen(s);

		if (pl == 1 && *pat == '>')
			return sl > 0;
		if (!(pl == 1 && *pat == '*') &&
		    (pl != sl || memcmp(pat, s, pl) != 0))
			return 0;
		if (!pe || !se)
			return !pe && !se;
		pat = pe + 1;
		s = se + 1;
	}
}

/* The template tpl with {partition} as part and the event's members as
 * val, into b. */
static int
template_sample(const char *tpl, const char *val, unsigned part,
    struct grace_buf *b)
{
	const char *c;

	grace_buf_reset(b);
	for (c = tpl; *c; ) {
		if (strncmp(c, "{partition}", 11) == 0) {
			if (grace_buf_addu(b, part) < 0)
				return -1;
			c += 11;
		} else if (*c == '{') {
			if (grace_buf_adds(b, val) < 0)
				return -1;
			c = strchr(c, '}') + 1;
		} else if (grace_buf_add(b, c++, 1) < 0) {
			return -1;
		}
	}
	return 0;
}

/* The first subject of target c that the stream si does not take, into
 * b; 0 if it takes them all. The samples: a member's value as one token
 * and as two (a type such as deploy.finished), the first and the last
 * partition. */
static int
subject_not_taken(const struct grace_rtarget_cfg *c, const jsStreamInfo *si,
    struct grace_buf *b)
{
	static const char *const vals[] = { "x", "x.y" };
	unsigned parts[2] = { 0, c->pcount ? c->pcount - 1 : 0 };
	size_t v, p;
	int k;

	for (v = 0; v < 2; v++)
		for (p = 0; p < 2; p++) {
			if (template_sample(c->subject, vals[v], parts[p], b) < 0)
				return -1;
			for (k = 0; k < si->Config->SubjectsLen; k++)
				if (subject_match(si->Config->Subjects[k], b->p))
					break;
			if (k == si->Config->SubjectsLen)
				return 1;
		}
	return 0;
}

void
grace_rnats_ready(const struct grace_routes *rs, struct grace_ready *r)
{
	struct grace_buf subj = {0}, what = {0};
	size_t i, j;

	for (i = 0; i < rs->nt; i++) {
		const struct grace_rtarget_cfg *c = &rs->t[i];
		natsOptions *opts = NULL;
		natsConnection *nc = NULL;
		jsCtx *js = NULL;
		jsStreamInfo *si = NULL;
		jsOptions jo;
		jsErrCode jerr = 0;
		struct grace_err e;
		natsStatus s;
		int bad = 0, k;

		if (!first_of_stream(rs, i))
			continue;
		grace_buf_reset(&what);
		grace_buf_addf(&what, "%s on %s", c->stream, c->url);
		if (connect_to(c->url, c->timeout_ms, 0, &opts, &nc, &e) < 0) {
			grace_ready_add(r, "stream", what.p, 0, "%s", e.msg);
			continue;
		}
		jsOptions_Init(&jo);
		jo.Wait = c->timeout_ms;
		if ((s = natsConnection_JetStream(&js, nc, &jo)) != NATS_OK)
			grace_ready_add(r, "stream", what.p, 0, "no JetStream: "
			    "%s", last_error(s));
		else if ((s = js_GetStreamInfo(&si, js, c->stream, NULL,
		    &jerr)) == NATS_NOT_FOUND)
			grace_ready_add(r, "stream", what.p, 0, "does not exist "
			    "(grace-route --create-streams makes it)");
		else if (s != NATS_OK)
			grace_ready_add(r, "stream", what.p, 0, "unable to look "
			    "it up: %s", last_error(s));
		else {
			/* every target on it: does it take their subjects? */
			for (j = i; j < rs->nt && !bad; j++) {
				const struct grace_rtarget_cfg *o = &rs->t[j];

				if (!same_stream(o, c))
					continue;
				if ((k = subject_not_taken(o, si, &subj)) != 0) {
					bad = 1;
					grace_ready_add(r, "stream", what.p, 0,
					    "target '%s' publishes to '%s', which "
					    "it does not take", o->name, k < 0 ?
					    "?" : subj.p);
				}
			}
			if (!bad)
				grace_ready_add(r, "stream", what.p, 1, "exists, "
				    "takes the subjects of its targets");
		}
		jsStreamInfo_Destroy(si);
		jsCtx_Destroy(js);
		natsConnection_Destroy(nc);
		natsOptions_Destroy(opts);
	}
	grace_buf_free(&subj);
	grace_buf_free(&what);
}
