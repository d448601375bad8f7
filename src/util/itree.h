/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * itree: an intrusive, height-balanced (AVL) binary search tree of disjoint
 * inclusive intervals [start, last], augmented so that free space between
 * intervals can be found in O(log n).
 *
 * Each node caches, for its subtree:
 *   sub_start  the lowest start in the subtree
 *   sub_last   the highest last in the subtree
 *   max_gap    the length of the largest hole strictly between two intervals
 *              of the subtree (0 when the subtree has one interval or none
 *              of its intervals are separated)
 * which depend only on the subtree, so rotations recompute them locally.
 * Only the free-space search reads them, and keeping them costs every
 * insert and remove a walk to the root (a new interval at the top of the
 * space changes every ancestor's span), so a tree can go without them
 * (itree_set_gaps) until its first search, which brings them back in one
 * O(n) pass.
 *
 * The tree never allocates: callers embed struct itree_node in their own
 * objects and use container_of. Insert reports overlap; remove cannot fail.
 * Not thread-safe: callers serialise.
 */
#ifndef IOAS_UTIL_ITREE_H
#define IOAS_UTIL_ITREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct itree_node {
	struct itree_node *left, *right, *parent;
	uint64_t start, last;            /* the interval, inclusive */
	uint64_t sub_start, sub_last;    /* span of the subtree */
	uint64_t max_gap;                /* largest hole inside the subtree */
	int height;                      /* leaf = 1 */
};

struct itree {
	struct itree_node *root;
	size_t count;
	bool no_gaps;   /* sub_start, sub_last and max_gap are not kept */
};

#define ITREE_INIT { NULL, 0, false }

static inline void itree_init(struct itree *t)
{
	t->root = NULL;
	t->count = 0;
	t->no_gaps = false;
}

/* Keep the cached spans and holes (on, the default) or not. Turning them
 * on recomputes every node: O(n). Never fails. */
void itree_set_gaps(struct itree *t, bool on);

/*
 * Insert n, whose start and last are set (start <= last). Returns 0, or
 * -EEXIST if [start, last] intersects an interval already in the tree (the
 * tree is then unchanged), or -EINVAL if start > last.
 */
int itree_insert(struct itree *t, struct itree_node *n);

/* Remove n, which must be in t. Never fails, never allocates. */
void itree_remove(struct itree *t, struct itree_node *n);

/* The node whose interval contains addr, or NULL. */
struct itree_node *itree_find(const struct itree *t, uint64_t addr);

/* The lowest node that intersects [start, last], or NULL (also when
 * start > last). */
struct itree_node *itree_first_overlap(const struct itree *t, uint64_t start,
				       uint64_t last);

/* In-order traversal. NULL at the ends. */
struct itree_node *itree_first(const struct itree *t);
struct itree_node *itree_last(const struct itree *t);
struct itree_node *itree_next(const struct itree_node *n);
struct itree_node *itree_prev(const struct itree_node *n);

/*
 * Find free space for `size` bytes (size >= 1) inside [lo, hi] at an address
 * that is a multiple of `align` (a power of two >= 1), not intersecting any
 * interval of the tree. A "hole" is a maximal run of addresses in [lo, hi]
 * covered by no interval.
 *
 * The policy, which callers and reference models rely on:
 *   1. if some hole has length >= size + align - 1 (so it certainly fits
 *      whatever its alignment), the answer is the lowest multiple of align
 *      in the lowest such hole;
 *   2. otherwise the answer is the lowest multiple of align, in any hole,
 *      at which size bytes fit;
 *   3. otherwise there is no answer.
 * Step 1 costs O(log n); step 2 only runs when step 1 fails and may visit
 * every hole whose length is >= size.
 * Overflow-safe for ranges that touch UINT64_MAX and for size + align - 1
 * exceeding 2^64 (then step 1 finds nothing). Step 1 may answer above a
 * lower exact fit: that is the price of its O(log n) bound.
 * size 0, an align that is not a power of two, or lo > hi: false.
 * Returns true and sets *out on success (*out is untouched otherwise).
 * Turns the tree's gaps on (itree_set_gaps) when they were off.
 */
bool itree_find_free(struct itree *t, uint64_t lo, uint64_t hi,
		     uint64_t size, uint64_t align, uint64_t *out);

/* Debug aid for tests: checks ordering, disjointness, balance, parent
 * links and every cached field kept. Returns 0 or a negative line
 * number. */
int itree_check(const struct itree *t);

#define itree_entry(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))

#endif
