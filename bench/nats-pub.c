/* nats-pub - the minimal JetStream publisher bench/route-nats.sh measures
 * grace-route's nats target against: the same client library and the
 * same settings (asynchronous publishes, 256 in flight, Nats-Msg-Id from
 * the event's id, the stream expected, every acknowledgment awaited),
 * none of the routing.
 *
 *   nats-pub URL reset STREAM SUBJECTS   delete the stream, add it again
 *                                        (file storage)
 *   nats-pub URL pub STREAM SUBJECT FILE publish each line of FILE
 *   nats-pub URL sub STREAM DURABLE N    read N messages from a new durable
 *                                        pull consumer as grace-route
 *                                        --source does: explicit acks, 256
 *                                        unacknowledged at most, fetches of
 *                                        256, each acknowledged and flushed
 *                                        before the next; the data to stdout
 *
 * Exit 0, or 1 with the library's error on stderr. */
#include <nats/nats.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WINDOW 256

static int
fail(const char *what, natsStatus s)
{
	const char *last = nats_GetLastError(NULL);

	fprintf(stderr, "nats-pub: %s: %s\n", what, last && *last ? last :
	    natsStatus_GetText(s));
	return 1;
}

static int errors;

static void
ack_err(jsCtx *js, jsPubAckErr *pae, void *arg)
{
	(void)js;
	(void)pae;
	(void)arg;
	errors++;
}

static int
pub(jsCtx *js, const char *stream, const char *subject, const char *file)
{
	FILE *f = fopen(file, "r");
	char *line = NULL, id[256];
	size_t cap = 0, inflight = 0;
	ssize_t n;
	natsStatus s = NATS_OK;
	jsPubOptions po;

	if (!f) {
		perror(file);
		return 1;
	}
	while ((n = getline(&line, &cap, f)) > 0) {
		natsMsg *m = NULL;
		const char *p = strstr(line, "\"id\":\""), *q;

		if (line[n - 1] == '\n')
			n--;
		if (p && (q = strchr(p + 6, '"')) && q - p - 6 < (long)sizeof id) {
			memcpy(id, p + 6, (size_t)(q - p - 6));
			id[q - p - 6] = '\0';
		} else {
			snprintf(id, sizeof id, "line-%zu", inflight);
		}
		s = natsMsg_Create(&m, subject, NULL, line, (int)n);
		if (s == NATS_OK)
			s = natsMsgHeader_Set(m, "Nats-Msg-Id", id);
		jsPubOptions_Init(&po);
		po.ExpectStream = stream;
		if (s == NATS_OK)
			s = js_PublishMsgAsync(js, &m, &po);
		natsMsg_Destroy(m);
		if (s != NATS_OK)
			break;
		if (++inflight == WINDOW) {
			jsPubOptions_Init(&po);
			po.MaxWait = 5000;
			if ((s = js_PublishAsyncComplete(js, &po)) != NATS_OK)
				break;
			inflight = 0;
		}
	}
	if (s == NATS_OK) {
		jsPubOptions_Init(&po);
		po.MaxWait = 5000;
		s = js_PublishAsyncComplete(js, &po);
	}
	free(line);
	fclose(f);
	if (s != NATS_OK)
		return fail("publish", s);
	if (errors) {
		fprintf(stderr, "nats-pub: %d publishes failed\n", errors);
		return 1;
	}
	return 0;
}

static int
sub(natsConnection *nc, jsCtx *js, const char *stream, const char *durable,
    long n)
{
	jsConsumerConfig cc;
	jsConsumerInfo *ci = NULL;
	jsSubOptions so;
	natsSubscription *s = NULL;
	natsStatus st;
	long got = 0;

	jsConsumerConfig_Init(&cc);
	cc.Durable = durable;
	cc.AckPolicy = js_AckExplicit;
	cc.DeliverPolicy = js_DeliverAll;
	cc.AckWait = 30LL * 1000000000LL;
	cc.MaxAckPending = WINDOW;
	if ((st = js_AddConsumer(&ci, js, stream, &cc, NULL, NULL)) != NATS_OK)
		return fail("add consumer", st);
	jsConsumerInfo_Destroy(ci);
	jsSubOptions_Init(&so);
	so.Stream = stream;
	so.Consumer = durable;
	if ((st = js_PullSubscribe(&s, js, ">", durable, NULL, &so, NULL)) !=
	    NATS_OK)
		return fail("pull subscribe", st);
	while (got < n) {
		natsMsgList l;
		int i;

		st = natsSubscription_Fetch(&l, s, WINDOW, 1000, NULL);
		if (st == NATS_TIMEOUT)
			break;
		if (st != NATS_OK)
			return fail("fetch", st);
		for (i = 0; i < l.Count; i++) {
			fwrite(natsMsg_GetData(l.Msgs[i]), 1,
			    (size_t)natsMsg_GetDataLength(l.Msgs[i]), stdout);
			putchar('\n');
		}
		fflush(stdout);
		for (i = 0; i < l.Count && st == NATS_OK; i++)
			st = natsMsg_Ack(l.Msgs[i], NULL);
		if (st == NATS_OK)
			st = natsConnection_FlushTimeout(nc, 5000);
		got += l.Count;
		natsMsgList_Destroy(&l);
		if (st != NATS_OK)
			return fail("ack", st);
	}
	natsSubscription_Destroy(s);
	if (got != n) {
		fprintf(stderr, "nats-sub: %ld of %ld messages\n", got, n);
		return 1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	natsConnection *nc = NULL;
	jsCtx *js = NULL;
	jsOptions jo;
	natsStatus s;
	int rc = 0;

	if (argc < 5) {
		fprintf(stderr, "usage: nats-pub URL reset|pub|sub STREAM ...\n");
		return 2;
	}
	if ((s = natsConnection_ConnectTo(&nc, argv[1])) != NATS_OK)
		return fail("connect", s);
	jsOptions_Init(&jo);
	jo.PublishAsync.MaxPending = WINDOW;
	jo.PublishAsync.ErrHandler = ack_err;
	if ((s = natsConnection_JetStream(&js, nc, &jo)) != NATS_OK)
		return fail("jetstream", s);
	if (strcmp(argv[2], "reset") == 0) {
		jsStreamConfig cfg;
		jsStreamInfo *si = NULL;
		const char *subj[1] = { argv[4] };

		(void)js_DeleteStream(js, argv[3], NULL, NULL);
		jsStreamConfig_Init(&cfg);
		cfg.Name = argv[3];
		cfg.Subjects = subj;
		cfg.SubjectsLen = 1;
		cfg.Storage = js_FileStorage;
		if ((s = js_AddStream(&si, js, &cfg, NULL, NULL)) != NATS_OK)
			rc = fail("reset", s);
		jsStreamInfo_Destroy(si);
	} else if (strcmp(argv[2], "pub") == 0 && argc == 6) {
		rc = pub(js, argv[3], argv[4], argv[5]);
	} else if (strcmp(argv[2], "sub") == 0 && argc == 6) {
		rc = sub(nc, js, argv[3], argv[4], atol(argv[5]));
	} else {
		fprintf(stderr, "nats-pub: bad command\n");
		rc = 2;
	}
	jsCtx_Destroy(js);
	natsConnection_Destroy(nc);
	nats_Close();
	return rc;
}
