/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * IOTLB stress: reader threads look up while writer threads insert (as a
 * translate miss would, under the generation protocol) and remap +
 * invalidate. Ground truth: page p of domain d maps to
 * pa(d, p, ver[d][p]); a remap bumps ver, then invalidates the page
 * (which bumps the domain generation first), then publishes done[d][p] =
 * the new version. A reader that saw done = v before its lookup must never
 * get a version older than v, nor a translation of another page or domain.
 * Runs ~1 s (IOAS_TEST_SCALE multiplies); meant to run under TSan too.
 */
#include <pthread.h>
#include <time.h>

#include <ioas/ctx.h>

#include "iommu/iotlb.h"
#include "test.h"

#define NDOM 2
#define NSMALL 64   /* 4K pages */
#define NLARGE 8    /* 2M pages */
#define NPAGE (NSMALL + NLARGE)
#define READERS 4
#define WRITERS 2

struct shared {
	struct iotlb *tlb;
	_Atomic uint64_t gen[NDOM];
	_Atomic uint64_t ver[NDOM][NPAGE];
	_Atomic uint64_t done[NDOM][NPAGE];
	atomic_bool stop;
	_Atomic uint64_t errors, hits, lookups, remaps, inserts;
	char msg[256]; /* first error, written by whoever counts error 1 */
	_Atomic uint64_t seed;
};

static struct shared S;

static uint64_t page_iova(unsigned p)
{
	return p < NSMALL ? 0x10000000ull + ((uint64_t)p << 12)
			  : 0x40000000ull + ((uint64_t)(p - NSMALL) << 21);
}

static uint32_t page_lg2(unsigned p)
{
	return p < NSMALL ? 12 : 21;
}

static uint64_t mk_pa(unsigned d, unsigned p, uint64_t v)
{
	return (uint64_t)d << 62 | (uint64_t)p << 52 | v << 21;
}

static void report(const char *what, unsigned d, unsigned p, uint64_t a,
		   uint64_t b)
{
	if (atomic_fetch_add(&S.errors, 1) == 0)
		snprintf(S.msg, sizeof(S.msg),
			 "%s: dom %u page %u: 0x%" PRIx64 " 0x%" PRIx64, what,
			 d, p, a, b);
}

static void *reader(void *arg)
{
	struct test_rng r;
	uint64_t hits = 0, n = 0;

	test_rng_seed(&r, atomic_load(&S.seed) + (uintptr_t)arg);
	while (!atomic_load_explicit(&S.stop, memory_order_relaxed)) {
		unsigned d = (unsigned)test_rng_below(&r, NDOM);
		unsigned p = (unsigned)test_rng_below(&r, NPAGE);
		uint32_t pasid = (uint32_t)test_rng_below(&r, 2);
		uint64_t off = test_rng_below(&r, 1ull << page_lg2(p));
		uint64_t floor = atomic_load_explicit(&S.done[d][p],
						      memory_order_acquire);
		struct iotlb_hit h;
		uint64_t v, cur;

		n++;
		if (!iotlb_lookup(S.tlb, d, pasid, page_iova(p) + off, &h))
			continue;
		hits++;
		cur = atomic_load_explicit(&S.ver[d][p], memory_order_acquire);
		v = (h.page_pa >> 21) & ((1ull << 31) - 1);
		if (h.page_iova != page_iova(p) || h.size_lg2 != page_lg2(p) ||
		    h.page_pa != mk_pa(d, p, v))
			report("wrong translation (pa, iova)", d, p, h.page_pa,
			       h.page_iova);
		else if (v < floor)
			report("stale translation (version < completed)", d, p,
			       v, floor);
		else if (v > cur)
			report("future translation (version > current)", d, p,
			       v, cur);
	}
	atomic_fetch_add(&S.hits, hits);
	atomic_fetch_add(&S.lookups, n);
	return NULL;
}

static void *writer(void *arg)
{
	unsigned me = (unsigned)(uintptr_t)arg;
	struct test_rng r;
	uint64_t remaps = 0, inserts = 0;

	test_rng_seed(&r, atomic_load(&S.seed) + 1000 + me);
	while (!atomic_load_explicit(&S.stop, memory_order_relaxed)) {
		unsigned d = (unsigned)test_rng_below(&r, NDOM);
		unsigned p = (unsigned)test_rng_below(&r, NPAGE);
		unsigned op = (unsigned)test_rng_below(&r, 1000);

		if (op < 850) {
			/* A translate miss: generation, then the walk. */
			uint64_t seen = atomic_load(&S.gen[d]);
			uint64_t v = atomic_load(&S.ver[d][p]);
			unsigned walk = (unsigned)test_rng_below(&r, 64);

			/* Give invalidations a chance to land mid-walk. */
			while (walk-- &&
			       !atomic_load_explicit(&S.stop,
						     memory_order_relaxed))
				;

			iotlb_insert(S.tlb, d, (uint32_t)test_rng_below(&r, 2),
				     page_iova(p), mk_pa(d, p, v), page_lg2(p),
				     IOAS_PROT_READ, &S.gen[d], seen);
			inserts++;
		} else if (op < 990) {
			/* Remap a page this writer owns, invalidate, publish. */
			uint64_t v, last;

			if (p % WRITERS != me)
				continue;
			v = atomic_load(&S.ver[d][p]) + 1;
			atomic_store(&S.ver[d][p], v);
			last = page_iova(p) + (1ull << page_lg2(p)) - 1;
			if (test_rng_below(&r, 2))
				iotlb_inv_range(S.tlb, d, IOTLB_PASID_ANY,
						page_iova(p), last, &S.gen[d]);
			else /* a wide range: the scanning path */
				iotlb_inv_range(S.tlb, d, IOTLB_PASID_ANY,
						page_iova(p) - (1ull << 20),
						last, &S.gen[d]);
			atomic_store_explicit(&S.done[d][p], v,
					      memory_order_release);
			remaps++;
		} else if (op < 995) {
			iotlb_inv_pasid(S.tlb, d, (uint32_t)test_rng_below(&r, 2),
					&S.gen[d]);
		} else if (op < 999) {
			iotlb_inv_domain(S.tlb, d, &S.gen[d]);
		} else {
			for (unsigned i = 0; i < NDOM; i++)
				atomic_fetch_add(&S.gen[i], 1);
			iotlb_inv_all(S.tlb);
		}
	}
	atomic_fetch_add(&S.remaps, remaps);
	atomic_fetch_add(&S.inserts, inserts);
	return NULL;
}

static void run(uint32_t entries, uint32_t ways, double seconds)
{
	struct ioas_ctx *ctx = NULL;
	struct iotlb_config cfg = { entries, ways };
	pthread_t th[READERS + WRITERS];
	struct iotlb_stats st;
	struct timespec ts;

	memset(&S, 0, sizeof(S));
	atomic_store(&S.seed, test_seed());
	test_set_seed(test_seed());
	CHECK_OK(ioas_ctx_create(NULL, &ctx));
	CHECK_OK(iotlb_create(ctx, &cfg, &S.tlb));
	for (uintptr_t i = 0; i < READERS; i++)
		CHECK_OK(pthread_create(&th[i], NULL, reader, (void *)i));
	for (uintptr_t i = 0; i < WRITERS; i++)
		CHECK_OK(pthread_create(&th[READERS + i], NULL, writer,
					(void *)i));
	ts.tv_sec = (time_t)seconds;
	ts.tv_nsec = (long)((seconds - (double)ts.tv_sec) * 1e9);
	nanosleep(&ts, NULL);
	atomic_store(&S.stop, true);
	for (unsigned i = 0; i < READERS + WRITERS; i++)
		CHECK_OK(pthread_join(th[i], NULL));
	iotlb_get_stats(S.tlb, &st);
	test_note("%u x %u: %" PRIu64 " lookups, %" PRIu64 " hits, %" PRIu64
		  " inserts, %" PRIu64 " remaps, %" PRIu64
		  " stale inserts refused, %" PRIu64 " evictions",
		  entries, ways, atomic_load(&S.lookups),
		  atomic_load(&S.hits), atomic_load(&S.inserts),
		  atomic_load(&S.remaps), st.stale_inserts_refused,
		  st.evictions);
	if (atomic_load(&S.errors))
		test_fail(__FILE__, __LINE__, "%" PRIu64 " errors; first: %s",
			  atomic_load(&S.errors), S.msg);
	CHECK(atomic_load(&S.hits) > 0);
	CHECK_EQ(st.hits, atomic_load(&S.hits));
	CHECK_EQ(st.hits + st.misses, atomic_load(&S.lookups));
	iotlb_destroy(S.tlb);
	ioas_ctx_destroy(ctx);
}

/* Large enough for everything (most lookups hit). */
TEST(iotlb_stress_roomy) { run(1024, 8, 0.5 * test_scale()); }

/* Too small: evictions race with lookups and invalidations as well. */
TEST(iotlb_stress_tight) { run(64, 2, 0.5 * test_scale()); }
