/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * translate benchmark: ns per ioas_iommu_translate for an IOTLB hit and for
 * a miss that walks a 4-level VT-d second-stage table; then the hit rate of
 * a replayed real trace (QEMU virtio-iommu, ../shared/traces/), and in the
 * same run the peer to beat: QEMU's per-translation lookup, an interval
 * tree search under a recursive mutex (here our own AVL interval tree from
 * src/util/itree.c under a PTHREAD_MUTEX_RECURSIVE mutex; QEMU uses a
 * GTree under QemuRecMutex).
 *
 * The trace is decompressed with the zstd command into /tmp at run time
 * (no libzstd link). IOAS_TRACE overrides the trace file.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ioas/ioas.h>

#include "bench_baseline.h"
#include "bench_clock.h"
#include "bench_sort.h"

#include "util/itree.h"

#define PG 4096ull
#define RAM_BASE 0x100000000ull
#define RAM_LEN (64ull << 20)
#define MISS_PAGES 16384u
#define ROUNDS 10
#ifndef IOAS_TRACE_DIR
#define IOAS_TRACE_DIR "../shared/traces"
#endif
#define DEFAULT_TRACE IOAS_TRACE_DIR "/viommu-blk-strict.trace.zst"

static volatile uint64_t sink;

struct env {
	struct ioas_ctx *ctx;
	struct ioas_phys *phys;
	struct ioas_mm *mm;
	struct ioas_as *as;
	struct ioas_iommu *mmu;
	struct ioas_iommu_dev *dev;
	struct ioas_domain *dom;
};

static void die(const char *what, int err)
{
	fprintf(stderr, "bench_translate: %s: %s\n", what, ioas_strerror(err));
	exit(1);
}

static void env_init(struct env *e, uint32_t entries)
{
	struct ioas_as_config ac = { .size = sizeof(ac),
				     .window_mode = IOAS_WINDOWS_FULL };
	struct ioas_phys_region r = { .size = sizeof(r), .kind = IOAS_PHYS_RAM,
				      .base = RAM_BASE, .length = RAM_LEN };
	struct ioas_iommu_config ic = { .size = sizeof(ic),
					.iotlb_entries = entries };
	struct ioas_iommu_dev_config dc = { .size = sizeof(dc), .id = 1 };
	struct ioas_domain_config dm = { .size = sizeof(dm),
					 .type = IOAS_DOMAIN_PAGING,
					 .table_bytes = 96ull << 20 };
	int ret;

	memset(e, 0, sizeof(*e));
	dm.pt.size = sizeof(dm.pt);
	dm.pt.format = IOAS_PT_FMT_VTD_SS;
	dm.pt.levels = 4;
	if ((ret = ioas_ctx_create(NULL, &e->ctx)) ||
	    (ret = ioas_phys_create(e->ctx, &e->phys)) ||
	    (ret = ioas_phys_add(e->phys, &r)) ||
	    (ret = ioas_mm_create(e->ctx, e->phys, &e->mm)) ||
	    (ret = ioas_as_create(e->mm, &ac, &e->as)) ||
	    (ret = ioas_iommu_create(e->ctx, e->phys, &ic, &e->mmu)) ||
	    (ret = ioas_iommu_dev_add(e->mmu, &dc, &e->dev)) ||
	    (ret = ioas_domain_create(e->mmu, &dm, &e->dom)) ||
	    (ret = ioas_domain_attach_as(e->dom, e->as)) ||
	    (ret = ioas_iommu_group_attach(ioas_iommu_dev_group(e->dev),
					   e->dom)))
		die("setup", ret);
}

static void env_fini(struct env *e)
{
	ioas_iommu_destroy(e->mmu);
	ioas_as_destroy(e->as);
	ioas_mm_destroy(e->mm);
	ioas_phys_destroy(e->phys);
	ioas_ctx_destroy(e->ctx);
}

static int map(struct env *e, uint64_t iova, uint64_t len, uint64_t pa)
{
	struct ioas_map m = { .size = sizeof(m),
			      .flags = IOAS_MAP_FIXED_IOVA | IOAS_MAP_PHYS,
			      .prot = IOAS_PROT_READ | IOAS_PROT_WRITE,
			      .iova = iova, .length = len, .addr = pa };

	return ioas_as_map(e->as, &m);
}

/* ---- the QEMU-style baseline ------------------------------------------- */

struct qnode {
	struct itree_node n;
	uint64_t pa;
};

struct qtree {
	struct itree t;
	pthread_mutex_t lock;
};

static void qtree_init(struct qtree *q)
{
	pthread_mutexattr_t a;

	itree_init(&q->t);
	pthread_mutexattr_init(&a);
	pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&q->lock, &a);
	pthread_mutexattr_destroy(&a);
}

static int qtree_translate(struct qtree *q, uint64_t iova, uint64_t *pa)
{
	struct itree_node *n;
	int ret = -ENOENT;

	pthread_mutex_lock(&q->lock);
	n = itree_find(&q->t, iova);
	if (n) {
		*pa = ((struct qnode *)(void *)n)->pa + (iova - n->start);
		ret = 0;
	}
	pthread_mutex_unlock(&q->lock);
	return ret;
}

/* ---- micro benchmarks ----------------------------------------------------- */

static void bench_hit_miss(void)
{
	struct env e;
	struct ioas_iommu_xlate x;
	struct ioas_iommu_stats st0, st1;
	struct qtree q;
	struct qnode *qn;
	uint64_t n = 20000000, rnd = 1;
	double t0, hit_ns, miss_ns, q_ns;

	/* hits: one page, repeated */
	env_init(&e, 1024);
	{
		int ret = map(&e, 0x40000000, PG, RAM_BASE);

		if (ret)
			die("map", ret);
	}
	(void)ioas_iommu_translate(e.mmu, e.dev, 0, 0x40000000, 64,
				   IOAS_PROT_READ, &x);
	/* best of ROUNDS: this VM's neighbours add +-30 % to any one run */
	hit_ns = 1e30;
	for (int r = 0; r < ROUNDS; r++) {
		t0 = now_ns();
		for (uint64_t i = 0; i < n / ROUNDS; i++) {
			(void)ioas_iommu_translate(e.mmu, e.dev, 0,
						   0x40000000 + (i & 0xfc0), 64,
						   IOAS_PROT_READ, &x);
			sink += x.pa;
		}
		t0 = (now_ns() - t0) / (double)(n / ROUNDS);
		if (t0 < hit_ns)
			hit_ns = t0;
	}
	env_fini(&e);

	/* misses: random pages among MISS_PAGES spread over a 4-level table
	 * (one page per 2 MiB so every walk reads 4 entries), 16-entry IOTLB */
	env_init(&e, 16);
	for (uint64_t i = 0; i < MISS_PAGES; i++)
	{
		int ret = map(&e, (1ull << 40) + i * (2ull << 20), PG,
			      RAM_BASE + (i % (RAM_LEN / PG)) * PG);

		if (ret)
			die("map", ret);
	}
	ioas_iommu_get_stats(e.mmu, &st0);
	n = 2000000;
	t0 = now_ns();
	for (uint64_t i = 0; i < n; i++) {
		rnd = rnd * 6364136223846793005ull + 1442695040888963407ull;
		(void)ioas_iommu_translate(
			e.mmu, e.dev, 0,
			(1ull << 40) + ((rnd >> 33) % MISS_PAGES) * (2ull << 20),
			8, IOAS_PROT_READ, &x);
		sink += x.pa;
	}
	miss_ns = (now_ns() - t0) / (double)n;
	ioas_iommu_get_stats(e.mmu, &st1);
	env_fini(&e);

	/* baseline: the same miss set as intervals, looked up per access */
	qtree_init(&q);
	qn = calloc(MISS_PAGES, sizeof(*qn));
	for (uint64_t i = 0; i < MISS_PAGES; i++) {
		qn[i].n.start = (1ull << 40) + i * (2ull << 20);
		qn[i].n.last = qn[i].n.start + PG - 1;
		qn[i].pa = RAM_BASE + i * PG;
		(void)itree_insert(&q.t, &qn[i].n);
	}
	n = 20000000;
	t0 = now_ns();
	for (uint64_t i = 0; i < n; i++) {
		uint64_t pa = 0;

		rnd = rnd * 6364136223846793005ull + 1442695040888963407ull;
		(void)qtree_translate(&q, (1ull << 40) +
					  ((rnd >> 33) % MISS_PAGES) *
						  (2ull << 20),
				      &pa);
		sink += pa;
	}
	q_ns = (now_ns() - t0) / (double)n;
	free(qn);
	pthread_mutex_destroy(&q.lock);

	printf("translate, hit (same page; ATC):            %7.1f ns\n", hit_ns);
	printf("translate, IOTLB miss + 4-level walk:       %7.1f ns  "
	       "(%.1f%% misses)\n",
	       miss_ns,
	       100.0 * (double)(st1.iotlb_misses - st0.iotlb_misses) /
		       (double)(st1.iotlb_hits - st0.iotlb_hits +
				st1.iotlb_misses - st0.iotlb_misses + 1));
	printf("baseline: interval tree + recursive mutex:  %7.1f ns  "
	       "(%u intervals; hit is %.1fx faster)\n",
	       q_ns, MISS_PAGES, q_ns / hit_ns);
}

/* ---- hits: translate, the caller-held cache, the GTree baseline ---------- */

#define HOT_PAGES 32u /* one per entry of the caller-held cache */
#define SMALL_TREE 6u /* live mappings at a blk-strict translation (median) */
#define SEQ_MASK 4095u

enum hot_path { HP_TRANSLATE, HP_CACHED, HP_BASELINE };

/* ns per lookup of n entries of seq[] (IOVAs) through path; the results
 * add up in a register (a sum in memory would chain every iteration
 * through a store and a load). */
static double hot_once(struct env *e, struct ioas_iommu_tcache *tc,
		       enum hot_path path, const uint64_t *seq, uint64_t n)
{
	struct ioas_iommu_xlate x;
	uint64_t acc = 0, pa = 0;
	double t0 = now_ns();

	switch (path) {
	case HP_TRANSLATE:
		for (uint64_t i = 0; i < n; i++) {
			(void)ioas_iommu_translate(e->mmu, e->dev, 0,
						   seq[i & SEQ_MASK], 64,
						   IOAS_PROT_READ, &x);
			acc += x.pa;
		}
		break;
	case HP_CACHED:
		for (uint64_t i = 0; i < n; i++) {
			(void)ioas_iommu_translate_cached(tc, seq[i & SEQ_MASK],
							  64, IOAS_PROT_READ,
							  &x);
			acc += x.pa;
		}
		break;
	case HP_BASELINE:
		for (uint64_t i = 0; i < n; i++) {
			(void)base_lookup(seq[i & SEQ_MASK], &pa);
			acc += pa;
		}
		break;
	}
	t0 = (now_ns() - t0) / (double)n;
	sink += acc;
	return t0;
}

/* Best of ROUNDS: this VM's neighbours add +-30 % to any one run. */
static double hot_run(struct env *e, struct ioas_iommu_tcache *tc,
		      enum hot_path path, const uint64_t *seq, uint64_t n)
{
	double best = 1e30;

	for (int r = 0; r < ROUNDS; r++) {
		double t = hot_once(e, tc, path, seq, n / ROUNDS);

		if (t < best)
			best = t;
	}
	return best;
}

/*
 * baseline / cached over seq, as PAIRED_ROUNDS ratios of rounds run back to
 * back (a slow spell of this VM weighs on both sides of a pair alike):
 * prints their median and spread.
 */
#define PAIRED_ROUNDS 21
static void paired_ratio(struct env *e, struct ioas_iommu_tcache *tc,
			 const uint64_t *seq, uint64_t n, const char *what)
{
	double r[PAIRED_ROUNDS];

	for (int i = 0; i < PAIRED_ROUNDS; i++) {
		double c = hot_once(e, tc, HP_CACHED, seq, n / PAIRED_ROUNDS);
		double b = hot_once(e, tc, HP_BASELINE, seq,
				    n / PAIRED_ROUNDS);

		r[i] = b / c;
	}
	sort_doubles(r, PAIRED_ROUNDS);
	printf("baseline / translate_cached, %s, %d paired rounds: median "
	       "%.1fx (lowest %.1fx, highest %.1fx)\n", what, PAIRED_ROUNDS,
	       r[PAIRED_ROUNDS / 2], r[0], r[PAIRED_ROUNDS - 1]);
}

/*
 * The same HOT_PAGES scattered 4 KiB mappings in the IOMMU and in the
 * baseline tree (so the baseline searches only as many intervals as the
 * domain holds): one page repeated, and random pages of the set.
 */
static void bench_hits(void)
{
	static uint64_t same[SEQ_MASK + 1], rnd[SEQ_MASK + 1];
	struct mapping m[HOT_PAGES];
	struct ioas_iommu_tcache *tc = malloc(sizeof(*tc));
	uint64_t n = 50000000, x = 0x243f6a8885a308d3ull;
	double ns[3][2], small;
	struct env e;
	int ret;

	if (!tc)
		die("tcache", -ENOMEM);
	env_init(&e, 1024);
	for (unsigned i = 0; i < HOT_PAGES; i++) {
		/* page numbers 33 apart: a different cache entry each */
		m[i].iv.low = 0x40000000 + (uint64_t)i * 33 * PG;
		m[i].iv.high = m[i].iv.low + PG - 1;
		m[i].pa = RAM_BASE + (uint64_t)i * PG;
		if ((ret = map(&e, m[i].iv.low, PG, m[i].pa)))
			die("map", ret);
	}
	for (unsigned i = 0; i <= SEQ_MASK; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		same[i] = m[7].iv.low + (i & 0x3f) * 64;
		rnd[i] = m[x % HOT_PAGES].iv.low + ((x >> 32) & 0x3f) * 64;
	}
	if ((ret = ioas_iommu_tcache_init(tc, e.mmu, e.dev)))
		die("tcache", ret);
	base_build(m, HOT_PAGES);
	for (int p = HP_TRANSLATE; p <= HP_BASELINE; p++) {
		ns[p][0] = hot_run(&e, tc, (enum hot_path)p, same, n);
		ns[p][1] = hot_run(&e, tc, (enum hot_path)p, rnd, n);
	}
	printf("hits, %u mappings (baseline: %s, the same %u intervals)\n",
	       HOT_PAGES, base_name, HOT_PAGES);
	printf("ns per lookup                        same page  random of %u\n",
	       HOT_PAGES);
	printf("ioas_iommu_translate (ATC hit)        %8.2f  %8.2f\n",
	       ns[HP_TRANSLATE][0], ns[HP_TRANSLATE][1]);
	printf("ioas_iommu_translate_cached (inline)  %8.2f  %8.2f\n",
	       ns[HP_CACHED][0], ns[HP_CACHED][1]);
	printf("baseline                              %8.2f  %8.2f\n",
	       ns[HP_BASELINE][0], ns[HP_BASELINE][1]);
	printf("baseline / translate                  %7.1fx  %7.1fx\n",
	       ns[HP_BASELINE][0] / ns[HP_TRANSLATE][0],
	       ns[HP_BASELINE][1] / ns[HP_TRANSLATE][1]);
	printf("baseline / translate_cached           %7.1fx  %7.1fx\n",
	       ns[HP_BASELINE][0] / ns[HP_CACHED][0],
	       ns[HP_BASELINE][1] / ns[HP_CACHED][1]);
	paired_ratio(&e, tc, same, n, "same page");
	printf("caller cache: %llu hits, %llu misses\n",
	       (unsigned long long)tc->hits, (unsigned long long)tc->misses);
	base_free();
	/* QEMU's tree is as large as the domain's live mappings: in the
	 * blk-strict trace a translation sees a median of 6 (see below) */
	base_build(m, SMALL_TREE);
	small = hot_run(&e, tc, HP_BASELINE, same, n);
	printf("baseline, same page, %u intervals      %8.2f  (%.1fx the "
	       "cached hit)\n", SMALL_TREE, small, small / ns[HP_CACHED][0]);
	paired_ratio(&e, tc, same, n, "same page, 6 intervals");
	base_free();
	free(tc);
	env_fini(&e);
}

/* ---- trace replay ------------------------------------------------------------ */

static uint64_t hexarg(const char *line, const char *key)
{
	const char *p = strstr(line, key);

	return p ? strtoull(p + strlen(key), NULL, 0) : 0;
}

static void bench_trace(void)
{
	const char *trace = getenv("IOAS_TRACE");
	char cmd[1024], tmp[] = "/tmp/ioas_trace_XXXXXX", line[512];
	struct ioas_iommu_stats st;
	struct env e;
	FILE *f;
	int fd;
	uint64_t tr = 0, faults = 0, maps = 0, unmaps = 0, qhits = 0;
	/* live mappings at each translation: the size of the tree the
	 * baseline searches, as a histogram (capped) */
	static uint64_t live_hist[1024];
	uint64_t live = 0, live_max = 0;
	double t_ioas = 0, t_q = 0, t_ok = 0, t_qok = 0;
	uint64_t tr_ok = 0;
	struct qtree q;

	if (!trace)
		trace = DEFAULT_TRACE;
	fd = mkstemp(tmp);
	if (fd < 0)
		return;
	snprintf(cmd, sizeof(cmd), "zstd -dc '%s' > %s 2>/dev/null", trace, tmp);
	if (system(cmd) != 0) {
		printf("trace: cannot decompress %s (zstd missing?)\n", trace);
		remove(tmp);
		return;
	}
	f = fopen(tmp, "r");
	if (!f)
		return;
	env_init(&e, 1024);
	qtree_init(&q);
	/* The guest's physical addresses: back them with one big RAM region
	 * would need GiBs; a one-sided MAP_PHYS mapping needs no memory, and
	 * the walker reads only table memory. Endpoints all share domain 0's
	 * view (the workload's DMA is from the block device). */
	while (fgets(line, sizeof(line), f)) {
		if (strstr(line, "virtio_iommu_map ")) {
			uint64_t s = hexarg(line, "virt_start="),
				 l = hexarg(line, "virt_end="),
				 pa = hexarg(line, "phys_start=");
			struct qnode *n;

			if (hexarg(line, "domain=") != 0)
				continue;
			if (map(&e, s, l - s + 1, pa) == 0) {
				maps++;
				n = calloc(1, sizeof(*n));
				n->n.start = s;
				n->n.last = l;
				n->pa = pa;
				pthread_mutex_lock(&q.lock);
				if (itree_insert(&q.t, &n->n) == 0)
					live++;
				else
					free(n);
				pthread_mutex_unlock(&q.lock);
			}
		} else if (strstr(line, "virtio_iommu_unmap ")) {
			uint64_t s = hexarg(line, "virt_start="),
				 l = hexarg(line, "virt_end=");
			struct itree_node *n;

			if (hexarg(line, "domain=") != 0)
				continue;
			if (ioas_as_unmap(e.as, s, l, NULL) == 0)
				unmaps++;
			pthread_mutex_lock(&q.lock);
			while ((n = itree_first_overlap(&q.t, s, l))) {
				itree_remove(&q.t, n);
				free(n);
				live--;
			}
			pthread_mutex_unlock(&q.lock);
		} else if (strstr(line, "virtio_iommu_translate ") &&
			   strstr(line, "rid=32 ")) {
			uint64_t a = hexarg(line, "addr="), pa = 0;
			uint32_t acc = hexarg(line, "flag=") == 2
					       ? IOAS_PROT_WRITE
					       : IOAS_PROT_READ;
			struct ioas_iommu_xlate x;
			double t0 = now_ns(), ti, tq;
			uint64_t f0 = faults;

			for (int k = 0; k < 16; k++)
				if (ioas_iommu_translate(e.mmu, e.dev, 0, a, 1, acc,
							 &x))
					faults++;
			ti = now_ns() - t0;
			t0 = now_ns();
			for (int k = 0; k < 16; k++)
				qhits += qtree_translate(&q, a, &pa) == 0;
			tq = now_ns() - t0;
			t_ioas += ti;
			t_q += tq;
			if (faults == f0) { /* mapped: no fault record */
				t_ok += ti;
				t_qok += tq;
				tr_ok++;
			}
			tr++;
			sink += x.pa + pa;
			live_hist[live < 1023 ? live : 1023]++;
			if (live > live_max)
				live_max = live;
		}
	}
	fclose(f);
	remove(tmp);
	ioas_iommu_get_stats(e.mmu, &st);
	printf("trace %s: %llu maps, %llu unmaps, %llu translations (endpoint 32)\n",
	       trace, (unsigned long long)maps, (unsigned long long)unmaps,
	       (unsigned long long)tr);
	/* A faulting access misses on all 16 repeats; any other misses at
	 * most on its first, so the first-access hit rate over the trace is
	 * 1 - (misses - 16 * faulting) / (translations - faulting). */
	{
		uint64_t fl = faults / 16;
		double first_miss = (double)(st.iotlb_misses - 16 * fl);

		printf("  IOTLB hit rate on first access: %.1f%% (%llu misses "
		       "of %llu non-faulting translations; %llu faulted)\n",
		       100.0 * (1.0 - first_miss / (double)(tr - fl + 1)),
		       (unsigned long long)(st.iotlb_misses - 16 * fl),
		       (unsigned long long)(tr - fl),
		       (unsigned long long)fl);
	}
	{
		uint64_t seen = 0, med = 0;

		while (med < 1023 && (seen += live_hist[med]) < (tr + 1) / 2)
			med++;
		printf("  mappings alive at a translation: median %llu, max "
		       "%llu (the baseline tree's size)\n",
		       (unsigned long long)med, (unsigned long long)live_max);
	}
	printf("  ns per translation (each repeated 16x): ioas %.1f, "
	       "interval tree + recursive mutex %.1f (%llu tree hits)\n",
	       t_ioas / (double)(tr * 16 + 1), t_q / (double)(tr * 16 + 1),
	       (unsigned long long)qhits);
	/* A fault makes a fault record (queue, counters) where the tree only
	 * fails to find: the mapped addresses alone compare the lookups. Both
	 * figures include a clock read per 16 repeats. */
	printf("  ns per mapped translation (%llu of them): ioas %.1f, "
	       "interval tree + recursive mutex %.1f\n",
	       (unsigned long long)tr_ok, t_ok / (double)(tr_ok * 16 + 1),
	       t_qok / (double)(tr_ok * 16 + 1));
	{
		struct itree_node *n;

		while ((n = itree_first(&q.t))) {
			itree_remove(&q.t, n);
			free(n);
		}
	}
	env_fini(&e);
}

int main(void)
{
	bench_hit_miss();
	bench_hits();
	bench_trace();
	return 0;
}
