/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * itree: intrusive AVL tree of disjoint inclusive intervals, augmented with
 * each subtree's span and largest interior hole (see itree.h).
 *
 * Every walk is a loop over child/parent links: no recursion, no stack, no
 * allocation. After an insert or remove the path to the root is refreshed
 * until a node comes out unchanged; with gaps kept that is often the whole
 * path, because an ancestor's span or max_gap may change even when no
 * rotation happens and its height does not; without them, the first node
 * whose height stands ends it (plain AVL).
 *
 * Lengths: a hole between two intervals is at most 2^64 - 2 long, so
 * max_gap fits in uint64_t. Clipped holes and the empty tree can reach
 * 2^64, so the free-space search compares "length - 1" (last - start)
 * against "needed length - 1" and never forms a length that could wrap.
 */
#include "itree.h"

#include <errno.h>

static int node_height(const struct itree_node *n)
{
	return n ? n->height : 0;
}

/* Refresh n's cached fields from its interval and its children, which must
 * already be up to date (so callers go bottom-up). */
static void update_gaps(struct itree_node *n)
{
	const struct itree_node *l = n->left, *r = n->right;
	uint64_t gap = 0;
	int hl = node_height(l), hr = node_height(r);

	n->sub_start = n->start;
	n->sub_last = n->last;
	if (l) {
		n->sub_start = l->sub_start;
		gap = l->max_gap;
		/* l->sub_last < n->start, so this cannot wrap */
		if (n->start - l->sub_last - 1 > gap)
			gap = n->start - l->sub_last - 1;
	}
	if (r) {
		n->sub_last = r->sub_last;
		if (r->max_gap > gap)
			gap = r->max_gap;
		if (r->sub_start - n->last - 1 > gap)
			gap = r->sub_start - n->last - 1;
	}
	n->max_gap = gap;
	n->height = (hl > hr ? hl : hr) + 1;
}

/* gaps: t->no_gaps is false (a constant in each specialised caller) */
static inline void update(bool gaps, struct itree_node *n)
{
	if (!gaps) {
		int hl = node_height(n->left), hr = node_height(n->right);

		n->height = (hl > hr ? hl : hr) + 1;
	} else {
		update_gaps(n);
	}
}

/* Make `parent` (or the root slot) point at `new_child` instead of `old`. */
static void replace_child(struct itree *t, struct itree_node *parent,
			  const struct itree_node *old,
			  struct itree_node *new_child)
{
	if (!parent)
		t->root = new_child;
	else if (parent->left == old)
		parent->left = new_child;
	else
		parent->right = new_child;
}

/* x's right child y takes x's place; returns y. Updates x before y since x
 * ends up below y. */
static inline struct itree_node *rotate_left(struct itree *t,
					     struct itree_node *x, bool gaps)
{
	struct itree_node *y = x->right;

	x->right = y->left;
	if (y->left)
		y->left->parent = x;
	y->parent = x->parent;
	replace_child(t, x->parent, x, y);
	y->left = x;
	x->parent = y;
	update(gaps, x);
	update(gaps, y);
	return y;
}

static inline struct itree_node *rotate_right(struct itree *t,
					      struct itree_node *x, bool gaps)
{
	struct itree_node *y = x->left;

	x->left = y->right;
	if (y->right)
		y->right->parent = x;
	y->parent = x->parent;
	replace_child(t, x->parent, x, y);
	y->right = x;
	x->parent = y;
	update(gaps, x);
	update(gaps, y);
	return y;
}

/* Walk from x towards the root refreshing cached fields and restoring the
 * AVL balance. Children of x are already consistent. Ancestors depend only
 * on their children's cached fields, so the walk stops at the first node
 * that needs no rotation and whose fields come out unchanged. (When remove
 * moves a successor s up, every node from x to s loses or gains the lowest
 * start of its subtree, so with gaps the walk cannot stop below s; without
 * them it can, and remove gives s the height n had.) */
static inline __attribute__((always_inline)) void
fixup_walk(struct itree *t, struct itree_node *x, bool gaps)
{
	while (x) {
		int hl = node_height(x->left), hr = node_height(x->right);

		if (hl > hr + 1) {
			struct itree_node *l = x->left;

			/* left-right case: straighten it into left-left first */
			if (node_height(l->right) > node_height(l->left))
				rotate_left(t, l, gaps);
			x = rotate_right(t, x, gaps);
		} else if (hr > hl + 1) {
			struct itree_node *r = x->right;

			if (node_height(r->left) > node_height(r->right))
				rotate_right(t, r, gaps);
			x = rotate_left(t, x, gaps);
		} else {
			uint64_t ss = x->sub_start, sl = x->sub_last;
			uint64_t g = x->max_gap;
			int h = x->height;

			update(gaps, x);
			if (x->sub_start == ss && x->sub_last == sl &&
			    x->max_gap == g && x->height == h)
				return;
		}
		x = x->parent;
	}
}

/* fixup_walk, compiled once for each kind of tree */
static void fixup(struct itree *t, struct itree_node *x)
{
	if (t->no_gaps)
		fixup_walk(t, x, false);
	else
		fixup_walk(t, x, true);
}

int itree_insert(struct itree *t, struct itree_node *n)
{
	struct itree_node *parent = NULL, **link = &t->root;

	if (n->start > n->last)
		return -EINVAL;
	/*
	 * An interval entirely left of a node can only intersect that node's
	 * left subtree (and symmetrically), so the insertion descent alone
	 * finds any overlap, before anything has been modified.
	 */
	while (*link) {
		parent = *link;
		if (n->last < parent->start)
			link = &parent->left;
		else if (n->start > parent->last)
			link = &parent->right;
		else
			return -EEXIST;
	}
	n->left = n->right = NULL;
	n->parent = parent;
	update(!t->no_gaps, n);
	*link = n;
	t->count++;
	fixup(t, parent);
	return 0;
}

void itree_remove(struct itree *t, struct itree_node *n)
{
	struct itree_node *parent = n->parent, *from;

	if (!n->left || !n->right) {
		struct itree_node *child = n->left ? n->left : n->right;

		if (child)
			child->parent = parent;
		replace_child(t, parent, n, child);
		from = parent;
	} else {
		/* Relink the successor s into n's place: nodes are the
		 * caller's objects, so their contents cannot be swapped. */
		struct itree_node *s = n->right;

		while (s->left)
			s = s->left;
		if (s == n->right) {
			from = s;
		} else {
			from = s->parent;
			from->left = s->right;
			if (s->right)
				s->right->parent = from;
			s->right = n->right;
			n->right->parent = s;
		}
		s->left = n->left;
		n->left->parent = s;
		s->parent = parent;
		/* what its parent saw of n, should the walk stop below s
		 * (without gaps; with them it reaches s) */
		s->height = n->height;
		replace_child(t, parent, n, s);
	}
	t->count--;
	n->left = n->right = n->parent = NULL;
	fixup(t, from);
}

void itree_set_gaps(struct itree *t, bool on)
{
	struct itree_node *x = t->root;

	if (!on || !t->no_gaps) {
		t->no_gaps = !on;
		return;
	}
	t->no_gaps = false;
	/* every node after its children: a post-order walk over the links */
	while (x && (x->left || x->right))
		x = x->left ? x->left : x->right;
	while (x) {
		struct itree_node *p = x->parent;

		update_gaps(x);
		if (p && x == p->left && p->right) {
			x = p->right;
			while (x->left || x->right)
				x = x->left ? x->left : x->right;
		} else {
			x = p;
		}
	}
}

struct itree_node *itree_find(const struct itree *t, uint64_t addr)
{
	struct itree_node *x = t->root;

	while (x) {
		if (addr < x->start)
			x = x->left;
		else if (addr > x->last)
			x = x->right;
		else
			return x;
	}
	return NULL;
}

/* An empty range (start > last) intersects nothing and gives NULL. */
struct itree_node *itree_first_overlap(const struct itree *t, uint64_t start,
				       uint64_t last)
{
	struct itree_node *x = t->root, *best = NULL;

	if (start > last)
		return NULL;
	/* Intervals are disjoint, so ordering by start also orders by last:
	 * the answer can only be the lowest node with last >= start. */
	while (x) {
		if (x->last >= start) {
			best = x;
			x = x->left;
		} else {
			x = x->right;
		}
	}
	return best && best->start <= last ? best : NULL;
}

static struct itree_node *leftmost(struct itree_node *x)
{
	if (x)
		while (x->left)
			x = x->left;
	return x;
}

static struct itree_node *rightmost(struct itree_node *x)
{
	if (x)
		while (x->right)
			x = x->right;
	return x;
}

struct itree_node *itree_first(const struct itree *t)
{
	return leftmost(t->root);
}

struct itree_node *itree_last(const struct itree *t)
{
	return rightmost(t->root);
}

struct itree_node *itree_next(const struct itree_node *n)
{
	const struct itree_node *c = n;
	struct itree_node *p;

	if (n->right)
		return leftmost(n->right);
	for (p = n->parent; p && c == p->right; p = p->parent)
		c = p;
	return p;
}

struct itree_node *itree_prev(const struct itree_node *n)
{
	const struct itree_node *c = n;
	struct itree_node *p;

	if (n->left)
		return rightmost(n->left);
	for (p = n->parent; p && c == p->left; p = p->parent)
		c = p;
	return p;
}

/* ---- free-space search ------------------------------------------------- */

/*
 * Bounds for the search of holes strictly between two consecutive intervals
 * A < B: only holes with A.last >= amin and B.start <= bmax count, and they
 * must be at least need_m1 + 1 long.
 */
struct gap_query {
	uint64_t amin, bmax, need_m1;
};

static bool gap_fits(const struct gap_query *q, uint64_t a_last,
		     uint64_t b_start)
{
	/* a_last < b_start always, so the length cannot wrap */
	return a_last >= q->amin && b_start <= q->bmax &&
	       b_start - a_last - 1 > q->need_m1;
}

/*
 * Could the subtree x, whose in-order predecessor ends at ctx (has_ctx
 * false when x starts the tree), own a fitting hole? It owns its interior
 * holes and the one just before it. Exact for subtrees lying wholly inside
 * the bounds; a false positive is only possible for the O(height) subtrees
 * whose span crosses amin or bmax, which keeps the search O(log n).
 */
static bool gap_may_fit(const struct gap_query *q,
			const struct itree_node *x, bool has_ctx, uint64_t ctx)
{
	if (x->sub_last <= q->amin || x->sub_start > q->bmax)
		return false;
	return x->max_gap > q->need_m1 ||
	       (has_ctx && gap_fits(q, ctx, x->sub_start));
}

/*
 * The lowest fitting hole between two intervals: a depth-first search in
 * address order that skips subtrees gap_may_fit rules out, done as a loop
 * over parent links.
 */
static bool lowest_gap(const struct itree_node *root,
		       const struct gap_query *q, uint64_t *hs, uint64_t *hl)
{
	const struct itree_node *x = root;
	uint64_t ctx = 0;
	bool has_ctx = false;

	if (!x)
		return false;
	for (;;) {
		/* x's subtree is unsearched; ctx is its predecessor's last */
		if (gap_may_fit(q, x, has_ctx, ctx)) {
			if (x->left) {
				x = x->left;
				continue;
			}
			if (has_ctx && gap_fits(q, ctx, x->start)) {
				*hs = ctx + 1;
				*hl = x->start - 1;
				return true;
			}
			if (x->right) {
				ctx = x->last;
				has_ctx = true;
				x = x->right;
				continue;
			}
		}
		/* x's subtree holds no answer: climb to the first ancestor
		 * reached from its left, whose own hole and right subtree
		 * come next in address order. */
		for (;;) {
			const struct itree_node *p;

			if (x == root)
				return false;
			p = x->parent;
			if (x == p->left) {
				if (gap_fits(q, x->sub_last, p->start)) {
					*hs = x->sub_last + 1;
					*hl = p->start - 1;
					return true;
				}
				if (p->start > q->bmax)
					return false;	/* all the rest is past hi */
				if (p->right) {
					ctx = p->last;
					has_ctx = true;
					x = p->right;
					break;
				}
			}
			x = p;
		}
	}
}

/*
 * The lowest hole of [lo, hi] (clipped to it) whose length - 1 is at least
 * need_m1. Holes fall in three disjoint, ordered groups: the one containing
 * lo, those strictly inside (lo, hi) (never clipped, so max_gap is exact
 * for them), and the one containing hi. The edges of the address space
 * (before the first / after the last interval) can only be in the first or
 * last group.
 */
static bool lowest_hole(const struct itree *t, uint64_t lo, uint64_t hi,
			uint64_t need_m1, uint64_t *hs, uint64_t *hl)
{
	const struct itree_node *x = t->root, *succ = NULL, *pred = NULL;
	struct gap_query q = { lo, hi, need_m1 };
	uint64_t beg, end;

	while (x) {
		if (lo < x->start) {
			succ = x;
			x = x->left;
		} else if (lo > x->last) {
			x = x->right;
		} else {
			break;
		}
	}
	if (!x) {
		/* lo is free: its hole runs up to the next interval or hi */
		end = succ && succ->start - 1 < hi ? succ->start - 1 : hi;
		if (end - lo >= need_m1) {
			*hs = lo;
			*hl = end;
			return true;
		}
		if (end == hi)
			return false;	/* that hole was all of [lo, hi] left */
	}

	if (lowest_gap(t->root, &q, hs, hl))
		return true;

	for (x = t->root; x;) {
		if (hi > x->last) {
			pred = x;
			x = x->right;
		} else if (hi < x->start) {
			x = x->left;
		} else {
			return false;	/* hi is covered */
		}
	}
	/* pred->last < hi, so + 1 cannot wrap */
	beg = pred && pred->last + 1 > lo ? pred->last + 1 : lo;
	if (hi - beg >= need_m1) {
		*hs = beg;
		*hl = hi;
		return true;
	}
	return false;
}

/* size == 0, align not a power of two, or lo > hi: no answer. */
bool itree_find_free(struct itree *t, uint64_t lo, uint64_t hi,
		     uint64_t size, uint64_t align, uint64_t *out)
{
	uint64_t mask = align - 1, hs, hl, off;

	if (size == 0 || align == 0 || (align & mask) || lo > hi)
		return false;
	if (t->no_gaps)
		itree_set_gaps(t, true);

	/*
	 * Step 1: a hole of length >= size + align - 1 fits at its first
	 * multiple of align. In "minus one" form the bound is
	 * (size - 1) + (align - 1); if even that wraps, the need exceeds
	 * 2^64 and no hole is that long. A need of exactly 2^64 (which
	 * already overflows size + align - 1 in uint64_t) is still handled
	 * exactly: only the empty tree with [lo, hi] = [0, UINT64_MAX]
	 * qualifies, and step 2 would return the same address, 0.
	 */
	if (size - 1 <= UINT64_MAX - mask &&
	    lowest_hole(t, lo, hi, size - 1 + mask, &hs, &hl)) {
		*out = hs + ((0 - hs) & mask);
		return true;
	}

	/*
	 * Step 2: the holes that are at least size long, in address order;
	 * within a hole, only its first multiple of align can be the lowest
	 * that fits. Each hole ends at hi or just before an interval, so
	 * restarting at hl + 1 leaves the remaining holes unclipped.
	 */
	for (;;) {
		if (!lowest_hole(t, lo, hi, size - 1, &hs, &hl))
			return false;
		off = (0 - hs) & mask;
		if (off <= hl - hs && hl - hs - off >= size - 1) {
			*out = hs + off;
			return true;
		}
		if (hl == hi)
			return false;
		lo = hl + 1;
	}
}

/* ---- consistency check ------------------------------------------------- */

int itree_check(const struct itree *t)
{
	const struct itree_node *n, *prev = NULL;
	size_t seen = 0;

	if (!t->root != !t->count)
		return -__LINE__;
	if (t->root && t->root->parent)
		return -__LINE__;
	/* In order; every node's links are checked in both directions, so a
	 * node the walk cannot reach shows up as a count mismatch. */
	for (n = itree_first(t); n; n = itree_next(n)) {
		const struct itree_node *l = n->left, *r = n->right;
		uint64_t sub_start = n->start, sub_last = n->last, gap = 0;
		int hl = node_height(l), hr = node_height(r);

		if (++seen > t->count)
			return -__LINE__;	/* also stops a cycle */
		if (n->start > n->last)
			return -__LINE__;
		if (prev && prev->last >= n->start)
			return -__LINE__;
		if (n->parent ? n->parent->left != n && n->parent->right != n
			      : n != t->root)
			return -__LINE__;
		if (l && (l->parent != n ||
			  (!t->no_gaps && l->sub_last >= n->start)))
			return -__LINE__;
		if (r && (r->parent != n ||
			  (!t->no_gaps && r->sub_start <= n->last)))
			return -__LINE__;
		if (l) {
			sub_start = l->sub_start;
			gap = l->max_gap;
			if (n->start - l->sub_last - 1 > gap)
				gap = n->start - l->sub_last - 1;
		}
		if (r) {
			sub_last = r->sub_last;
			if (r->max_gap > gap)
				gap = r->max_gap;
			if (r->sub_start - n->last - 1 > gap)
				gap = r->sub_start - n->last - 1;
		}
		if (!t->no_gaps && (n->sub_start != sub_start ||
				    n->sub_last != sub_last || n->max_gap != gap))
			return -__LINE__;
		if (n->height != (hl > hr ? hl : hr) + 1)
			return -__LINE__;
		if (hl > hr + 1 || hr > hl + 1)
			return -__LINE__;
		prev = n;
	}
	if (seen != t->count)
		return -__LINE__;
	return 0;
}
