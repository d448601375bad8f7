/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * IOTLB micro-benchmark: ns per lookup hit (one page repeated; random pages
 * of a working set that fits), ns per miss + insert, on 1 and 2 threads.
 *
 * In-run baseline: the lookup QEMU's virtio-iommu does per translation, a
 * GTree of intervals under a recursive mutex (bench_baseline.h).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ioas/ctx.h>

#include "bench_baseline.h"
#include "bench_clock.h"

#include "iommu/iotlb.h"

#define WS_PAGES 256u         /* working set: 1 MiB of 4K pages */
#define MISS_PAGES (1u << 20) /* far more than the cache holds */
#define IDX_MASK 4095u

static volatile uint64_t sink;

static uint64_t rng_state = 0x243f6a8885a308d3ull;

static uint64_t rnd(void)
{
	uint64_t x = rng_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return rng_state = x;
}

/* IOVA of working-set page i: scattered, 4K aligned. */
static uint64_t ws_iova[WS_PAGES];
/* A fixed random sequence of working-set IOVAs (plus an offset). */
static uint64_t seq_iova[IDX_MASK + 1];

/* ---- workloads ------------------------------------------------------------ */

enum work { W_SAME, W_RANDOM, W_MISS_INSERT, W_BASE_SAME, W_BASE_RANDOM };

struct job {
	struct iotlb *tlb;
	enum work work;
	uint64_t n;
	unsigned tid;
	double ns;
	uint64_t misses;
};

static void *run_job(void *arg)
{
	struct job *j = arg;
	struct iotlb_hit h;
	uint64_t acc = 0, miss = 0, pa = 0;
	const uint32_t dom = 1, pasid = 0;
	double t0 = now_ns();

	switch (j->work) {
	case W_SAME:
		for (uint64_t i = 0; i < j->n; i++) {
			if (iotlb_lookup(j->tlb, dom, pasid,
					 ws_iova[7] + (i & 0xff8), &h))
				acc += h.page_pa;
			else
				miss++;
		}
		break;
	case W_RANDOM:
		for (uint64_t i = 0; i < j->n; i++) {
			if (iotlb_lookup(j->tlb, dom, pasid,
					 seq_iova[(i + j->tid * 977) & IDX_MASK],
					 &h))
				acc += h.page_pa;
			else
				miss++;
		}
		break;
	case W_MISS_INSERT: {
		/* Each thread walks its own pages, never cached before. */
		uint64_t base = (uint64_t)(j->tid + 1) << 40;

		for (uint64_t i = 0; i < j->n; i++) {
			uint64_t iova = base + (((i * 0x9E3779B1u) &
						 (MISS_PAGES - 1)) << 12);

			if (iotlb_lookup(j->tlb, dom + 1, pasid, iova, &h)) {
				acc += h.page_pa;
				continue;
			}
			miss++;
			iotlb_insert(j->tlb, dom + 1, pasid, iova, iova ^ base,
				     12, 3, NULL, 0);
		}
		break;
	}
	case W_BASE_SAME:
		for (uint64_t i = 0; i < j->n; i++) {
			if (base_lookup(ws_iova[7] + (i & 0xff8), &pa))
				acc += pa;
			else
				miss++;
		}
		break;
	case W_BASE_RANDOM:
		for (uint64_t i = 0; i < j->n; i++) {
			if (base_lookup(seq_iova[(i + j->tid * 977) & IDX_MASK],
					&pa))
				acc += pa;
			else
				miss++;
		}
		break;
	}
	j->ns = (now_ns() - t0) / (double)j->n;
	j->misses = miss;
	sink += acc;
	return NULL;
}

/* Run `work` on `threads` threads; average ns per operation per thread. */
static double measure(struct iotlb *tlb, enum work work, unsigned threads,
		      uint64_t n, uint64_t *misses)
{
	struct job jobs[2];
	pthread_t th[2];
	double ns = 0;

	*misses = 0;
	for (unsigned t = 0; t < threads; t++) {
		jobs[t] = (struct job){ tlb, work, n, t, 0, 0 };
		if (pthread_create(&th[t], NULL, run_job, &jobs[t]))
			exit(1);
	}
	for (unsigned t = 0; t < threads; t++) {
		pthread_join(th[t], NULL);
		ns += jobs[t].ns;
		*misses += jobs[t].misses;
	}
	return ns / threads;
}

int main(int argc, char **argv)
{
	struct iotlb_config cfg = { 1024, 8 };
	struct ioas_ctx *ctx;
	struct iotlb *tlb;
	static struct mapping maps[WS_PAGES];
	struct iotlb_stats st;
	uint64_t n = 20000000, misses;
	double hit_same[2], hit_rand[2], miss_ins[2], b_same[2], b_rand[2];

	if (argc > 1)
		n = strtoull(argv[1], NULL, 0);
	if (ioas_ctx_create(NULL, &ctx) || iotlb_create(ctx, &cfg, &tlb))
		return 1;
	/* Working set: WS_PAGES distinct 4K pages scattered over 4 GiB. */
	for (unsigned i = 0; i < WS_PAGES; i++) {
		uint64_t iova;
		bool dup;

		do {
			iova = (rnd() & 0xfffff) << 12;
			dup = false;
			for (unsigned k = 0; k < i; k++)
				dup |= ws_iova[k] == iova;
		} while (dup);
		ws_iova[i] = iova;
		maps[i].iv.low = iova;
		maps[i].iv.high = iova + 0xfff;
		maps[i].pa = 0x100000000ull + ((uint64_t)i << 12);
		iotlb_insert(tlb, 1, 0, iova, maps[i].pa, 12, 3, NULL, 0);
	}
	for (unsigned i = 0; i <= IDX_MASK; i++)
		seq_iova[i] = ws_iova[rnd() % WS_PAGES] + (rnd() & 0xfff);
	base_build(maps, WS_PAGES);

	printf("IOTLB %u entries x %u ways, working set %u 4K pages, %llu ops "
	       "per thread\nbaseline: %s\n", cfg.entries, cfg.ways, WS_PAGES,
	       (unsigned long long)n, base_name);
	for (unsigned t = 1; t <= 2; t++) {
		unsigned k = t - 1;

		/* The miss run of the previous round evicted the set. */
		for (unsigned i = 0; i < WS_PAGES; i++)
			iotlb_insert(tlb, 1, 0, maps[i].iv.low, maps[i].pa, 12, 3,
				     NULL, 0);
		hit_same[k] = measure(tlb, W_SAME, t, n, &misses);
		if (misses)
			printf("warning: %llu misses in the same-page run\n",
			       (unsigned long long)misses);
		hit_rand[k] = measure(tlb, W_RANDOM, t, n, &misses);
		if (misses)
			printf("warning: %llu misses in the working-set run\n",
			       (unsigned long long)misses);
		miss_ins[k] = measure(tlb, W_MISS_INSERT, t, n / 4, &misses);
		b_same[k] = measure(tlb, W_BASE_SAME, t, n / 4, &misses);
		b_rand[k] = measure(tlb, W_BASE_RANDOM, t, n / 4, &misses);
		if (misses)
			printf("warning: baseline missed\n");
	}
	printf("%-34s %10s %10s\n", "ns per operation (per thread)",
	       "1 thread", "2 threads");
	printf("%-34s %10.2f %10.2f\n", "IOTLB hit, same page", hit_same[0],
	       hit_same[1]);
	printf("%-34s %10.2f %10.2f\n", "IOTLB hit, random in working set",
	       hit_rand[0], hit_rand[1]);
	printf("%-34s %10.2f %10.2f\n", "IOTLB miss + insert", miss_ins[0],
	       miss_ins[1]);
	printf("%-34s %10.2f %10.2f\n", "baseline, same page", b_same[0],
	       b_same[1]);
	printf("%-34s %10.2f %10.2f\n", "baseline, random in working set",
	       b_rand[0], b_rand[1]);
	printf("%-34s %9.1fx %9.1fx\n", "baseline / IOTLB, same page",
	       b_same[0] / hit_same[0], b_same[1] / hit_same[1]);
	printf("%-34s %9.1fx %9.1fx\n", "baseline / IOTLB, random",
	       b_rand[0] / hit_rand[0], b_rand[1] / hit_rand[1]);
	iotlb_get_stats(tlb, &st);
	printf("stats: %llu hits, %llu misses, %llu inserts, %llu evictions\n",
	       (unsigned long long)st.hits, (unsigned long long)st.misses,
	       (unsigned long long)st.inserts,
	       (unsigned long long)st.evictions);
	base_free();
	iotlb_destroy(tlb);
	ioas_ctx_destroy(ctx);
	return 0;
}
