/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The IOTLB's live counts, white box. This file compiles iotlb.c itself
 * with a hook that runs at each point inside its locked sections
 * (IOTLB_HOOK) and recounts, for every live count, the valid entries it
 * stands for. On every pass of random single-threaded operations:
 *   - no count is ever below its valid entries: a range invalidation that
 *     reads zero skips its probes, so an entry still valid there would
 *     outlive it;
 *   - at the generation check an insert's own count is above zero (its
 *     increment, or the entry it replaces under the same count): the
 *     store half of the Dekker pair with the invalidation's bump;
 *   - between operations every count equals its valid entries exactly.
 * The windows these orderings guard are a few instructions wide; no stress
 * test hits them, so they are checked here on every insert and kill.
 */
#include <ioas/ctx.h>

#include "test.h"

struct iotlb;
static void live_hook(struct iotlb *tlb, int point);
#define IOTLB_HOOK(tlb, point) live_hook(tlb, point)
#include "iommu/iotlb.c"

/* the insert under way: its live count */
static _Atomic uint32_t *pending;
static uint64_t hook_calls;

/* Valid entries per live count. */
static void recount(struct iotlb *tlb, uint32_t *valid)
{
	memset(valid, 0, LIVE_BUCKETS * sizeof(*valid));
	for (size_t i = 0; i < tlb->entries; i++) {
		uint64_t k1 = ld64(&tlb->key1[i]);

		if (k1)
			valid[live_of(tlb, (uint32_t)(ld64(&tlb->key0[i]) >> 32),
				      key1_iova(k1), key1_lg2(k1)) -
			      tlb->live]++;
	}
}

static void live_hook(struct iotlb *tlb, int point)
{
	static uint32_t valid[LIVE_BUCKETS];

	hook_calls++;
	recount(tlb, valid);
	for (uint32_t b = 0; b < LIVE_BUCKETS; b++)
		if (atomic_load(&tlb->live[b]) < valid[b])
			test_fail(__FILE__, __LINE__,
				  "hook %d: count %u holds %u valid entries", point,
				  atomic_load(&tlb->live[b]), valid[b]);
	if ((point == HOOK_INSERT_GEN || point == HOOK_INSERT_WRITE) &&
	    (!pending || !atomic_load(pending)))
		test_fail(__FILE__, __LINE__,
			  "hook %d: the insert's own count is zero", point);
}

static void check_exact(struct iotlb *tlb)
{
	static uint32_t valid[LIVE_BUCKETS];

	recount(tlb, valid);
	for (uint32_t b = 0; b < LIVE_BUCKETS; b++)
		if (atomic_load(&tlb->live[b]) != valid[b])
			test_fail(__FILE__, __LINE__,
				  "count %u holds %u valid entries",
				  atomic_load(&tlb->live[b]), valid[b]);
}

/* An address among a few 64 KiB regions, aligned to its page size. */
static uint64_t rnd_iova(struct test_rng *r, uint32_t lg2)
{
	uint64_t a = (test_rng_below(r, 8) << 16) |
		     (test_rng_below(r, 16) << 12);

	if (test_rng_below(r, 8) == 0)
		a += (uint64_t)test_rng_below(r, 4) << 32; /* far away */
	return a & ~(((uint64_t)1 << lg2) - 1);
}

static void run(uint64_t seed, uint32_t entries, uint32_t ways,
		unsigned steps)
{
	struct iotlb_config cfg = { entries, ways };
	_Atomic uint64_t gen[4] = { 0, 0, 0, 0 };
	struct ioas_ctx *ctx = NULL;
	struct iotlb *tlb = NULL;
	struct test_rng r;

	test_rng_seed(&r, seed);
	CHECK_OK(ioas_ctx_create(NULL, &ctx));
	CHECK_OK(iotlb_create(ctx, &cfg, &tlb));
	for (unsigned step = 0; step < steps; step++) {
		uint32_t dom = (uint32_t)test_rng_below(&r, 4);
		uint32_t pasid = (uint32_t)test_rng_below(&r, 2);
		unsigned k = (unsigned)test_rng_below(&r, 100);

		if (k < 60) {
			static const uint32_t lg2s[] = { 12, 12, 12, 14, 16,
							 21 };
			uint32_t lg2 = lg2s[test_rng_below(&r, 6)];
			uint64_t iova = rnd_iova(&r, lg2);
			uint64_t seen = atomic_load(&gen[dom]);

			if (test_rng_below(&r, 8) == 0)
				seen--; /* a walk an invalidation overtook */
			pending = live_of(tlb, dom, iova, lg2);
			iotlb_insert(tlb, dom, pasid, iova, iova ^ 0xabc000,
				     lg2, 3, &gen[dom], seen);
			pending = NULL;
		} else if (k < 90) {
			uint64_t a = rnd_iova(&r, 12), len;

			switch (test_rng_below(&r, 3)) {
			case 0:
				len = 1 + test_rng_below(&r, 0x2000);
				break;
			case 1:
				len = 1 + test_rng_below(&r, 0x40000);
				break;
			default: /* past the regions looked at one by one */
				len = (uint64_t)1 << (22 + test_rng_below(&r, 12));
				break;
			}
			iotlb_inv_range(tlb, dom,
					test_rng_below(&r, 2) ? IOTLB_PASID_ANY
							      : pasid,
					a, a + len - 1, &gen[dom]);
		} else if (k < 95) {
			iotlb_inv_domain(tlb, dom, &gen[dom]);
		} else if (k < 99) {
			iotlb_inv_pasid(tlb, dom, pasid, &gen[dom]);
		} else {
			iotlb_inv_all(tlb);
		}
		check_exact(tlb);
	}
	iotlb_destroy(tlb);
	ioas_ctx_destroy(ctx);
}

TEST(iotlb_live_counts_hold_at_every_point)
{
	uint64_t seed = test_seed();

	for (unsigned i = 0; i < 4 * test_scale(); i++) {
		test_set_seed(seed + i);
		run(seed + i, 16, 2, 3000);   /* constant evictions */
		run(seed + i, 64, 8, 3000);
		run(seed + i, 8, 8, 3000);    /* one set */
	}
	CHECK(hook_calls > 10000);
	test_note("%llu hook passes", (unsigned long long)hook_calls);
}
