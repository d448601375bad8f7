/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Address-space core benchmark: map, lookup and unmap at growing mapping
 * counts (10^3 .. 10^6) to show the O(log n) cost, and IOVA allocation in a
 * space fragmented into many small holes (the case a linear scan handles
 * badly). The baseline in the same run is the smallest size: per-operation
 * cost should grow with log n, not n.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <ioas/ioas.h>

#include "bench_clock.h"

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

#define PG 4096ull

static struct ioas_as *make_space(struct ioas_ctx *ctx, struct ioas_mm **mm,
				  struct ioas_phys **phys)
{
	struct ioas_as *as;
	struct ioas_as_config cfg = { .size = sizeof(cfg),
				      .window_mode = IOAS_WINDOWS_FULL,
				      .pin_mode = IOAS_PIN_PREREG };

	if (ioas_phys_create(ctx, phys) || ioas_mm_create(ctx, *phys, mm) ||
	    ioas_as_create(*mm, &cfg, &as))
		exit(1);
	return as;
}

static void scale_run(struct ioas_ctx *ctx, size_t n)
{
	struct ioas_phys *phys;
	struct ioas_mm *mm;
	struct ioas_as *as = make_space(ctx, &mm, &phys);
	uint64_t *slots = malloc(n * sizeof(*slots));
	double t0, t_map, t_look, t_unmap;
	uint64_t pa, sink = 0;

	/* Random order of fixed IOVAs spread over the space (every other
	 * page), so the tree sees random inserts. */
	for (size_t i = 0; i < n; i++)
		slots[i] = (uint64_t)i * 2 * PG + PG;
	for (size_t i = n - 1; i > 0; i--) {
		size_t j = rnd() % (i + 1);
		uint64_t t = slots[i];
		slots[i] = slots[j];
		slots[j] = t;
	}
	t0 = now_ns();
	for (size_t i = 0; i < n; i++) {
		struct ioas_map m = { .size = sizeof(m),
				      .flags = IOAS_MAP_FIXED_IOVA | IOAS_MAP_PHYS,
				      .prot = IOAS_PROT_READ, .iova = slots[i],
				      .length = PG, .addr = slots[i] };
		if (ioas_as_map(as, &m))
			exit(2);
	}
	t_map = (now_ns() - t0) / (double)n;
	t0 = now_ns();
	for (size_t i = 0; i < n; i++)
		sink += (uint64_t)ioas_as_lookup(as, slots[(i * 7) % n] + 8, &pa, NULL) + pa;
	t_look = (now_ns() - t0) / (double)n;
	t0 = now_ns();
	for (size_t i = 0; i < n; i++)
		if (ioas_as_unmap(as, slots[i], slots[i] + PG - 1, NULL))
			exit(3);
	t_unmap = (now_ns() - t0) / (double)n;
	printf("%9zu mappings: map %6.1f ns  lookup %6.1f ns  unmap %6.1f ns  (%" PRIu64 ")\n",
	       n, t_map, t_look, t_unmap, sink & 1);
	free(slots);
	ioas_as_destroy(as);
	ioas_mm_destroy(mm);
	ioas_phys_destroy(phys);
}

/* A space with `holes` one-page holes between one-page mappings, and one
 * big hole at the top: allocating 2 pages must skip every small hole. */
static void fragmented_alloc(struct ioas_ctx *ctx, size_t holes)
{
	struct ioas_phys *phys;
	struct ioas_mm *mm;
	struct ioas_as *as = make_space(ctx, &mm, &phys);
	const int rounds = 10000;
	double t0, t;

	for (size_t i = 0; i < holes; i++) {
		struct ioas_map m = { .size = sizeof(m),
				      .flags = IOAS_MAP_FIXED_IOVA | IOAS_MAP_PHYS,
				      .prot = IOAS_PROT_READ,
				      .iova = (uint64_t)i * 2 * PG, .length = PG,
				      .addr = 0 };
		if (i && ioas_as_map(as, &m))
			exit(4);
	}
	/* Reserve everything above the fragmented part except one region. */
	t0 = now_ns();
	for (int r = 0; r < rounds; r++) {
		struct ioas_map m = { .size = sizeof(m), .flags = IOAS_MAP_PHYS,
				      .prot = IOAS_PROT_READ, .length = 2 * PG,
				      .addr = 2 * PG };
		if (ioas_as_map(as, &m) ||
		    ioas_as_unmap(as, m.iova, m.iova + 2 * PG - 1, NULL))
			exit(5);
	}
	t = (now_ns() - t0) / rounds;
	printf("%9zu small holes: allocate+unmap 8 KiB %7.1f ns\n", holes, t);
	ioas_as_destroy(as);
	ioas_mm_destroy(mm);
	ioas_phys_destroy(phys);
}

int main(void)
{
	struct ioas_ctx *ctx;

	if (ioas_ctx_create(NULL, &ctx))
		return 1;
	printf("address-space core (ns per operation)\n");
	for (size_t n = 1000; n <= 1000000; n *= 10)
		scale_run(ctx, n);
	for (size_t h = 1000; h <= 1000000; h *= 10)
		fragmented_alloc(ctx, h);
	ioas_ctx_destroy(ctx);
	return 0;
}
