/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The IOTLB (see iotlb.h for the contract).
 *
 * Indexing
 *   An entry caches one page of any size 2^12 .. 2^63 (the formats use
 *   4K .. 1G, 16K, 64K, 32M, 512M, ...). The set of a page is a hash of
 *   (domain, page number = iova >> size_lg2, size_lg2); the PASID is part
 *   of the tag but not of the hash, so a range invalidation for every PASID
 *   of a domain (the common unmap case) can still probe the exact sets.
 *   A lookup does not know the page size, so it probes one set per size
 *   that is present: each of DOM_SLOTS slots (selected by a hash of the
 *   domain id) keeps a bitmap of the page sizes inserted for the domains
 *   hashing there. A domain that uses one page size costs one set probe;
 *   4K + 2M costs at most two.
 *
 * Layout
 *   Structure of arrays: for set s, ways w, the entry index is
 *   (s << ways_lg2) + w and key1[], key0[], pa[], seq[], prot[] are separate
 *   arrays, so the ways of a set have their most selective word (key1 =
 *   page iova | size_lg2 << 1 | valid) in one cache line (8 ways) that a
 *   lookup scans; the other words are read only for the matching way.
 *     key0 = dom << 32 | pasid
 *     key1 = page_iova | size_lg2 << 1 | 1   (0 = invalid)
 *
 * Concurrency
 *   Readers (lookup) take no lock. Each entry has a sequence counter, odd
 *   while its words are rewritten. Writer (under the set's spin lock):
 *     seq = s + 1 (relaxed); fence(release); words (relaxed);
 *     seq = s + 2 (release)
 *   Reader:
 *     s1 = seq (acquire); words (relaxed); fence(acquire); s2 = seq (relaxed)
 *     valid only if s1 == s2 and s1 even.
 *   If the reader saw any word of a write, the acquire fence orders its
 *   reload of seq after the writer's release fence, so it sees s+1 or later
 *   and discards the snapshot; if s1 was read from the final release store,
 *   the words of that write are visible. A torn read is retried a few times
 *   and then counts as a miss on that way: a miss is always allowed, a
 *   wrong answer never. Every shared word is a C11 atomic, so
 *   ThreadSanitizer sees no data race.
 *
 *   Generation protocol (the header): an insert, under the set lock, first
 *   publishes the page-size bit of its domain slot (seq_cst read-modify-
 *   write, skipped when the bit is already seen set by a seq_cst load), then
 *   loads *gen (seq_cst) and gives up if it moved. An invalidation bumps
 *   *gen (seq_cst RMW) before it reads any size bitmap (seq_cst) and before
 *   it takes any set lock. Two consequences:
 *     - if an insert saw the old generation, its set lock was taken before
 *       the invalidation's lock of the same set (otherwise the lock hand-off
 *       would make the bump visible to the insert), so the invalidation
 *       sees and clears the entry;
 *     - the store-load pair on (size bit, gen) is the Dekker pattern: in the
 *       seq_cst total order either the invalidation sees the size bit (and
 *       probes that size), or the insert sees the bumped generation.
 *   Size bits are cleared only by iotlb_inv_all, which holds every set lock
 *   (inserts set bits under their set lock), so a cached entry's size bit
 *   is always set.
 *
 *   Live counts: size bits stay set, so they cannot tell a range
 *   invalidation that nothing is cached there (an unmap would probe a set
 *   per page of its range, and a device's long-lived rings keep every
 *   domain's bits set). So a table of counters, each the number of valid
 *   entries of a hash of (domain, 64 KiB region) plus the inserts between
 *   their increment and their entry (pages over 64 KiB count under one
 *   region-less hash of their domain). An insert increments (seq_cst)
 *   next to its size bit, before the generation check, and takes it back
 *   when it gives up; an entry killed or replaced decrements its own
 *   counter under the set lock, after it is cleared (release: an
 *   invalidation that reads the lower count and skips its probes also
 *   sees the entry gone). An invalidation that, after its bump,
 *   reads zero for the regions of its range and for the large pages
 *   skips the probes: the same Dekker pair says no insert it would have
 *   had to see can complete. Collisions only cost probes. The price is on
 *   inserts: one or two more atomic adds (an insert replacing an entry of
 *   the same count needs none, the victim keeps it above zero while the
 *   set lock is held): bench_iotlb's miss + insert went from ~22 to ~35 ns
 *   on one thread, a 4-level-walk miss from ~150 to ~160 ns; an unmap
 *   whose range holds nothing cached skips ~130 instructions per page.
 *
 * Replacement
 *   An insert of a tag already cached rewrites that entry; otherwise it
 *   takes the first invalid way of the set; otherwise the way the set's
 *   round-robin cursor points at (advanced on each eviction), and counts an
 *   eviction. Round robin needs no write on the hit path, unlike LRU.
 *
 * Counters
 *   A shared atomic counter costs a locked add (~5 ns on x86, as much as
 *   the rest of a hit) and bounces its line between threads (measured: a
 *   hit went from 6 to 12 ns on one thread, 25 ns on two). So each IOTLB has
 *   SHARDS single-writer shards of counters, one per thread that uses it
 *   (claimed on first use, owner = the address of a thread-local byte, so no
 *   global state), incremented with a relaxed load and store; threads past
 *   SHARDS share one more shard with atomic adds. Totals stay exact.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "iommu/iotlb.h"

/* Points inside the locked sections where a white-box test that includes
 * this file (tests/unit/test_iotlb_live.c) checks the live counts; nothing
 * otherwise. */
#ifndef IOTLB_HOOK
#define IOTLB_HOOK(tlb, point) ((void)0)
#endif
enum {
	HOOK_INSERT_GEN,    /* counted, about to check the generation */
	HOOK_INSERT_WRITE,  /* about to overwrite the victim */
	HOOK_INSERT_DONE,   /* written, victim's count not yet lowered */
	HOOK_KILLED,        /* an entry cleared, its count not yet lowered */
};

#define LG2_MIN 12u
#define LG2_MAX 63u
#define DOM_SLOTS_LG2 8u
#define DOM_SLOTS (1u << DOM_SLOTS_LG2)
#define LIVE_BUCKETS_LG2 12u
#define LIVE_BUCKETS (1u << LIVE_BUCKETS_LG2)
#define REGION_LG2 16u      /* pages up to this size count by region */
#define REGION_CHECKS 32u   /* more regions than this: probe anyway */
#define SHARDS 32u
#define READ_RETRIES 8
#define MAX_ENTRIES (1u << 26)

enum {
	C_HITS,
	C_MISSES,
	C_INSERTS,
	C_EVICTIONS,
	C_INV_ALL,
	C_INV_DOMAIN,
	C_INV_PASID,
	C_INV_RANGE,
	C_ENTRIES_INV,
	C_STALE,
	C_NR
};

struct shard {
	_Alignas(256) _Atomic uint64_t c[C_NR];
};

struct set_hdr {
	atomic_flag lock;
	uint32_t rr; /* round-robin cursor, under the lock */
};

struct iotlb {
	struct ioas_ctx *ctx;
	uint32_t entries, ways, ways_lg2, nsets;
	uint32_t set_shift; /* 32 - log2(nsets) */
	size_t alloc_size;
	_Atomic uint64_t *key0, *key1, *pa;
	_Atomic uint32_t *seq, *prot;
	struct set_hdr *hdr;
	_Atomic uint64_t dom_sizes[DOM_SLOTS];
	/* Valid entries plus inserts past their count, per hash of (domain,
	 * region): the header comment's live counts. */
	_Atomic uint32_t live[LIVE_BUCKETS];
	_Atomic uintptr_t owner[SHARDS];   /* thread owning shard i, 0 = none */
	struct shard shard[SHARDS + 1];    /* [SHARDS]: shared, atomic adds */
};

/* ---- helpers ---------------------------------------------------------- */

#if defined(__GNUC__)
#define TLS_IE __attribute__((tls_model("initial-exec")))
#else
#define TLS_IE
#endif

/* A byte whose address names the calling thread while it lives. */
static _Thread_local char thread_anchor TLS_IE;
/* The shard this thread last used, and in which IOTLB. */
static _Thread_local struct {
	const struct iotlb *tlb;
	uint32_t idx;
} shard_cache TLS_IE;

static __attribute__((noinline)) uint32_t claim_shard(struct iotlb *tlb)
{
	uintptr_t me = (uintptr_t)&thread_anchor;
	uint32_t idx = SHARDS; /* the shared one, if every shard is owned */

	for (uint32_t i = 0; i < SHARDS; i++) {
		uintptr_t o = atomic_load_explicit(&tlb->owner[i],
						   memory_order_relaxed);

		if (o == me) {
			idx = i;
			break;
		}
		if (!o && atomic_compare_exchange_strong(&tlb->owner[i], &o,
							 me)) {
			idx = i;
			break;
		}
	}
	shard_cache.tlb = tlb;
	shard_cache.idx = idx;
	return idx;
}

/*
 * A shard written by one live thread only is incremented with a relaxed
 * load and store (no locked instruction: ~5 ns saved per lookup on x86);
 * the shared overflow shard with an atomic add. Ownership: the address of
 * the thread's thread_anchor, unique among live threads; a thread that
 * reuses a dead thread's address inherits its shard, which is still
 * single-writer. get_stats may read while owners write: relaxed atomics,
 * no tearing.
 */
static inline void count(struct iotlb *tlb, unsigned which, uint64_t n)
{
	uint32_t idx = shard_cache.idx;
	_Atomic uint64_t *c;

	if (shard_cache.tlb != tlb ||
	    (idx < SHARDS &&
	     atomic_load_explicit(&tlb->owner[idx], memory_order_relaxed) !=
		     (uintptr_t)&thread_anchor))
		idx = claim_shard(tlb);
	c = &tlb->shard[idx].c[which];
	if (idx < SHARDS)
		atomic_store_explicit(
			c, atomic_load_explicit(c, memory_order_relaxed) + n,
			memory_order_relaxed);
	else
		atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

static inline uint32_t dom_slot(uint32_t dom)
{
	return (uint32_t)(dom * 0x9E3779B1u) >> (32 - DOM_SLOTS_LG2);
}

static inline uint32_t set_of(const struct iotlb *tlb, uint32_t dom,
			      uint64_t page, uint32_t lg2)
{
	uint64_t x = page ^ ((uint64_t)dom * 0x9E3779B97F4A7C15ull) ^
		     ((uint64_t)lg2 << 57);

	x *= 0xD6E8FEB86659FD93ull;
	return (uint32_t)((x >> 32) >> tlb->set_shift);
}

static inline uint64_t mk_key0(uint32_t dom, uint32_t pasid)
{
	return (uint64_t)dom << 32 | pasid;
}

static inline uint64_t mk_key1(uint64_t page_iova, uint32_t lg2)
{
	return page_iova | (uint64_t)lg2 << 1 | 1u;
}

static inline uint64_t key1_iova(uint64_t k1)
{
	return k1 & ~(uint64_t)0xfff;
}

static inline uint32_t key1_lg2(uint64_t k1)
{
	return (uint32_t)(k1 >> 1) & 63u;
}

static inline void set_lock(struct iotlb *tlb, uint32_t set)
{
	while (atomic_flag_test_and_set_explicit(&tlb->hdr[set].lock,
						 memory_order_acquire))
		;
}

static inline void set_unlock(struct iotlb *tlb, uint32_t set)
{
	atomic_flag_clear_explicit(&tlb->hdr[set].lock, memory_order_release);
}

/* Writer side of the entry seqlock; the set lock is held. */
static inline uint32_t write_begin(struct iotlb *tlb, size_t i)
{
	uint32_t s = atomic_load_explicit(&tlb->seq[i], memory_order_relaxed);

	atomic_store_explicit(&tlb->seq[i], s + 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	return s;
}

static inline void write_end(struct iotlb *tlb, size_t i, uint32_t s)
{
	atomic_store_explicit(&tlb->seq[i], s + 2, memory_order_release);
}

static inline uint64_t ld64(_Atomic uint64_t *p)
{
	return atomic_load_explicit(p, memory_order_relaxed);
}

static inline void st64(_Atomic uint64_t *p, uint64_t v)
{
	atomic_store_explicit(p, v, memory_order_relaxed);
}

/* Clear entry i (set lock held). */
static inline void kill_entry(struct iotlb *tlb, size_t i)
{
	uint32_t s = write_begin(tlb, i);

	st64(&tlb->key1[i], 0);
	write_end(tlb, i, s);
}

/* The live count of a page of dom: its region's, or for a page larger
 * than a region the domain's one count of such pages. */
static inline _Atomic uint32_t *live_of(struct iotlb *tlb, uint32_t dom,
					uint64_t page_iova, uint32_t lg2)
{
	uint64_t r = lg2 <= REGION_LG2 ? page_iova >> REGION_LG2 : UINT64_MAX;
	uint64_t x = (r ^ ((uint64_t)dom << 40)) * 0x9E3779B97F4A7C15ull;

	return &tlb->live[x >> (64 - LIVE_BUCKETS_LG2)];
}

/* A valid entry of keys (k0, k1) is gone (set lock held). Release: an
 * invalidation that reads the lower count and skips its probes must see
 * the entry's clearing too, so its caller's later lookups miss. */
static inline void live_dec(struct iotlb *tlb, uint64_t k0, uint64_t k1)
{
	atomic_fetch_sub_explicit(live_of(tlb, (uint32_t)(k0 >> 32),
					  key1_iova(k1), key1_lg2(k1)),
				  1, memory_order_release);
}

/* ---- create / destroy --------------------------------------------------- */

int iotlb_create(struct ioas_ctx *ctx, const struct iotlb_config *cfg,
		 struct iotlb **out)
{
	uint32_t entries = cfg && cfg->entries ? cfg->entries : 1024;
	uint32_t ways = cfg && cfg->ways ? cfg->ways : 8;
	struct iotlb *tlb;
	size_t n, sz;
	char *mem;

	*out = NULL;
	if (!is_pow2_u64(entries) || !is_pow2_u64(ways) || ways > entries ||
	    entries > MAX_ENTRIES)
		return -EINVAL;
	tlb = ctx_alloc(ctx, sizeof(*tlb), 64);
	if (!tlb)
		return -ENOMEM;
	n = entries;
	/* 8-byte arrays first, each a multiple of 64 bytes once n >= 8. */
	sz = 3 * n * sizeof(uint64_t) + 2 * n * sizeof(uint32_t) +
	     (n / ways) * sizeof(struct set_hdr);
	mem = ctx_alloc(ctx, sz, 64);
	if (!mem) {
		ctx_free(ctx, tlb, sizeof(*tlb));
		return -ENOMEM;
	}
	tlb->ctx = ctx;
	tlb->entries = entries;
	tlb->ways = ways;
	tlb->ways_lg2 = ilog2_u64(ways);
	tlb->nsets = entries / ways;
	tlb->set_shift = 32 - ilog2_u64(tlb->nsets);
	tlb->alloc_size = sz;
	tlb->key1 = (_Atomic uint64_t *)(void *)mem;
	tlb->key0 = (_Atomic uint64_t *)(void *)(mem + 8 * n);
	tlb->pa = (_Atomic uint64_t *)(void *)(mem + 16 * n);
	tlb->seq = (_Atomic uint32_t *)(void *)(mem + 24 * n);
	tlb->prot = (_Atomic uint32_t *)(void *)(mem + 28 * n);
	tlb->hdr = (struct set_hdr *)(void *)(mem + 32 * n);
	/* ctx_alloc zeroes: keys 0 = invalid, sequence counters even,
	 * counters 0; locks and atomics still get a proper initialisation. */
	for (size_t i = 0; i < n; i++) {
		atomic_init(&tlb->key1[i], 0);
		atomic_init(&tlb->key0[i], 0);
		atomic_init(&tlb->pa[i], 0);
		atomic_init(&tlb->seq[i], 0);
		atomic_init(&tlb->prot[i], 0);
	}
	for (uint32_t s = 0; s < tlb->nsets; s++) {
		atomic_flag_clear(&tlb->hdr[s].lock);
		tlb->hdr[s].rr = 0;
	}
	for (uint32_t d = 0; d < DOM_SLOTS; d++)
		atomic_init(&tlb->dom_sizes[d], 0);
	for (uint32_t b = 0; b < LIVE_BUCKETS; b++)
		atomic_init(&tlb->live[b], 0);
	for (uint32_t s = 0; s <= SHARDS; s++) {
		if (s < SHARDS)
			atomic_init(&tlb->owner[s], 0);
		for (uint32_t c = 0; c < C_NR; c++)
			atomic_init(&tlb->shard[s].c[c], 0);
	}
	ctx_get(ctx);
	*out = tlb;
	return 0;
}

void iotlb_destroy(struct iotlb *tlb)
{
	struct ioas_ctx *ctx;

	if (!tlb)
		return;
	ctx = tlb->ctx;
	ctx_free(ctx, tlb->key1, tlb->alloc_size);
	ctx_free(ctx, tlb, sizeof(*tlb));
	ctx_put(ctx);
}

/* ---- lookup (lock-free) ------------------------------------------------- */

/* Entry i's key1 matched want1 in a racy read: take a consistent snapshot.
 * 1 = hit, 0 = not this tag, -1 = no stable snapshot (treat as a miss). */
static inline int read_entry(struct iotlb *tlb, size_t i, uint64_t want0,
			     uint64_t want1, uint64_t *pa, uint32_t *prot)
{
	for (int tries = 0; tries < READ_RETRIES; tries++) {
		uint32_t s1 = atomic_load_explicit(&tlb->seq[i],
						   memory_order_acquire);
		uint64_t k0, k1;
		uint32_t s2;

		if (s1 & 1)
			continue;
		k1 = ld64(&tlb->key1[i]);
		k0 = ld64(&tlb->key0[i]);
		*pa = ld64(&tlb->pa[i]);
		*prot = atomic_load_explicit(&tlb->prot[i],
					     memory_order_relaxed);
		atomic_thread_fence(memory_order_acquire);
		s2 = atomic_load_explicit(&tlb->seq[i], memory_order_relaxed);
		if (s1 != s2)
			continue;
		return k1 == want1 && k0 == want0;
	}
	return -1;
}

bool iotlb_lookup(struct iotlb *tlb, uint32_t dom, uint32_t pasid,
		  uint64_t iova, struct iotlb_hit *hit)
{
	uint64_t sizes = atomic_load_explicit(&tlb->dom_sizes[dom_slot(dom)],
					      memory_order_relaxed);
	uint64_t want0 = mk_key0(dom, pasid);
	uint32_t ways = tlb->ways;

	while (sizes) {
		uint32_t lg2 = (uint32_t)__builtin_ctzll(sizes);
		uint64_t page = iova >> lg2;
		uint64_t piova = page << lg2;
		uint64_t want1 = mk_key1(piova, lg2);
		size_t base = (size_t)set_of(tlb, dom, page, lg2)
			      << tlb->ways_lg2;

		sizes &= sizes - 1;
		for (uint32_t w = 0; w < ways; w++) {
			uint64_t pa;
			uint32_t prot;

			if (ld64(&tlb->key1[base + w]) != want1)
				continue;
			if (read_entry(tlb, base + w, want0, want1, &pa,
				       &prot) != 1)
				continue;
			hit->page_pa = pa;
			hit->page_iova = piova;
			hit->prot = prot;
			hit->size_lg2 = lg2;
			count(tlb, C_HITS, 1);
			return true;
		}
	}
	count(tlb, C_MISSES, 1);
	return false;
}

/* ---- insert --------------------------------------------------------------- */

void iotlb_insert(struct iotlb *tlb, uint32_t dom, uint32_t pasid,
		  uint64_t page_iova, uint64_t page_pa, uint32_t size_lg2,
		  uint32_t prot, const _Atomic uint64_t *gen, uint64_t seen_gen)
{
	_Atomic uint64_t *sizes = &tlb->dom_sizes[dom_slot(dom)];
	_Atomic uint32_t *live, *old_live = NULL;
	uint64_t bit, page, k0, k1, e1;
	uint32_t set, victim = UINT32_MAX, free_way = UINT32_MAX;
	bool evict = false;
	size_t base, i;
	uint32_t s;

	if (size_lg2 < LG2_MIN || size_lg2 > LG2_MAX ||
	    pasid == IOTLB_PASID_ANY)
		return;
	bit = (uint64_t)1 << size_lg2;
	page = page_iova >> size_lg2;
	k0 = mk_key0(dom, pasid);
	k1 = mk_key1(page << size_lg2, size_lg2);
	set = set_of(tlb, dom, page, size_lg2);
	base = (size_t)set << tlb->ways_lg2;
	live = live_of(tlb, dom, page << size_lg2, size_lg2);

	set_lock(tlb, set);
	/* The way: the same tag, else a free one, else round robin. */
	for (uint32_t w = 0; w < tlb->ways; w++) {
		e1 = ld64(&tlb->key1[base + w]);
		if (!e1) {
			if (free_way == UINT32_MAX)
				free_way = w;
		} else if (e1 == k1 && ld64(&tlb->key0[base + w]) == k0) {
			victim = w;
			break;
		}
	}
	if (victim == UINT32_MAX) {
		victim = free_way;
		if (victim == UINT32_MAX) {
			victim = tlb->hdr[set].rr & (tlb->ways - 1);
			evict = true;
		}
	}
	i = base + victim;
	e1 = ld64(&tlb->key1[i]);
	if (e1)
		old_live = live_of(tlb, (uint32_t)(ld64(&tlb->key0[i]) >> 32),
				   key1_iova(e1), key1_lg2(e1));
	/* Size bit and live count before the generation check: see the
	 * header comment. An entry replaced under the same live count
	 * keeps it above zero while the set lock is held, so the count
	 * needs no change at all (the common refill). */
	if (!(atomic_load(sizes) & bit))
		atomic_fetch_or(sizes, bit);
	if (old_live != live)
		atomic_fetch_add(live, 1);
	IOTLB_HOOK(tlb, HOOK_INSERT_GEN);
	if (gen && atomic_load(gen) != seen_gen) {
		if (old_live != live)
			atomic_fetch_sub_explicit(live, 1,
						  memory_order_relaxed);
		set_unlock(tlb, set);
		count(tlb, C_STALE, 1);
		return;
	}
	if (evict) {
		tlb->hdr[set].rr = victim + 1;
		count(tlb, C_EVICTIONS, 1);
	}
	IOTLB_HOOK(tlb, HOOK_INSERT_WRITE);
	s = write_begin(tlb, i);
	st64(&tlb->key0[i], k0);
	st64(&tlb->pa[i], page_pa);
	atomic_store_explicit(&tlb->prot[i], prot, memory_order_relaxed);
	st64(&tlb->key1[i], k1);
	write_end(tlb, i, s);
	IOTLB_HOOK(tlb, HOOK_INSERT_DONE);
	/* the entry replaced leaves its own live count, once it is gone:
	 * an invalidation that reads the lower count skips its set */
	if (old_live && old_live != live)
		atomic_fetch_sub_explicit(old_live, 1, memory_order_release);
	set_unlock(tlb, set);
	count(tlb, C_INSERTS, 1);
}

/* ---- invalidation --------------------------------------------------------- */

#define M_ALL 0u    /* every entry */
#define M_DOM 1u    /* key0 >> 32 == dom */
#define M_TAG 2u    /* key0 == (dom, pasid) */

struct inv_match {
	unsigned kind;
	uint64_t k0;
	bool range;
	uint64_t start, last;
};

static inline bool matches(const struct inv_match *m, uint64_t k0,
			   uint64_t k1)
{
	if (!k1)
		return false;
	if (m->kind == M_DOM && (k0 >> 32) != (m->k0 >> 32))
		return false;
	if (m->kind == M_TAG && k0 != m->k0)
		return false;
	if (m->range) {
		uint64_t iova = key1_iova(k1);
		uint64_t plast = iova + ((((uint64_t)1) << key1_lg2(k1)) - 1);

		if (iova > m->last || plast < m->start)
			return false;
	}
	return true;
}

/* Clear the matching entries of one set; returns how many. */
static uint64_t inv_set(struct iotlb *tlb, uint32_t set,
			const struct inv_match *m)
{
	size_t base = (size_t)set << tlb->ways_lg2;
	uint64_t n = 0;

	set_lock(tlb, set);
	for (uint32_t w = 0; w < tlb->ways; w++) {
		size_t i = base + w;
		uint64_t k0 = ld64(&tlb->key0[i]), k1 = ld64(&tlb->key1[i]);

		if (matches(m, k0, k1)) {
			kill_entry(tlb, i);
			IOTLB_HOOK(tlb, HOOK_KILLED);
			live_dec(tlb, k0, k1);
			n++;
		}
	}
	set_unlock(tlb, set);
	return n;
}

static uint64_t inv_scan(struct iotlb *tlb, const struct inv_match *m)
{
	uint64_t n = 0;

	for (uint32_t set = 0; set < tlb->nsets; set++)
		n += inv_set(tlb, set, m);
	return n;
}

static void bump(_Atomic uint64_t *gen)
{
	if (gen)
		atomic_fetch_add(gen, 1); /* seq_cst: see the header comment */
}

/* No page of dom that meets [start, last] is cached, and no insert of
 * one will complete: seq_cst loads after the bump (the header comment's
 * live counts). false when unsure. */
static bool range_empty(struct iotlb *tlb, uint32_t dom, uint64_t start,
			uint64_t last)
{
	uint64_t r = start >> REGION_LG2, rlast = last >> REGION_LG2;

	if (rlast - r >= REGION_CHECKS ||
	    atomic_load(live_of(tlb, dom, 0, REGION_LG2 + 1)))
		return false;
	for (;; r++) {
		if (atomic_load(live_of(tlb, dom, r << REGION_LG2, REGION_LG2)))
			return false;
		if (r == rlast)
			return true;
	}
}

void iotlb_inv_all(struct iotlb *tlb)
{
	uint64_t n = 0;

	for (uint32_t set = 0; set < tlb->nsets; set++)
		set_lock(tlb, set);
	for (size_t i = 0; i < tlb->entries; i++) {
		if (ld64(&tlb->key1[i])) {
			kill_entry(tlb, i);
			n++;
		}
	}
	/* Under every set lock, so no insert is between its size bit (and
	 * live count) and its entry. */
	for (uint32_t d = 0; d < DOM_SLOTS; d++)
		atomic_store_explicit(&tlb->dom_sizes[d], 0,
				      memory_order_relaxed);
	for (uint32_t b = 0; b < LIVE_BUCKETS; b++)
		atomic_store_explicit(&tlb->live[b], 0, memory_order_relaxed);
	for (uint32_t set = 0; set < tlb->nsets; set++)
		set_unlock(tlb, set);
	count(tlb, C_INV_ALL, 1);
	count(tlb, C_ENTRIES_INV, n);
}

void iotlb_inv_domain(struct iotlb *tlb, uint32_t dom, _Atomic uint64_t *gen)
{
	struct inv_match m = { M_DOM, mk_key0(dom, 0), false, 0, 0 };

	bump(gen);
	count(tlb, C_ENTRIES_INV, inv_scan(tlb, &m));
	count(tlb, C_INV_DOMAIN, 1);
}

void iotlb_inv_pasid(struct iotlb *tlb, uint32_t dom, uint32_t pasid,
		     _Atomic uint64_t *gen)
{
	struct inv_match m = { pasid == IOTLB_PASID_ANY ? M_DOM : M_TAG,
			       mk_key0(dom, pasid), false, 0, 0 };

	bump(gen);
	count(tlb, C_ENTRIES_INV, inv_scan(tlb, &m));
	count(tlb, C_INV_PASID, 1);
}

void iotlb_inv_range(struct iotlb *tlb, uint32_t dom, uint32_t pasid,
		     uint64_t start, uint64_t last, _Atomic uint64_t *gen)
{
	struct inv_match m = { pasid == IOTLB_PASID_ANY ? M_DOM : M_TAG,
			       mk_key0(dom, pasid), true, start, last };
	uint64_t sizes, probes = 0, n = 0;

	bump(gen);
	count(tlb, C_INV_RANGE, 1);
	if (start > last || range_empty(tlb, dom, start, last))
		return;
	/* seq_cst load after the seq_cst bump: see the header comment. */
	sizes = atomic_load(&tlb->dom_sizes[dom_slot(dom)]);
	for (uint64_t sz = sizes; sz; sz &= sz - 1) {
		uint32_t lg2 = (uint32_t)__builtin_ctzll(sz);

		/* <= 2^52 pages per size, <= 52 sizes: no overflow. */
		probes += (last >> lg2) - (start >> lg2) + 1;
	}
	if (probes >= tlb->nsets) {
		n = inv_scan(tlb, &m);
	} else {
		for (; sizes; sizes &= sizes - 1) {
			uint32_t lg2 = (uint32_t)__builtin_ctzll(sizes);
			uint64_t p = start >> lg2, plast = last >> lg2;

			for (;; p++) {
				n += inv_set(tlb, set_of(tlb, dom, p, lg2), &m);
				if (p == plast)
					break;
			}
		}
	}
	count(tlb, C_ENTRIES_INV, n);
}

void iotlb_get_stats(const struct iotlb *tlb, struct iotlb_stats *out)
{
	uint64_t c[C_NR] = { 0 };

	for (uint32_t s = 0; s <= SHARDS; s++)
		for (uint32_t k = 0; k < C_NR; k++)
			c[k] += atomic_load_explicit(&tlb->shard[s].c[k],
						     memory_order_relaxed);
	memset(out, 0, sizeof(*out));
	out->hits = c[C_HITS];
	out->misses = c[C_MISSES];
	out->inserts = c[C_INSERTS];
	out->evictions = c[C_EVICTIONS];
	out->inv_all = c[C_INV_ALL];
	out->inv_domain = c[C_INV_DOMAIN];
	out->inv_pasid = c[C_INV_PASID];
	out->inv_range = c[C_INV_RANGE];
	out->entries_invalidated = c[C_ENTRIES_INV];
	out->stale_inserts_refused = c[C_STALE];
}
