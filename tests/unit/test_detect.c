/* test_detect.c - detection's arithmetic against hand-computed values:
 * the EWMA mean and variance, z-scores (and their answer when the
 * variance is 0), the median and the robust z over the MAD (and the
 * fallbacks when the MAD is 0); hd_num, whose fast path for short
 * decimals must give the very double strtod gives (a differential test
 * over a million generated numbers and the edge cases); the interned
 * components and each component's sorted entries against a plain table
 * of what was made (entries made in a shuffled order, components asked
 * for in runs and alternately, names that are prefixes of others). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "heal/detect_int.h"
#include "t.h"

static int
near(double a, double b)
{
	return fabs(a - b) <= 1e-9 * (fabs(b) > 1 ? fabs(b) : 1);
}

/* Bit for bit (so -0 and 0 differ; NAN equals NAN). */
static int
same(double a, double b)
{
	return isnan(a) ? isnan(b) : memcmp(&a, &b, sizeof a) == 0;
}

static uint64_t rnd = 88172645463325252ull;

static uint64_t
xorshift(void)
{
	rnd ^= rnd << 13;
	rnd ^= rnd >> 7;
	rnd ^= rnd << 17;
	return rnd;
}

/* A JSON number: sign, 1 to 20 integer digits (no leading zero but
 * "0"), maybe 1 to 20 fraction digits, maybe an exponent. */
static size_t
gen_num(char *b)
{
	size_t n = 0, i, ni = 1 + xorshift() % 20, nf;

	if (xorshift() % 3 == 0)
		b[n++] = '-';
	if (xorshift() % 4 == 0)
		ni = 1 + xorshift() % 3;
	for (i = 0; i < ni; i++)
		b[n++] = (char)('0' + (i == 0 && ni > 1 ? 1 + xorshift() % 9 :
		    xorshift() % 10));
	if (xorshift() % 2) {
		nf = 1 + xorshift() % 20;
		b[n++] = '.';
		for (i = 0; i < nf; i++)
			b[n++] = (char)('0' + xorshift() % 10);
	}
	if (xorshift() % 8 == 0)
		n += (size_t)sprintf(b + n, "e%d", (int)(xorshift() % 40) - 20);
	b[n] = 0;
	return n;
}

#define ND 40
#define NC 600

/* Components and entries against a reference table. */
static void
test_state(void)
{
	char path[] = "/tmp/test_detect.XXXXXX", name[32];
	static long ref[ND][NC];
	static uint32_t cid[NC];
	struct grace_detectors *d;
	struct grace_detect *s;
	struct grace_err e;
	size_t i, j, bad = 0, made = 0;
	FILE *f = NULL;
	int fd = mkstemp(path);

	T_OK(fd >= 0 && (f = fdopen(fd, "w")) != NULL, "a detectors file");
	if (!f)
		return;
	fprintf(f, "detectors:\n");
	for (i = 0; i < ND; i++)
		fprintf(f, "  - {id: d%zu, kind: threshold, type: metric, "
		    "above: 1}\n", i);
	fclose(f);
	memset(&e, 0, sizeof e);
	d = grace_detectors_load(path, &e);
	unlink(path);
	T_OK(d != NULL, "%d detectors load (%s)", ND, e.msg);
	if (!d)
		return;
	s = grace_detect_new(d);
	T_OK(s != NULL, "detection state");
	/* svc-1, svc-10, svc-100 ...: prefixes of one another */
	for (j = 0; j < NC; j++) {
		snprintf(name, sizeof name, "svc-%zu", j);
		cid[j] = hd_comp_get(s, name, strlen(name));
		if (cid[j] != j)
			bad++;
	}
	T_OK(bad == 0 && s->ncomp == NC, "components interned in order (%zu wrong)", bad);
	for (bad = 0, i = 0; i < 3 * NC; i++) {
		/* runs of one, then alternating, then strides */
		j = i < NC ? i / 7 : i < 2 * NC ? (i % 2 ? 5 : 50) : (i * 37) % NC;
		snprintf(name, sizeof name, "svc-%zu", j);
		if (hd_comp_get(s, name, strlen(name)) != cid[j])
			bad++;
	}
	T_OK(bad == 0 && s->ncomp == NC, "the same name, the same component, asked in any order (%zu wrong)", bad);
	memset(ref, 0xff, sizeof ref);
	for (bad = 0, i = 0; i < 4 * ND * NC; i++) {
		size_t dt = (size_t)(xorshift() % ND), c = (size_t)(xorshift() % NC);
		long ei = hd_entry_get(s, (uint32_t)dt, cid[c]);

		if (ei < 0 || (ref[dt][c] >= 0 && ref[dt][c] != ei) ||
		    s->ent[ei].det != dt || s->ent[ei].comp != cid[c])
			bad++;
		if (ref[dt][c] < 0 && ei >= 0) {
			ref[dt][c] = ei;
			made++;
		}
	}
	T_OK(bad == 0 && s->nent == made, "entries made in a shuffled order are found again (%zu wrong, %zu made)", bad, made);
	for (bad = 0, j = 0; j < NC; j++) {
		const struct hd_comp *cp = &s->comp[cid[j]];

		for (i = 1; i < cp->nents; i++)
			if (cp->ents[i - 1] >> 32 >= cp->ents[i] >> 32)
				bad++;
	}
	T_OK(bad == 0, "each component's entries ascend by detector");
	grace_detect_free(s);
	grace_detectors_free(d);
}

int
main(void)
{
	static const char *const edge[] = {
		"0", "-0", "1", "-1", "0.1", "0.2", "0.3", "-0.0", "123456789012345",
		"1234567890123456", "999999999999999", "9999999999999999",
		"0.000000000000001", "0.0000000000000001", "12345678.9012345",
		"9007199254740993", "1e5", "1E-3", "2.5e+3", "100.000",
		"0.30000000000000004", "1.7976931348623157e308", "1e400",
		"4.9e-324", "500", "95", "57.125",
	};
	char nb[80];
	size_t i, bad = 0;
	double mean = 0, var = 0, v[8], w[8], med, scale, z;

	/* alpha 0.5: 10 -> mean 10, var 0; 12 -> diff 2, incr 1, mean 11,
	 * var 0.5*(0+2*1) = 1; 11 -> diff 0, mean 11, var 0.5*(1+0) = 0.5;
	 * 11.5 -> diff 0.5, incr 0.25, mean 11.25, var 0.5*(0.5+0.125) =
	 * 0.3125 */
	hd_ewma_update(&mean, &var, 0, 0.5, 10);
	T_OK(mean == 10 && var == 0, "first sample: mean is it, variance 0");
	hd_ewma_update(&mean, &var, 1, 0.5, 12);
	T_OK(near(mean, 11) && near(var, 1), "12: mean 11, variance 1 (%g %g)", mean, var);
	hd_ewma_update(&mean, &var, 2, 0.5, 11);
	T_OK(near(mean, 11) && near(var, 0.5), "11: mean 11, variance 0.5");
	hd_ewma_update(&mean, &var, 3, 0.5, 11.5);
	T_OK(near(mean, 11.25) && near(var, 0.3125), "11.5: mean 11.25, variance 0.3125");
	/* z of 20 against that: 8.75 / sqrt(0.3125) = 15.652475842498529 */
	T_OK(near(hd_ewma_z(11.25, 0.3125, 20), 15.652475842498529), "z 15.6525");
	T_OK(near(hd_ewma_z(11, 0.5, 10), -1.4142135623730951), "z below the mean is negative");
	T_OK(hd_ewma_z(5, 0, 5) == 0, "variance 0, the mean itself: z 0");
	T_OK(isinf(hd_ewma_z(5, 0, 5.1)) && hd_ewma_z(5, 0, 5.1) > 0, "variance 0, above: +inf");
	T_OK(isinf(hd_ewma_z(5, 0, 4.9)) && hd_ewma_z(5, 0, 4.9) < 0, "variance 0, below: -inf");
	/* alpha 0.1 over 100, 110: mean 101, var 0.9*(0+10*1) = 9 */
	mean = var = 0;
	hd_ewma_update(&mean, &var, 0, 0.1, 100);
	hd_ewma_update(&mean, &var, 1, 0.1, 110);
	T_OK(near(mean, 101) && near(var, 9), "alpha 0.1: mean 101, variance 9");

	memcpy(v, (double[]){ 3, 1, 2 }, 3 * sizeof *v);
	T_OK(hd_median(v, 3) == 2, "median of 3 1 2 is 2");
	memcpy(v, (double[]){ 4, 1, 3, 2 }, 4 * sizeof *v);
	T_OK(hd_median(v, 4) == 2.5, "median of an even count: the mean of the middle two");

	/* 10 12 11 13 10: median 11, deviations 1 1 0 2 1, MAD 1: scale
	 * 1.4826, z of 20 = 9/1.4826 = 6.070416835289356 */
	memcpy(v, (double[]){ 10, 12, 11, 13, 10 }, 5 * sizeof *v);
	z = hd_mad_z(v, 5, 20, w, &med, &scale);
	T_OK(med == 11 && near(scale, 1.4826) && near(z, 9 / 1.4826), "mad: median 11, scale 1.4826, z 6.07042 (%g)", z);
	T_OK(v[0] == 10 && v[1] == 12, "the samples are left as they were");
	/* 5 5 5 5 6: MAD 0, mean absolute deviation 0.2: scale 0.25066,
	 * z of 6.3 = 1.3/0.25066 = 5.186308146492 */
	memcpy(v, (double[]){ 5, 5, 5, 5, 6 }, 5 * sizeof *v);
	z = hd_mad_z(v, 5, 6.3, w, &med, &scale);
	T_OK(med == 5 && near(scale, 0.25066) && near(z, 1.3 / 0.25066), "MAD 0: 1.2533 times the mean absolute deviation (%g)", z);
	/* all equal: scale 0; the median itself is z 0, anything else inf */
	memcpy(v, (double[]){ 7, 7, 7 }, 3 * sizeof *v);
	z = hd_mad_z(v, 3, 7, w, &med, &scale);
	T_OK(z == 0 && scale == 0, "no spread, the median: z 0");
	z = hd_mad_z(v, 3, 7.5, w, &med, &scale);
	T_OK(isinf(z) && z > 0, "no spread, above: +inf");
	z = hd_mad_z(v, 3, 6, w, &med, &scale);
	T_OK(isinf(z) && z < 0, "no spread, below: -inf");

	for (i = 0; i < sizeof edge / sizeof *edge; i++) {
		double want = strtod(edge[i], NULL), got = hd_num(edge[i],
		    strlen(edge[i]));

		T_OK(same(got, want), "hd_num(\"%s\") is strtod's %.17g (got %.17g)",
		    edge[i], want, got);
	}
	for (i = 0; i < 1000000; i++) {
		size_t n = gen_num(nb);

		if (!same(hd_num(nb, n), strtod(nb, NULL)) && bad++ < 5)
			printf("# hd_num(\"%s\") %.17g, strtod %.17g\n", nb,
			    hd_num(nb, n), strtod(nb, NULL));
	}
	T_OK(bad == 0, "hd_num is strtod on a million generated numbers (%zu differ)", bad);
	memset(nb, '1', 64);
	T_OK(isnan(hd_num(nb, 64)), "a number of 64 bytes or more is NAN, not read");
	test_state();
	return T_DONE();
}
