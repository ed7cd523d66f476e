/* pool.c - ordered worker pool (verify.h). */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "verify.h"

struct pitem {
	void *item;
	size_t left;       /* jobs not finished */
	int done;
};

struct pjob {
	uint64_t seq;
	size_t job;
};

struct grace_pool {
	pthread_mutex_t mu;
	pthread_cond_t work, done, room;
	pthread_t *th;
	void **wctx;
	size_t nth, nctx, started;
	grace_pool_fini_fn *fini;
	grace_pool_job_fn *job;
	struct pitem *ring;     /* items head..tail-1 at seq % cap */
	size_t cap;
	uint64_t head, tail;
	size_t incomplete, window;
	struct pjob *q;         /* circular queue of jobs */
	size_t qcap, qhead, qlen;
	int stop;
};

static struct pitem *
slot(struct grace_pool *p, uint64_t seq)
{
	return &p->ring[seq & (p->cap - 1)];
}

static void *
worker(void *arg)
{
	struct grace_pool *p = arg;
	size_t me;

	pthread_mutex_lock(&p->mu);
	me = p->started++;
	for (;;) {
		struct pjob j;
		void *item;

		while (!p->stop && p->qlen == 0)
			pthread_cond_wait(&p->work, &p->mu);
		if (p->qlen == 0)
			break;
		j = p->q[p->qhead];
		p->qhead = (p->qhead + 1) % p->qcap;
		p->qlen--;
		item = slot(p, j.seq)->item;
		pthread_mutex_unlock(&p->mu);
		p->job(p->wctx[me], item, j.job);
		pthread_mutex_lock(&p->mu);
		if (--slot(p, j.seq)->left == 0) {
			slot(p, j.seq)->done = 1;
			p->incomplete--;
			pthread_cond_broadcast(&p->done);
			pthread_cond_signal(&p->room);
		}
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

struct grace_pool *
grace_pool_new(size_t nthreads, size_t window, grace_pool_init_fn *init,
    grace_pool_fini_fn *fini, grace_pool_job_fn *job, void *arg,
    struct grace_err *e)
{
	struct grace_pool *p = calloc(1, sizeof *p);
	size_t i;

	if (!p) {
		grace_err_sys(e, NULL, "unable to start the workers");
		return NULL;
	}
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->work, NULL);
	pthread_cond_init(&p->done, NULL);
	pthread_cond_init(&p->room, NULL);
	p->fini = fini;
	p->job = job;
	p->window = window ? window : (nthreads * 4 > 16 ? nthreads * 4 : 16);
	p->cap = 64;
	p->qcap = 64;
	p->ring = calloc(p->cap, sizeof *p->ring);
	p->q = calloc(p->qcap, sizeof *p->q);
	p->th = calloc(nthreads, sizeof *p->th);
	p->wctx = calloc(nthreads, sizeof *p->wctx);
	if (!p->ring || !p->q || !p->th || !p->wctx)
		goto nomem;
	for (i = 0; i < nthreads; i++) {
		if (!(p->wctx[i] = init(arg)))
			goto nomem;
		p->nctx++;
	}
	for (i = 0; i < nthreads; i++) {
		int r = pthread_create(&p->th[i], NULL, worker, p);

		if (r) {
			errno = r;
			grace_err_sys(e, NULL, "unable to start a worker thread");
			grace_pool_free(p);
			return NULL;
		}
		p->nth++;
	}
	return p;
nomem:
	errno = ENOMEM;
	grace_err_sys(e, NULL, "unable to start the workers");
	grace_pool_free(p);
	return NULL;
}

/* Double the ring, keeping items at seq % cap. */
static int
grow_ring(struct grace_pool *p)
{
	size_t ncap = p->cap * 2;
	struct pitem *nr = calloc(ncap, sizeof *nr);
	uint64_t s;

	if (!nr)
		return -1;
	for (s = p->head; s < p->tail; s++)
		nr[s & (ncap - 1)] = *slot(p, s);
	free(p->ring);
	p->ring = nr;
	p->cap = ncap;
	return 0;
}

/* Make room in the job queue for n more jobs. */
static int
queue_room(struct grace_pool *p, size_t n)
{
	size_t ncap = p->qcap, i;
	struct pjob *nq;

	while (ncap < p->qlen + n)
		ncap *= 2;
	if (ncap == p->qcap)
		return 0;
	if (!(nq = malloc(ncap * sizeof *nq)))
		return -1;
	for (i = 0; i < p->qlen; i++)
		nq[i] = p->q[(p->qhead + i) % p->qcap];
	free(p->q);
	p->q = nq;
	p->qcap = ncap;
	p->qhead = 0;
	return 0;
}

int64_t
grace_pool_submit(struct grace_pool *p, void *item, size_t njobs)
{
	uint64_t seq;
	size_t i;

	pthread_mutex_lock(&p->mu);
	while (njobs && p->incomplete >= p->window)
		pthread_cond_wait(&p->room, &p->mu);
	if ((p->tail - p->head == p->cap && grow_ring(p) < 0) ||
	    queue_room(p, njobs) < 0) {
		pthread_mutex_unlock(&p->mu);
		return -1;
	}
	seq = p->tail++;
	slot(p, seq)->item = item;
	slot(p, seq)->left = njobs;
	slot(p, seq)->done = njobs == 0;
	if (njobs) {
		p->incomplete++;
		for (i = 0; i < njobs; i++) {
			struct pjob *j = &p->q[(p->qhead + p->qlen++) % p->qcap];

			j->seq = seq;
			j->job = i;
		}
		pthread_cond_broadcast(&p->work);
	} else {
		pthread_cond_broadcast(&p->done);
	}
	pthread_mutex_unlock(&p->mu);
	return (int64_t)seq;
}

void *
grace_pool_wait(struct grace_pool *p, uint64_t seq)
{
	void *item;

	pthread_mutex_lock(&p->mu);
	while (seq >= p->tail || !slot(p, seq)->done)
		pthread_cond_wait(&p->done, &p->mu);
	item = slot(p, seq)->item;
	slot(p, seq)->item = NULL;
	if (seq == p->head)
		p->head++;
	pthread_mutex_unlock(&p->mu);
	return item;
}

void
grace_pool_free(struct grace_pool *p)
{
	size_t i;

	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = 1;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->mu);
	for (i = 0; i < p->nth; i++)
		pthread_join(p->th[i], NULL);
	for (i = 0; p->wctx && i < p->nctx; i++)
		p->fini(p->wctx[i]);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->work);
	pthread_cond_destroy(&p->done);
	pthread_cond_destroy(&p->room);
	free(p->th);
	free(p->wctx);
	free(p->ring);
	free(p->q);
	free(p);
}
