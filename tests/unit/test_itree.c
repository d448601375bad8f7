/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Tests for util/itree: fixed cases for every edge of the contract, a
 * randomised comparison against a brute-force model (a sorted array), and a
 * 10^6-node scale case.
 */
#include "test.h"
#include "util/itree.h"

#include <time.h>

#define MAX UINT64_MAX
#define BIT(n) (1ull << (n))

typedef unsigned __int128 u128;

/* ---- helpers ------------------------------------------------------------ */

#define CHECK_TREE(t)                                                     \
	do {                                                              \
		int r_ = itree_check(t);                                  \
		if (r_)                                                   \
			test_fail(__FILE__, __LINE__,                     \
				  "itree_check failed at itree.c:%d", -r_);  \
	} while (0)

static struct itree_node *set(struct itree_node *n, uint64_t start,
			      uint64_t last)
{
	memset(n, 0, sizeof(*n));
	n->start = start;
	n->last = last;
	return n;
}

static int ins(struct itree *t, struct itree_node *n, uint64_t start,
	       uint64_t last)
{
	return itree_insert(t, set(n, start, last));
}

/* find_free must answer `want`. */
#define EXPECT_FREE(t, lo, hi, size, align, want)                         \
	expect_free(__LINE__, t, lo, hi, size, align, true, want)
/* find_free must find nothing. */
#define EXPECT_NOFREE(t, lo, hi, size, align)                             \
	expect_free(__LINE__, t, lo, hi, size, align, false, 0)

#define POISON 0x5a5a5a5a5a5a5a5aull

static void expect_free(int line, struct itree *t, uint64_t lo,
			uint64_t hi, uint64_t size, uint64_t align, bool ok,
			uint64_t want)
{
	uint64_t out = POISON;
	bool got = itree_find_free(t, lo, hi, size, align, &out);

	if (got != ok || (ok && out != want))
		test_fail(__FILE__, line,
			  "find_free(lo=0x%" PRIx64 ", hi=0x%" PRIx64
			  ", size=0x%" PRIx64 ", align=0x%" PRIx64
			  "): got %s 0x%" PRIx64 ", want %s 0x%" PRIx64,
			  lo, hi, size, align, got ? "true" : "false", out,
			  ok ? "true" : "false", want);
}

/* The tree holds exactly v[0..n), in this order, walking both ways. */
#define EXPECT_ORDER(t, v, n) expect_order(__LINE__, t, v, n)

static void expect_order(int line, const struct itree *t,
			 struct itree_node *const *v, size_t n)
{
	struct itree_node *x = itree_first(t);
	size_t i;

	if (t->count != n)
		test_fail(__FILE__, line, "count %zu, want %zu", t->count, n);
	for (i = 0; i < n; i++, x = itree_next(x))
		if (x != v[i])
			test_fail(__FILE__, line, "forward walk differs at %zu",
				  i);
	if (x)
		test_fail(__FILE__, line, "forward walk too long");
	x = itree_last(t);
	for (i = n; i-- > 0; x = itree_prev(x))
		if (x != v[i])
			test_fail(__FILE__, line,
				  "backward walk differs at %zu", i);
	if (x)
		test_fail(__FILE__, line, "backward walk too long");
}

/* Drop p from v[0..*n), keeping the order. */
static void vec_del(struct itree_node **v, size_t *n,
		    const struct itree_node *p)
{
	size_t i = 0;

	while (i < *n && v[i] != p)
		i++;
	CHECK(i < *n);
	memmove(&v[i], &v[i + 1], (*n - i - 1) * sizeof(*v));
	(*n)--;
}

/* The exact AVL height bound: the largest h whose minimum node count
 * N(h) = N(h-1) + N(h-2) + 1 (N(0) = 0, N(1) = 1) is at most n. */
static int avl_max_height(size_t n)
{
	uint64_t a = 0, b = 1;	/* N(h-1), N(h) */
	int h = 1;

	if (!n)
		return 0;
	while (a + b + 1 <= n) {
		uint64_t c = a + b + 1;

		a = b;
		b = c;
		h++;
	}
	return h;
}

static int ceil_log2(uint64_t n)
{
	int k = 0;

	while (k < 64 && BIT(k) < n)
		k++;
	return k;
}

static int tree_height(const struct itree *t)
{
	return t->root ? t->root->height : 0;
}

static void shuffle(struct test_rng *r, size_t *v, size_t n)
{
	for (size_t i = n; i > 1; i--) {
		size_t j = (size_t)test_rng_below(r, i);
		size_t tmp = v[i - 1];

		v[i - 1] = v[j];
		v[j] = tmp;
	}
}

/* v = 0..n-1 cut into windows of w, windows in random order and each one
 * shuffled: random shapes, but with the locality of real allocation
 * patterns (and far fewer cache misses than a full shuffle). */
static void shuffle_windows(struct test_rng *r, size_t *v, size_t n, size_t w)
{
	size_t nw = (n + w - 1) / w, k = 0;
	size_t *win = calloc(nw, sizeof(*win));

	CHECK(win);
	for (size_t i = 0; i < nw; i++)
		win[i] = i;
	shuffle(r, win, nw);
	for (size_t i = 0; i < nw; i++) {
		size_t s = win[i] * w, e = s + w < n ? s + w : n, k0 = k;

		for (size_t j = s; j < e; j++)
			v[k++] = j;
		shuffle(r, &v[k0], e - s);
	}
	free(win);
}

static double now_sec(void)
{
	struct timespec ts;

	timespec_get(&ts, TIME_UTC);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- fixed cases -------------------------------------------------------- */

TEST(empty_tree)
{
	struct itree t = ITREE_INIT;

	CHECK_TREE(&t);
	CHECK_EQ(t.count, 0);
	CHECK(!itree_first(&t));
	CHECK(!itree_last(&t));
	CHECK(!itree_find(&t, 0));
	CHECK(!itree_find(&t, MAX));
	CHECK(!itree_first_overlap(&t, 0, MAX));

	/* the whole space is one hole, 2^64 long */
	EXPECT_FREE(&t, 0, MAX, 1, 1, 0);
	EXPECT_FREE(&t, 0, MAX, MAX, 1, 0);
	EXPECT_FREE(&t, 0, MAX, 1, BIT(63), 0);
	EXPECT_FREE(&t, 1, MAX, 1, BIT(63), BIT(63));
	EXPECT_FREE(&t, 1, MAX, MAX, 1, 1);
	EXPECT_NOFREE(&t, 1, MAX, MAX, 2);
	EXPECT_NOFREE(&t, 2, MAX, MAX, 1);
	EXPECT_FREE(&t, 5, 5, 1, 1, 5);
	EXPECT_NOFREE(&t, 5, 5, 2, 1);
	EXPECT_NOFREE(&t, 5, 5, 1, 2);
	EXPECT_FREE(&t, MAX, MAX, 1, 1, MAX);
	EXPECT_NOFREE(&t, MAX, MAX, 2, 1);
	EXPECT_FREE(&t, 0, 0, 1, BIT(63), 0);
	EXPECT_FREE(&t, 3, 100, 7, 16, 16);
	EXPECT_FREE(&t, 3, 22, 7, 16, 16);	/* exactly fills [16, 22] */
	EXPECT_NOFREE(&t, 3, 21, 7, 16);

	/* outside the contract (size 0, align not a power of two, lo > hi):
	 * the implementation documents "no answer" */
	EXPECT_NOFREE(&t, 0, MAX, 0, 1);
	EXPECT_NOFREE(&t, 0, MAX, 1, 0);
	EXPECT_NOFREE(&t, 0, MAX, 1, 3);
	EXPECT_NOFREE(&t, 0, MAX, 1, 0x1001);
	EXPECT_NOFREE(&t, 10, 9, 1, 1);

	itree_init(&t);
	CHECK(!t.root);
	CHECK_TREE(&t);
}

TEST(single_node)
{
	struct itree t = ITREE_INIT;
	struct itree_node a;

	CHECK_OK(ins(&t, &a, 10, 19));
	CHECK_TREE(&t);
	CHECK_EQ(t.count, 1);
	CHECK(t.root == &a);
	CHECK(!a.parent && !a.left && !a.right);
	CHECK_EQ(a.height, 1);
	CHECK_EQ(a.sub_start, 10);
	CHECK_EQ(a.sub_last, 19);
	CHECK_EQ(a.max_gap, 0);

	CHECK(itree_first(&t) == &a);
	CHECK(itree_last(&t) == &a);
	CHECK(!itree_next(&a));
	CHECK(!itree_prev(&a));
	CHECK(!itree_find(&t, 0));
	CHECK(!itree_find(&t, 9));
	CHECK(itree_find(&t, 10) == &a);
	CHECK(itree_find(&t, 15) == &a);
	CHECK(itree_find(&t, 19) == &a);
	CHECK(!itree_find(&t, 20));
	CHECK(!itree_find(&t, MAX));

	CHECK(!itree_first_overlap(&t, 0, 9));
	CHECK(itree_first_overlap(&t, 0, 10) == &a);
	CHECK(itree_first_overlap(&t, 12, 13) == &a);
	CHECK(itree_first_overlap(&t, 19, MAX) == &a);
	CHECK(!itree_first_overlap(&t, 20, MAX));
	CHECK(!itree_first_overlap(&t, 15, 14));

	/* holes [0, 9] and [20, MAX] */
	EXPECT_FREE(&t, 0, MAX, 10, 1, 0);	/* exact fit, step 1 */
	EXPECT_FREE(&t, 0, MAX, 11, 1, 20);
	EXPECT_FREE(&t, 0, MAX, 1, 16, 32);	/* step 1 skips [0, 9] */
	EXPECT_FREE(&t, 0, 9, 1, 16, 0);	/* step 2 */
	EXPECT_FREE(&t, 0, MAX, 1, BIT(63), BIT(63));
	EXPECT_FREE(&t, 0, 9, 1, BIT(63), 0);
	EXPECT_NOFREE(&t, 10, 19, 1, 1);
	EXPECT_NOFREE(&t, 15, 15, 1, 1);
	EXPECT_FREE(&t, 19, 20, 1, 1, 20);
	EXPECT_FREE(&t, 5, 25, 5, 1, 5);
	EXPECT_FREE(&t, 5, 25, 6, 1, 20);
	EXPECT_NOFREE(&t, 5, 25, 7, 1);

	itree_remove(&t, &a);
	CHECK_TREE(&t);
	CHECK_EQ(t.count, 0);
	CHECK(!t.root);
	CHECK(!itree_find(&t, 10));
	EXPECT_FREE(&t, 0, MAX, MAX, 1, 0);
}

TEST(insert_invalid)
{
	struct itree t = ITREE_INIT;
	struct itree_node a, b, c;

	CHECK_ERR(ins(&t, &a, 1, 0), -EINVAL);
	CHECK_ERR(ins(&t, &a, MAX, 0), -EINVAL);
	CHECK_ERR(ins(&t, &a, MAX, MAX - 1), -EINVAL);
	CHECK_TREE(&t);
	CHECK_EQ(t.count, 0);

	CHECK_OK(ins(&t, &a, 5, 5));	/* a single address is fine */
	CHECK_ERR(ins(&t, &b, 7, 6), -EINVAL);
	/* start > last wins even when it would also overlap */
	CHECK_ERR(ins(&t, &b, 6, 5), -EINVAL);
	CHECK_OK(ins(&t, &c, 6, 6));
	{
		struct itree_node *want[] = { &a, &c };

		EXPECT_ORDER(&t, want, 2);
	}
	CHECK_TREE(&t);
}

TEST(overlap_edges)
{
	static const uint64_t bad[][2] = {
		{ 0, 10 },   { 9, 10 },   { 10, 10 },  { 10, 19 },
		{ 11, 18 },  { 15, 15 },  { 19, 19 },  { 19, 20 },
		{ 19, 30 },  { 5, 35 },   { 0, MAX },  { 25, 30 },
		{ 29, 30 },  { 30, 30 },  { 39, 39 },  { 39, 40 },
		{ 35, 100 }, { 20, 30 },  { 0, 100 },  { 18, 31 },
		{ 10, MAX }, { 39, MAX }, { 0, 39 },   { 12, 37 },
	};
	static const uint64_t good[][2] = {
		{ 0, 9 },   { 20, 29 }, { 20, 20 }, { 29, 29 }, { 40, 40 },
		{ 40, MAX }, { 0, 0 },  { 21, 28 }, { 9, 9 },   { MAX, MAX },
	};
	struct itree t = ITREE_INIT;
	struct itree_node a, b, n, e1, e2, e3;
	struct itree_node *want[] = { &a, &b };
	size_t i;

	CHECK_OK(ins(&t, &a, 10, 19));
	CHECK_OK(ins(&t, &b, 30, 39));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (ins(&t, &n, bad[i][0], bad[i][1]) != -EEXIST)
			test_fail(__FILE__, __LINE__,
				  "[%" PRIu64 ", %" PRIu64 "] not refused",
				  bad[i][0], bad[i][1]);
		CHECK_TREE(&t);
		EXPECT_ORDER(&t, want, 2);
	}
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		if (ins(&t, &n, good[i][0], good[i][1]) != 0)
			test_fail(__FILE__, __LINE__,
				  "[%" PRIu64 ", %" PRIu64 "] refused",
				  good[i][0], good[i][1]);
		CHECK_TREE(&t);
		CHECK_EQ(t.count, 3);
		CHECK(itree_find(&t, good[i][0]) == &n);
		CHECK(itree_find(&t, good[i][1]) == &n);
		itree_remove(&t, &n);
		CHECK_TREE(&t);
		EXPECT_ORDER(&t, want, 2);
	}

	/* fill every hole: touching intervals cover the whole space */
	CHECK_EQ(t.root->max_gap, 10);
	CHECK_OK(ins(&t, &e1, 0, 9));
	CHECK_OK(ins(&t, &e2, 20, 29));
	CHECK_OK(ins(&t, &e3, 40, MAX));
	CHECK_TREE(&t);
	CHECK_EQ(t.root->max_gap, 0);
	CHECK_EQ(t.root->sub_start, 0);
	CHECK_EQ(t.root->sub_last, MAX);
	EXPECT_NOFREE(&t, 0, MAX, 1, 1);
	CHECK_ERR(ins(&t, &n, 0, 0), -EEXIST);
	CHECK_ERR(ins(&t, &n, MAX, MAX), -EEXIST);
	CHECK_ERR(ins(&t, &n, 25, 25), -EEXIST);
	{
		struct itree_node *all[] = { &e1, &a, &e2, &b, &e3 };

		EXPECT_ORDER(&t, all, 5);
	}
	CHECK(itree_first_overlap(&t, 0, MAX) == &e1);
	CHECK(itree_first_overlap(&t, 9, 10) == &e1);
	CHECK(itree_first_overlap(&t, 10, MAX) == &a);
}

TEST(uint64_max_edges)
{
	struct itree t = ITREE_INIT;
	struct itree_node top, bot, n;

	CHECK_OK(ins(&t, &top, MAX, MAX));
	CHECK_TREE(&t);
	CHECK(itree_find(&t, MAX) == &top);
	CHECK(!itree_find(&t, MAX - 1));
	CHECK_ERR(ins(&t, &n, MAX - 1, MAX), -EEXIST);
	CHECK_ERR(ins(&t, &n, MAX, MAX), -EEXIST);
	CHECK_ERR(ins(&t, &n, 0, MAX), -EEXIST);
	CHECK_OK(ins(&t, &n, MAX - 1, MAX - 1));
	CHECK_TREE(&t);
	CHECK_EQ(t.root->max_gap, 0);
	itree_remove(&t, &n);
	EXPECT_FREE(&t, 0, MAX, MAX, 1, 0);	/* [0, MAX - 1] exactly */
	EXPECT_NOFREE(&t, 1, MAX, MAX, 1);
	EXPECT_FREE(&t, 1, MAX, MAX - 1, 1, 1);	/* fills [1, MAX - 1] */
	EXPECT_NOFREE(&t, MAX, MAX, 1, 1);
	EXPECT_FREE(&t, MAX - 1, MAX, 1, 1, MAX - 1);

	/* [0, 0] and [MAX, MAX]: the largest possible interior hole */
	CHECK_OK(ins(&t, &bot, 0, 0));
	CHECK_TREE(&t);
	CHECK_EQ(t.root->max_gap, MAX - 1);
	CHECK_EQ(t.root->sub_start, 0);
	CHECK_EQ(t.root->sub_last, MAX);
	CHECK(itree_first(&t) == &bot);
	CHECK(itree_last(&t) == &top);
	CHECK(itree_next(&bot) == &top);
	CHECK(itree_prev(&top) == &bot);
	CHECK(!itree_next(&top));
	CHECK(!itree_first_overlap(&t, 1, MAX - 1));
	CHECK(itree_first_overlap(&t, 1, MAX) == &top);
	CHECK(itree_first_overlap(&t, MAX, MAX) == &top);
	CHECK(itree_first_overlap(&t, 0, MAX) == &bot);

	EXPECT_FREE(&t, 0, MAX, MAX - 1, 1, 1);	/* fills [1, MAX - 1] */
	EXPECT_NOFREE(&t, 0, MAX, MAX, 1);
	EXPECT_NOFREE(&t, 0, MAX, MAX - 1, 2);
	EXPECT_FREE(&t, 0, MAX, BIT(63) - 1, BIT(63), BIT(63));
	EXPECT_NOFREE(&t, 0, MAX, BIT(63), BIT(63));
	EXPECT_FREE(&t, 0, MAX, BIT(63), BIT(62), BIT(62));
	EXPECT_FREE(&t, MAX - 1, MAX, 1, 1, MAX - 1);
	EXPECT_NOFREE(&t, MAX - 1, MAX, 2, 1);
	EXPECT_FREE(&t, 0, 1, 1, 1, 1);
	itree_remove(&t, &top);
	itree_remove(&t, &bot);
	CHECK_TREE(&t);

	/* one interval covering everything */
	CHECK_OK(ins(&t, &n, 0, MAX));
	CHECK_TREE(&t);
	CHECK(itree_find(&t, 0) == &n);
	CHECK(itree_find(&t, MAX) == &n);
	CHECK(itree_first_overlap(&t, MAX, MAX) == &n);
	EXPECT_NOFREE(&t, 0, MAX, 1, 1);
	EXPECT_NOFREE(&t, MAX, MAX, 1, 1);
	CHECK_ERR(ins(&t, &top, MAX, MAX), -EEXIST);
	CHECK_ERR(ins(&t, &top, 0, 0), -EEXIST);
	itree_remove(&t, &n);
	CHECK_TREE(&t);
	CHECK_EQ(t.count, 0);
}

/* Shapes of removal: leaf, one child, two children with the successor as
 * the right child or deep below it, and the root until empty. */
TEST(remove_shapes)
{
	struct itree t = ITREE_INIT;
	struct itree_node nodes[31], *v[31], *x;
	size_t n = 0, i;

	/* ascending inserts of 2^k - 1 nodes give a perfect AVL tree */
	for (i = 0; i < 31; i++) {
		CHECK_OK(ins(&t, &nodes[i], 10 * i, 10 * i + 4));
		CHECK_TREE(&t);
		v[n++] = &nodes[i];
	}
	CHECK_EQ(tree_height(&t), 5);
	CHECK(t.root == &nodes[15]);
	EXPECT_ORDER(&t, v, n);

	/* a leaf */
	x = &nodes[0];
	CHECK(!x->left && !x->right);
	itree_remove(&t, x);
	vec_del(v, &n, x);
	CHECK_TREE(&t);
	EXPECT_ORDER(&t, v, n);
	CHECK(!itree_find(&t, 0));

	/* now nodes[1] has one child, nodes[2] */
	x = &nodes[1];
	CHECK(!x->left && x->right == &nodes[2]);
	itree_remove(&t, x);
	vec_del(v, &n, x);
	CHECK_TREE(&t);
	EXPECT_ORDER(&t, v, n);

	/* two children, successor is the right child (a leaf) */
	x = &nodes[5];
	CHECK(x->left && x->right == &nodes[6] && !nodes[6].left);
	itree_remove(&t, x);
	vec_del(v, &n, x);
	CHECK_TREE(&t);
	EXPECT_ORDER(&t, v, n);

	/* the root: its successor sits deep in the right subtree */
	x = t.root;
	CHECK(x == &nodes[15]);
	CHECK(x->right->left && x->right->left->left);
	itree_remove(&t, x);
	vec_del(v, &n, x);
	CHECK_TREE(&t);
	EXPECT_ORDER(&t, v, n);
	CHECK(t.root == &nodes[16]);

	/* an inner node with two children */
	x = &nodes[23];
	CHECK(x->left && x->right && x->parent);
	itree_remove(&t, x);
	vec_del(v, &n, x);
	CHECK_TREE(&t);
	EXPECT_ORDER(&t, v, n);

	/* re-insert into the holes left behind */
	CHECK_OK(ins(&t, &nodes[23], 230, 234));
	CHECK_OK(ins(&t, &nodes[0], 0, 4));
	memmove(&v[1], &v[0], n * sizeof(*v));
	v[0] = &nodes[0];
	n++;
	for (i = 0; v[i] != &nodes[24]; i++)
		;
	memmove(&v[i + 1], &v[i], (n - i) * sizeof(*v));
	v[i] = &nodes[23];
	n++;
	CHECK_TREE(&t);
	EXPECT_ORDER(&t, v, n);

	/* then the root, repeatedly */
	while (t.root) {
		x = t.root;
		itree_remove(&t, x);
		vec_del(v, &n, x);
		CHECK_TREE(&t);
		EXPECT_ORDER(&t, v, n);
	}
	CHECK_EQ(t.count, 0);
}

/* itree_check is what every other case leans on: make sure it notices. */
TEST(check_detects_corruption)
{
	struct itree t = ITREE_INIT;
	struct itree_node nodes[7], *x;
	uint64_t saved;
	int hsave;

	for (uint64_t i = 0; i < 7; i++)
		CHECK_OK(ins(&t, &nodes[i], 10 * i, 10 * i + 4));
	CHECK_TREE(&t);
	x = t.root->left;	/* an inner node */

#define CORRUPT(field, value)                                             	do {                                                              		saved = (uint64_t)(field);                                		field = value;                                            		CHECK(itree_check(&t) < 0);                               		field = saved;                                            		CHECK_TREE(&t);                                           	} while (0)
	CORRUPT(x->max_gap, 6);
	CORRUPT(x->sub_start, 1);
	CORRUPT(x->sub_last, 25);
	CORRUPT(x->start, 4);		/* overlaps its left child [0, 4] */
	CORRUPT(x->last, 20);		/* overlaps its right child [20, 24] */
	CORRUPT(t.count, 6);
	CORRUPT(t.count, 8);
#undef CORRUPT
	hsave = x->height;
	x->height = 3;
	CHECK(itree_check(&t) < 0);
	x->height = hsave;
	x->left->parent = t.root;
	CHECK(itree_check(&t) < 0);
	x->left->parent = x;
	CHECK_TREE(&t);

	/* a chain [0,0] -> [10,10] -> [20,20] with every cached field right
	 * is still not an AVL tree */
	set(&nodes[0], 0, 0);
	set(&nodes[1], 10, 10);
	set(&nodes[2], 20, 20);
	nodes[0].right = &nodes[1];
	nodes[1].parent = &nodes[0];
	nodes[1].right = &nodes[2];
	nodes[2].parent = &nodes[1];
	nodes[2].sub_start = nodes[2].sub_last = 20;
	nodes[2].height = 1;
	nodes[1].sub_start = 10;
	nodes[1].sub_last = 20;
	nodes[1].max_gap = 9;
	nodes[1].height = 2;
	nodes[0].sub_start = 0;
	nodes[0].sub_last = 20;
	nodes[0].max_gap = 9;
	nodes[0].height = 3;
	t.root = &nodes[0];
	t.count = 3;
	CHECK(itree_check(&t) < 0);
	/* the same three, balanced, pass */
	nodes[0].right = NULL;
	nodes[0].parent = &nodes[1];
	nodes[0].sub_last = 0;
	nodes[0].max_gap = 0;
	nodes[0].height = 1;
	nodes[1].left = &nodes[0];
	nodes[1].parent = NULL;
	nodes[1].sub_start = 0;
	nodes[1].height = 2;
	t.root = &nodes[1];
	CHECK_TREE(&t);
}

/* Insert/remove orders that drive every rotation case; balance checked at
 * every step. */
TEST(rotation_patterns)
{
	enum { N = 512 };
	static struct itree_node nodes[N];
	static size_t order[N];
	struct itree t = ITREE_INIT;
	struct test_rng r;
	size_t i, k;

	test_set_seed(test_seed());
	test_rng_seed(&r, test_seed());
	for (int pattern = 0; pattern < 6; pattern++) {
		for (i = 0; i < N; i++) {
			switch (pattern) {
			case 0: order[i] = i; break;		/* ascending */
			case 1: order[i] = N - 1 - i; break;	/* descending */
			case 2: order[i] = i % 2 ? N - 1 - i / 2 : i / 2;
				break;				/* zigzag */
			case 3: order[i] = (i * 37) % N; break;	/* stride */
			case 4: order[i] = i < N / 2 ? 2 * i : 2 * (i - N / 2) + 1;
				break;			/* evens, then odds */
			default: order[i] = i; break;
			}
		}
		if (pattern == 5)
			shuffle(&r, order, N);
		for (i = 0; i < N; i++) {
			k = order[i];
			CHECK_OK(ins(&t, &nodes[k], 4 * k, 4 * k + 1));
			CHECK_TREE(&t);
			CHECK(tree_height(&t) <= avl_max_height(t.count));
		}
		CHECK_EQ(t.root->max_gap, 2);
		for (i = 0; i < N; i++)
			CHECK(itree_find(&t, 4 * i + 1) == &nodes[i]);
		/* remove in the same, the reverse, or a middle-out order */
		for (i = 0; i < N; i++) {
			if (pattern % 3 == 0)
				k = order[i];
			else if (pattern % 3 == 1)
				k = order[N - 1 - i];
			else
				k = i % 2 ? N / 2 + i / 2 : N / 2 - 1 - i / 2;
			itree_remove(&t, &nodes[k]);
			CHECK_TREE(&t);
			CHECK(tree_height(&t) <= avl_max_height(t.count));
			CHECK(!itree_find(&t, 4 * k));
		}
		CHECK_EQ(t.count, 0);
	}
}

TEST(traversal)
{
	enum { N = 300 };
	static struct itree_node nodes[N];
	struct itree_node *v[N];
	size_t order[N], i;
	struct itree t = ITREE_INIT;
	struct test_rng r;

	test_set_seed(test_seed());
	test_rng_seed(&r, test_seed() ^ 0x7261766572ull);
	for (i = 0; i < N; i++)
		order[i] = i;
	shuffle(&r, order, N);
	/* touching and separated intervals, one at each end of the space */
	for (i = 0; i < N; i++) {
		size_t k = order[i];
		uint64_t s = k == 0 ? 0 : 3 * (uint64_t)k + (k % 5 == 0);

		if (k == N - 1)
			CHECK_OK(ins(&t, &nodes[k], MAX - 5, MAX));
		else
			CHECK_OK(ins(&t, &nodes[k], s, 3 * (uint64_t)k + 2));
	}
	CHECK_TREE(&t);
	for (i = 0; i < N; i++)
		v[i] = &nodes[i];
	EXPECT_ORDER(&t, v, N);
	CHECK(itree_first(&t) == &nodes[0]);
	CHECK(itree_last(&t) == &nodes[N - 1]);
	CHECK(!itree_prev(&nodes[0]));
	CHECK(!itree_next(&nodes[N - 1]));
	for (i = 1; i + 1 < N; i++) {
		CHECK(itree_next(&nodes[i]) == &nodes[i + 1]);
		CHECK(itree_prev(&nodes[i]) == &nodes[i - 1]);
	}

	/* container_of through itree_entry */
	{
		struct mapping {
			uint64_t iova;
			struct itree_node node;
			int tag;
		} m[3];
		struct itree t2 = ITREE_INIT;

		for (int j = 0; j < 3; j++) {
			m[j].iova = 0x1000 * (uint64_t)j;
			m[j].tag = 100 + j;
			CHECK_OK(ins(&t2, &m[j].node, m[j].iova,
				     m[j].iova + 0xfff));
		}
		CHECK_EQ(itree_entry(itree_find(&t2, 0x1abc), struct mapping,
				     node)->tag, 101);
		CHECK(itree_entry(itree_last(&t2), struct mapping, node) ==
		      &m[2]);
	}
}

TEST(first_overlap)
{
	struct itree t = ITREE_INIT;
	struct itree_node a, b, c;

	CHECK_OK(ins(&t, &a, 10, 19));
	CHECK_OK(ins(&t, &b, 30, 39));
	CHECK_OK(ins(&t, &c, 50, 59));
	CHECK(!itree_first_overlap(&t, 0, 9));
	CHECK(itree_first_overlap(&t, 0, 10) == &a);
	CHECK(itree_first_overlap(&t, 0, MAX) == &a);
	CHECK(itree_first_overlap(&t, 19, 30) == &a);
	CHECK(itree_first_overlap(&t, 15, 55) == &a);	/* lowest wins */
	CHECK(!itree_first_overlap(&t, 20, 29));
	CHECK(itree_first_overlap(&t, 20, 30) == &b);
	CHECK(itree_first_overlap(&t, 25, 55) == &b);
	CHECK(itree_first_overlap(&t, 39, 39) == &b);
	CHECK(!itree_first_overlap(&t, 40, 49));
	CHECK(itree_first_overlap(&t, 40, 50) == &c);
	CHECK(itree_first_overlap(&t, 59, MAX) == &c);
	CHECK(!itree_first_overlap(&t, 60, MAX));
	CHECK(!itree_first_overlap(&t, MAX, MAX));
	/* an empty query range intersects nothing */
	CHECK(!itree_first_overlap(&t, 35, 34));
	CHECK(!itree_first_overlap(&t, MAX, 0));
}

/* The two-step policy: certain fit first, then the lowest aligned fit. */
TEST(find_free_policy)
{
	struct itree t = ITREE_INIT;
	struct itree_node a, b, c, d, e;

	/* holes [0, 0xfff], [0x2000, 0x2fff], [0x4000, MAX] */
	CHECK_OK(ins(&t, &a, 0x1000, 0x1fff));
	CHECK_OK(ins(&t, &b, 0x3000, 0x3fff));
	CHECK_EQ(t.root->max_gap, 0x1000);
	EXPECT_FREE(&t, 0, MAX, 0x1000, 1, 0);		/* exact fill */
	/* 0 fits exactly, but step 1 wants a hole of 0x1fff */
	EXPECT_FREE(&t, 0, MAX, 0x1000, 0x1000, 0x4000);
	EXPECT_FREE(&t, 0, 0x3fff, 0x1000, 0x1000, 0);	/* step 2 */
	EXPECT_FREE(&t, 1, 0x3fff, 0x1000, 0x1000, 0x2000);
	EXPECT_FREE(&t, 0x1000, MAX, 0x1000, 1, 0x2000);
	EXPECT_FREE(&t, 0x2001, 0x4fff, 0x1000, 1, 0x4000);
	EXPECT_NOFREE(&t, 0x2001, 0x4ffe, 0x1000, 1);
	EXPECT_FREE(&t, 0x2100, 0x21ff, 0x100, 1, 0x2100);
	EXPECT_NOFREE(&t, 0x2100, 0x21ff, 0x101, 1);
	EXPECT_NOFREE(&t, 0x1800, 0x1fff, 1, 1);
	EXPECT_FREE(&t, 0x1800, 0x2000, 1, 1, 0x2000);
	EXPECT_FREE(&t, 0x1800, 0x2000, 1, 0x2000, 0x2000);
	EXPECT_NOFREE(&t, 0x1800, 0x2000, 2, 1);
	EXPECT_FREE(&t, 0, MAX, 0x800, 0x800, 0);
	EXPECT_FREE(&t, 1, MAX, 0x800, 0x800, 0x800);	/* [1, 0xfff] */
	/* [2, 0xfff] is one short of certain: step 1 goes on to 0x2000
	 * although step 2 would have found 0x800 */
	EXPECT_FREE(&t, 2, MAX, 0x800, 0x800, 0x2000);
	EXPECT_FREE(&t, 2, 0x2ffe, 0x800, 0x800, 0x2000);
	/* with both holes one short, step 2 takes the lowest aligned fit */
	EXPECT_FREE(&t, 2, 0x2ffd, 0x800, 0x800, 0x800);
	itree_remove(&t, &a);
	itree_remove(&t, &b);

	/* holes [0x13, 0x19] (7), [0x30, 0x37] (8), [0x41, MAX] */
	CHECK_OK(ins(&t, &a, 0, 0x12));
	CHECK_OK(ins(&t, &b, 0x1a, 0x2f));
	CHECK_OK(ins(&t, &c, 0x38, 0x40));
	CHECK_TREE(&t);
	/* nothing precedes the interval at 0, so there is no hole there */
	EXPECT_NOFREE(&t, 0, 0x12, 1, 1);
	EXPECT_FREE(&t, 0, 0x13, 1, 1, 0x13);
	EXPECT_NOFREE(&t, 0, 0x13, 1, 0x100);
	EXPECT_FREE(&t, 0, MAX, 7, 1, 0x13);
	EXPECT_FREE(&t, 0, 0x40, 7, 8, 0x30);	/* 0x18 would cross 0x1a */
	EXPECT_FREE(&t, 0, 0x40, 8, 16, 0x30);
	EXPECT_FREE(&t, 0, 0x40, 6, 2, 0x14);
	EXPECT_NOFREE(&t, 0, 0x40, 8, 32);
	EXPECT_NOFREE(&t, 0, 0x41, 1, 0x40);
	EXPECT_FREE(&t, 0, 0x80, 1, 0x40, 0x80);	/* [0x41, 0x80] */
	EXPECT_NOFREE(&t, 0, 0x7f, 1, 0x40);
	EXPECT_FREE(&t, 0, MAX, 9, 1, 0x41);
	EXPECT_FREE(&t, 0x31, MAX, 7, 1, 0x31);
	EXPECT_FREE(&t, 0x32, MAX, 7, 1, 0x41);

	itree_remove(&t, &a);
	itree_remove(&t, &b);
	itree_remove(&t, &c);

	/* the first interval, at 0, is the root with a hole to its right:
	 * there is no hole before it */
	CHECK_OK(ins(&t, &a, 0, 0xf));
	CHECK_OK(ins(&t, &b, 0x20, 0x2f));
	CHECK(t.root == &a);
	EXPECT_NOFREE(&t, 0, 0xf, 1, 1);
	EXPECT_FREE(&t, 0, 0x1f, 1, 1, 0x10);
	EXPECT_FREE(&t, 0, 0x2f, 0x10, 0x10, 0x10);
	EXPECT_NOFREE(&t, 0, 0x2f, 0x11, 1);
	CHECK_OK(ins(&t, &c, 0x38, 0x40));

	/* a lower clipped hole must not be mistaken for a whole one */
	CHECK_OK(ins(&t, &d, 0x100, 0x1ff));
	CHECK_OK(ins(&t, &e, 0x300, 0x3ff));
	EXPECT_FREE(&t, 0x2f0, MAX, 0x20, 0x10, 0x400);
	EXPECT_FREE(&t, 0x200, 0x2ff, 0x100, 1, 0x200);
	EXPECT_NOFREE(&t, 0x201, 0x2ff, 0x100, 1);
	EXPECT_NOFREE(&t, 0x200, 0x2fe, 0x100, 1);
	EXPECT_FREE(&t, 0x41, 0x2ff, 0x100, 0x100, 0x200);
}

TEST(find_free_align_overflow_top)
{
	struct itree t = ITREE_INIT;
	struct itree_node a;

	/* the only hole is [MAX - 0xfff, MAX], 0x1000 long */
	CHECK_OK(ins(&t, &a, 0, MAX - 0x1000));
	EXPECT_FREE(&t, 0, MAX, 1, 0x1000, MAX - 0xfff);
	EXPECT_FREE(&t, 0, MAX, 0x1000, 0x1000, MAX - 0xfff);	/* step 2 */
	EXPECT_FREE(&t, 0, MAX, 0x1000, 1, MAX - 0xfff);
	EXPECT_NOFREE(&t, 0, MAX, 0x1001, 1);
	/* rounding MAX - 0xfff up to 0x2000 or more wraps past MAX */
	EXPECT_NOFREE(&t, 0, MAX, 1, 0x2000);
	EXPECT_NOFREE(&t, 0, MAX, 1, BIT(63));
	EXPECT_FREE(&t, MAX, MAX, 1, 1, MAX);
	EXPECT_NOFREE(&t, MAX, MAX, 1, 2);
	EXPECT_FREE(&t, MAX - 1, MAX, 2, 2, MAX - 1);
	EXPECT_NOFREE(&t, MAX - 1, MAX, 2, 4);
	EXPECT_NOFREE(&t, MAX - 1, MAX, 1, 4);
	itree_remove(&t, &a);

	EXPECT_NOFREE(&t, MAX - 5, MAX, 1, 8);
	EXPECT_FREE(&t, MAX - 7, MAX, 8, 8, MAX - 7);
	EXPECT_NOFREE(&t, MAX - 7, MAX, 9, 1);
	EXPECT_NOFREE(&t, BIT(63) + 1, MAX, 1, BIT(63));
	EXPECT_FREE(&t, BIT(63), MAX, BIT(63), BIT(63), BIT(63));
	EXPECT_NOFREE(&t, BIT(63), MAX, BIT(63) + 1, 1);

	/* an interval right below the top: hole [MAX - 0x7f, MAX - 1]
	 * below [MAX, MAX] */
	CHECK_OK(ins(&t, &a, MAX, MAX));
	EXPECT_FREE(&t, MAX - 0x7f, MAX, 0x40, 0x40, MAX - 0x7f);
	EXPECT_FREE(&t, MAX - 0x7f, MAX, 0x41, 0x40, MAX - 0x7f); /* step 2 */
	/* the fit check itself must not wrap: MAX - 0x3f + 0x40 */
	EXPECT_NOFREE(&t, MAX - 0x7e, MAX, 0x41, 0x40);
	EXPECT_NOFREE(&t, MAX - 0x7e, MAX, 0x40, 0x40);
	EXPECT_FREE(&t, MAX - 0x7f, MAX, 0x7f, 1, MAX - 0x7f);
	EXPECT_NOFREE(&t, MAX - 0x7f, MAX, 0x80, 1);
}

TEST(find_free_size_overflow)
{
	struct itree t = ITREE_INIT;
	struct itree_node a;

	/* size + align - 1 == 2^64: only the whole space is that long */
	EXPECT_FREE(&t, 0, MAX, MAX, 2, 0);
	EXPECT_FREE(&t, 0, MAX, BIT(63) + 1, BIT(63), 0);
	/* size + align - 1 > 2^64: step 1 finds nothing, step 2 does */
	EXPECT_FREE(&t, 0, MAX, MAX, 4, 0);
	EXPECT_FREE(&t, 0, MAX, MAX, BIT(63), 0);
	EXPECT_FREE(&t, 0, MAX, BIT(63) + 2, BIT(63), 0);
	EXPECT_NOFREE(&t, 1, MAX, MAX, 4);
	EXPECT_NOFREE(&t, 1, MAX, BIT(63) + 1, BIT(63));
	EXPECT_FREE(&t, 0, MAX - 1, MAX, 1, 0);
	EXPECT_FREE(&t, 0, MAX - 1, MAX, 2, 0);
	EXPECT_NOFREE(&t, 0, MAX - 2, MAX, 1);
	EXPECT_FREE(&t, 1, MAX, BIT(63), BIT(63), BIT(63));	/* step 1 */
	EXPECT_FREE(&t, 2, MAX, BIT(63), BIT(63), BIT(63));	/* step 2 */
	EXPECT_NOFREE(&t, 2, MAX - 1, BIT(63), BIT(63));
	EXPECT_FREE(&t, 0, MAX, 2, BIT(63), 0);
	EXPECT_FREE(&t, 3, MAX, MAX - 3, 1, 3);

	CHECK_OK(ins(&t, &a, 0, 0));
	EXPECT_FREE(&t, 0, MAX, MAX, 1, 1);	/* [1, MAX] exactly */
	EXPECT_NOFREE(&t, 0, MAX, MAX, 2);
	EXPECT_FREE(&t, 0, MAX, BIT(63), BIT(63), BIT(63));
	EXPECT_FREE(&t, 0, MAX, MAX - 1, 2, 2);
	EXPECT_NOFREE(&t, 0, MAX, MAX - 1, 4);
	itree_remove(&t, &a);

	CHECK_OK(ins(&t, &a, BIT(62), BIT(62)));
	/* holes [0, 2^62 - 1] and [2^62 + 1, MAX] */
	EXPECT_FREE(&t, 0, MAX, BIT(62), 1, 0);
	EXPECT_FREE(&t, 0, MAX, BIT(62), 2, BIT(62) + 2);
	EXPECT_FREE(&t, 0, MAX, BIT(62), BIT(62), BIT(63));
	EXPECT_FREE(&t, 0, MAX, 3 * BIT(62) - 1, 1, BIT(62) + 1);
	EXPECT_NOFREE(&t, 0, MAX, 3 * BIT(62), 1);
	EXPECT_NOFREE(&t, 0, MAX, MAX, BIT(63));
}

/* ---- property test against a brute-force model -------------------------- */

struct ref_iv {
	uint64_t start, last;
	struct itree_node *node;
};

struct model {
	struct ref_iv *v;	/* sorted by start */
	size_t n;
	struct ref_iv *holes;	/* scratch for find_free */
};

struct prop_cfg {
	const char *name;
	uint64_t base;		/* lowest address used */
	unsigned ubits;		/* addresses span 2^ubits (64: everything) */
	unsigned lenbits;	/* interval lengths up to 2^lenbits */
	unsigned seeds;		/* runs, times test_scale() */
	unsigned steps;		/* operations per run */
};

/* Where the property test is, for failure messages. */
static struct {
	const char *cfg;
	unsigned run, step;
	const char *op;
} pctx;

#define PCHECK(cond)                                                      \
	do {                                                              \
		if (!(cond))                                              \
			test_fail(__FILE__, __LINE__,                     \
				  "CHECK(%s) [%s run %u step %u op %s]",    \
				  #cond, pctx.cfg, pctx.run, pctx.step,    \
				  pctx.op);                                \
	} while (0)

#define PCHECK_EQ(a, b)                                                   \
	do {                                                              \
		uint64_t va_ = (uint64_t)(a), vb_ = (uint64_t)(b);        \
		if (va_ != vb_)                                           \
			test_fail(__FILE__, __LINE__,                     \
				  "%s == %s: 0x%" PRIx64 " != 0x%" PRIx64   \
				  " [%s run %u step %u op %s]", #a, #b,     \
				  va_, vb_, pctx.cfg, pctx.run, pctx.step, \
				  pctx.op);                                \
	} while (0)

static size_t ref_find(const struct model *m, uint64_t addr)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->v[i].start <= addr && addr <= m->v[i].last)
			return i;
	return SIZE_MAX;
}

static size_t ref_first_overlap(const struct model *m, uint64_t s,
				uint64_t l)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->v[i].start <= l && s <= m->v[i].last)
			return i;
	return SIZE_MAX;
}

static int ref_insert(struct model *m, uint64_t s, uint64_t l,
		      struct itree_node *node)
{
	size_t i;

	if (s > l)
		return -EINVAL;
	if (ref_first_overlap(m, s, l) != SIZE_MAX)
		return -EEXIST;
	for (i = m->n; i > 0 && m->v[i - 1].start > s; i--)
		m->v[i] = m->v[i - 1];
	m->v[i].start = s;
	m->v[i].last = l;
	m->v[i].node = node;
	m->n++;
	return 0;
}

static void ref_remove(struct model *m, size_t i)
{
	memmove(&m->v[i], &m->v[i + 1], (m->n - i - 1) * sizeof(m->v[0]));
	m->n--;
}

/* The header's policy, literally, in 128-bit arithmetic. *step says which
 * step answered (0: none). */
static bool ref_find_free(const struct model *m, uint64_t lo, uint64_t hi,
			  uint64_t size, uint64_t align, uint64_t *out,
			  int *step)
{
	struct ref_iv *h = m->holes;
	size_t nh = 0, i;
	u128 cur = lo;

	*step = 0;
	if (!size || !align || (align & (align - 1)) || lo > hi)
		return false;
	for (i = 0; i < m->n; i++) {
		if (m->v[i].last < cur)
			continue;
		if (m->v[i].start > hi)
			break;
		if (m->v[i].start > cur) {
			h[nh].start = (uint64_t)cur;
			h[nh++].last = m->v[i].start - 1;
		}
		cur = (u128)m->v[i].last + 1;
	}
	if (cur <= hi) {
		h[nh].start = (uint64_t)cur;
		h[nh++].last = hi;
	}
	for (i = 0; i < nh; i++) {
		if ((u128)h[i].last - h[i].start + 1 >=
		    (u128)size + align - 1) {
			u128 a = ((u128)h[i].start + align - 1) / align * align;

			*out = (uint64_t)a;
			*step = 1;
			return true;
		}
	}
	for (i = 0; i < nh; i++) {
		u128 a = ((u128)h[i].start + align - 1) / align * align;

		if (a + size - 1 <= h[i].last) {
			*out = (uint64_t)a;
			*step = 2;
			return true;
		}
	}
	return false;
}

static uint64_t univ_top(const struct prop_cfg *c)
{
	return c->ubits >= 64 ? MAX : c->base + (BIT(c->ubits) - 1);
}

/* Below 2^bits, bits <= 64. */
static uint64_t rnd_bits(struct test_rng *r, unsigned bits)
{
	return bits >= 64 ? test_rng_next(r) : test_rng_below(r, BIT(bits));
}

/* An address, biased towards the edges and towards existing endpoints so
 * that touching and one-off overlaps are common. */
static uint64_t rnd_addr(struct test_rng *r, const struct prop_cfg *c,
			 const struct model *m)
{
	uint64_t top = univ_top(c), x;
	unsigned k = (unsigned)test_rng_below(r, 16);

	if (k == 0)
		return c->base;
	if (k == 1)
		return top;
	if (k <= 5 && m->n) {
		const struct ref_iv *iv = &m->v[test_rng_below(r, m->n)];

		x = test_rng_below(r, 2) ? iv->start : iv->last;
		switch (test_rng_below(r, 3)) {
		case 0: return x > c->base ? x - 1 : x;
		case 1: return x < top ? x + 1 : x;
		default: return x;
		}
	}
	return c->base + rnd_bits(r, c->ubits);
}

/* Log-uniform in [1, 2^bits]. */
static uint64_t rnd_len_m1(struct test_rng *r, unsigned bits)
{
	return rnd_bits(r, (unsigned)test_rng_below(r, bits + 1));
}

static void compare_tree(const struct itree *t, const struct model *m)
{
	const struct itree_node *x = itree_first(t), *y = itree_last(t);
	uint64_t gap = 0;
	size_t i;
	int rc = itree_check(t);

	if (rc)
		test_fail(__FILE__, __LINE__,
			  "itree_check failed at itree.c:%d [%s run %u step %u op %s]",
			  -rc, pctx.cfg, pctx.run, pctx.step, pctx.op);
	PCHECK_EQ(t->count, m->n);
	for (i = 0; i < m->n; i++, x = itree_next(x)) {
		PCHECK(x == m->v[i].node);
		PCHECK_EQ(x->start, m->v[i].start);
		PCHECK_EQ(x->last, m->v[i].last);
		if (i && m->v[i].start - m->v[i - 1].last - 1 > gap)
			gap = m->v[i].start - m->v[i - 1].last - 1;
	}
	PCHECK(!x);
	for (i = m->n; i-- > 0; y = itree_prev(y))
		PCHECK(y == m->v[i].node);
	PCHECK(!y);
	if (m->n && !t->no_gaps) {
		PCHECK_EQ(t->root->max_gap, gap);
		PCHECK_EQ(t->root->sub_start, m->v[0].start);
		PCHECK_EQ(t->root->sub_last, m->v[m->n - 1].last);
	}
	if (m->n)
		PCHECK(tree_height(t) <= avl_max_height(m->n));
}

static void query_find_free(struct test_rng *r, const struct prop_cfg *c,
			    struct itree *t, const struct model *m,
			    unsigned stats[3])
{
	uint64_t lo = rnd_addr(r, c, m), hi = rnd_addr(r, c, m);
	uint64_t size, align, got = POISON, want = POISON;
	unsigned k;
	int step;
	bool ok, rok;

	if (lo > hi && test_rng_below(r, 32))
		lo ^= hi, hi ^= lo, lo ^= hi;
	if (!test_rng_below(r, 24))
		lo = 0;
	if (!test_rng_below(r, 24))
		hi = MAX;

	k = (unsigned)test_rng_below(r, 24);
	if (k == 0) {
		static const uint64_t huge[] = {
			MAX, MAX - 1, BIT(63), BIT(63) + 1, BIT(63) - 1,
			MAX - 0x3ff, BIT(62) * 3,
		};
		size = huge[test_rng_below(r, sizeof(huge) / sizeof(huge[0]))];
	} else {
		size = 1 + rnd_len_m1(r, c->ubits < 64 ? c->ubits - 1 : 63);
	}
	k = (unsigned)test_rng_below(r, 24);
	if (k == 0)
		align = BIT(63 - test_rng_below(r, 2));
	else
		align = BIT(test_rng_below(r, c->ubits < 60 ? c->ubits + 2
							    : 64));
	if (!test_rng_below(r, 64))
		size = 0;
	if (!test_rng_below(r, 64))
		align = test_rng_below(r, 2) ? 0 : align | 3;

	ok = itree_find_free(t, lo, hi, size, align, &got);
	rok = ref_find_free(m, lo, hi, size, align, &want, &step);
	stats[step]++;
	if (ok != rok || (ok && got != want))
		test_fail(__FILE__, __LINE__,
			  "find_free(0x%" PRIx64 ", 0x%" PRIx64 ", 0x%" PRIx64
			  ", 0x%" PRIx64 "): got %d 0x%" PRIx64
			  ", want %d 0x%" PRIx64 " (step %d) [%s run %u step %u]",
			  lo, hi, size, align, ok, got, rok, want, step,
			  pctx.cfg, pctx.run, pctx.step);
	if (ok) {
		/* and the answer is really free */
		PCHECK(got >= lo && got <= hi && hi - got >= size - 1);
		PCHECK(!(got & (align - 1)));
		PCHECK(!itree_first_overlap(t, got, got + (size - 1)));
	}
}

static void prop_run(const struct prop_cfg *c, struct test_rng *r,
		     unsigned run)
{
	size_t cap = c->steps + 1;
	struct itree_node *pool = calloc(cap, sizeof(*pool));
	struct itree_node **free_nodes = calloc(cap, sizeof(*free_nodes));
	struct model m = { calloc(cap, sizeof(struct ref_iv)), 0,
			   calloc(cap + 1, sizeof(struct ref_iv)) };
	struct itree t = ITREE_INIT;
	size_t nfree = 0, i;
	unsigned ff_stats[3] = { 0, 0, 0 };
	/* per run: mostly filling, mostly draining, or balanced */
	unsigned p_ins = 30 + (unsigned)test_rng_below(r, 50);
	uint64_t top = univ_top(c);
	/* odd runs start without gaps, drop them now and then, and ask for
	 * free space only now and then while they are off (the search brings
	 * them back) */
	bool lazy = run & 1;

	CHECK(pool && free_nodes && m.v && m.holes);
	for (i = cap; i-- > 0;)
		free_nodes[nfree++] = &pool[i];
	pctx.cfg = c->name;
	pctx.run = run;
	itree_set_gaps(&t, !lazy);
	for (unsigned step = 0; step < c->steps; step++) {
		unsigned k = (unsigned)test_rng_below(r, 100);
		uint64_t a, b;
		size_t ri;

		pctx.step = step;
		if (k < p_ins) {
			struct itree_node *n = free_nodes[nfree - 1];
			int rc, want;

			pctx.op = "insert";
			a = rnd_addr(r, c, &m);
			b = rnd_len_m1(r, c->lenbits);
			b = a + (b <= top - a ? b : top - a);
			if (a && !test_rng_below(r, 32))	/* start > last */
				b = a - 1 - test_rng_below(r, a < 4 ? a : 4);
			set(n, a, b);
			want = ref_insert(&m, a, b, n);
			rc = itree_insert(&t, n);
			if (rc != want)
				test_fail(__FILE__, __LINE__,
					  "insert [0x%" PRIx64 ", 0x%" PRIx64
					  "]: got %d want %d [%s run %u step %u]",
					  a, b, rc, want, c->name, run, step);
			if (!rc)
				nfree--;
		} else if (m.n) {
			pctx.op = "remove";
			ri = (size_t)test_rng_below(r, m.n);
			free_nodes[nfree++] = m.v[ri].node;
			itree_remove(&t, m.v[ri].node);
			ref_remove(&m, ri);
		}
		compare_tree(&t, &m);

		pctx.op = "find";
		a = rnd_addr(r, c, &m);
		ri = ref_find(&m, a);
		PCHECK(itree_find(&t, a) ==
		       (ri == SIZE_MAX ? NULL : m.v[ri].node));

		pctx.op = "first_overlap";
		a = rnd_addr(r, c, &m);
		b = rnd_addr(r, c, &m);
		if (a > b && test_rng_below(r, 16))
			a ^= b, b ^= a, a ^= b;
		ri = a > b ? SIZE_MAX : ref_first_overlap(&m, a, b);
		PCHECK(itree_first_overlap(&t, a, b) ==
		       (ri == SIZE_MAX ? NULL : m.v[ri].node));

		if (lazy && !t.no_gaps && !test_rng_below(r, 16))
			itree_set_gaps(&t, false);
		if (t.no_gaps && test_rng_below(r, 16))
			continue;
		pctx.op = "find_free";
		query_find_free(r, c, &t, &m, ff_stats);
		compare_tree(&t, &m);
		query_find_free(r, c, &t, &m, ff_stats);
	}
	/* drain in random order */
	pctx.op = "drain";
	while (m.n) {
		size_t ri = (size_t)test_rng_below(r, m.n);

		itree_remove(&t, m.v[ri].node);
		ref_remove(&m, ri);
		compare_tree(&t, &m);
	}
	if (run == 0)
		test_note("%s: find_free answered by step 1 %u, step 2 %u, none %u",
			  c->name, ff_stats[1], ff_stats[2], ff_stats[0]);
	free(pool);
	free(free_nodes);
	free(m.v);
	free(m.holes);
}

TEST(property_vs_model)
{
	static const struct prop_cfg cfgs[] = {
		/* dense collisions in a tiny universe at 0 */
		{ "low_2^10", 0, 10, 5, 28, 800 },
		/* the same right below UINT64_MAX */
		{ "top_2^10", MAX - (BIT(10) - 1), 10, 5, 28, 800 },
		/* tiny universe in the middle with a 2^64-scale lo/hi */
		{ "mid_2^8", BIT(63) - 100, 8, 3, 28, 600 },
		/* bigger trees */
		{ "wide_2^16", 0x12340000, 16, 6, 4, 4000 },
		/* anywhere in the space, any length */
		{ "full_2^64", 0, 64, 64, 16, 800 },
	};
	uint64_t seed = test_seed();
	struct test_rng r;
	unsigned scale = test_scale();

	/* one stream from the base seed: replaying it replays every run */
	test_set_seed(seed);
	test_rng_seed(&r, seed ^ 0x6974726565ull);
	for (size_t i = 0; i < sizeof(cfgs) / sizeof(cfgs[0]); i++)
		for (unsigned run = 0; run < cfgs[i].seeds * scale; run++)
			prop_run(&cfgs[i], &r, run);
}

/* ---- scale ---------------------------------------------------------------- */

TEST(scale_1m)
{
	enum { N = 1000000, BIG = 1000 };
	const uint64_t shift = BIT(40);
	struct itree_node *nodes = calloc(N, sizeof(*nodes));
	size_t *order = calloc(N, sizeof(*order));
	struct itree t = ITREE_INIT;
	struct test_rng r;
	uint64_t big_hs, big_hl, end;
	double t0, t_ins, t_q, t_rm;
	size_t i;
	int h;

	CHECK(nodes && order);
	test_set_seed(test_seed());
	test_rng_seed(&r, test_seed() ^ 0x7363616c65ull);

	/*
	 * Node i is [16i, 16i + 7] (a hole of 8 after it) or, for every
	 * third, [16i, 16i + 15] (touching the next one). The last BIG
	 * nodes are moved up by 2^40, leaving one large interior hole, and
	 * everything after the last node is free too.
	 */
	for (i = 0; i < N; i++) {
		uint64_t s = 16 * (uint64_t)i + (i >= N - BIG ? shift : 0);

		set(&nodes[i], s, s + (i % 3 == 0 ? 15 : 7));
		order[i] = i;
	}
	big_hs = nodes[N - BIG - 1].last + 1;
	big_hl = nodes[N - BIG].start - 1;
	end = nodes[N - 1].last;
	shuffle_windows(&r, order, N, 1u << 14);

	t0 = now_sec();
	for (i = 0; i < N; i++)
		CHECK_OK(itree_insert(&t, &nodes[order[i]]));
	t_ins = now_sec() - t0;
	CHECK_EQ(t.count, N);
	CHECK_TREE(&t);
	h = tree_height(&t);
	CHECK(h <= avl_max_height(N));
	/* the usual statement of the bound: 1.44 log2(n) + 2 */
	CHECK(100 * h <= 144 * ceil_log2(N) + 200);
	CHECK_EQ(t.root->max_gap, big_hl - big_hs + 1);
	CHECK_EQ(t.root->sub_start, 0);
	CHECK_EQ(t.root->sub_last, end);

	CHECK(itree_find(&t, 16 * 12345 + 3) == &nodes[12345]);
	CHECK(!itree_find(&t, 16 * 12346 + 9));
	CHECK(itree_find(&t, 16 * 12345 + 9) == &nodes[12345]);
	CHECK(itree_first_overlap(&t, 16 * 4 + 8, MAX) == &nodes[5]);
	CHECK(itree_first_overlap(&t, big_hs, MAX) == &nodes[N - BIG]);

	/* step 1 reaches past 666k small holes to the large one */
	EXPECT_FREE(&t, 0, MAX, 64, 64, (big_hs + 63) & ~63ull);
	EXPECT_FREE(&t, 0, MAX, 8, 8, (big_hs + 7) & ~7ull);
	/* no certain fit below it: step 2 takes the first small hole */
	EXPECT_FREE(&t, 0, big_hs - 1, 8, 8, 24);
	EXPECT_FREE(&t, 0, MAX, 8, 1, 24);
	EXPECT_NOFREE(&t, 0, big_hs + 7, 9, 1);
	EXPECT_FREE(&t, 16 * (N / 2) + 3, MAX, 4096, 4096,
		    (big_hs + 4095) & ~4095ull);
	/* the large hole clipped at hi to an exact fit */
	EXPECT_FREE(&t, 0, big_hs + 4095, 4096, 1, big_hs);
	/* after the large hole: only the space past the last node */
	EXPECT_FREE(&t, big_hl + 1, MAX, BIT(40), BIT(20),
		    (end + BIT(20)) & ~(BIT(20) - 1));
	EXPECT_FREE(&t, nodes[N - BIG].start, MAX, 9, 1, end + 1);

	/* O(log n) queries: 2 * 10^4 of them would take tens of seconds if
	 * each walked the holes linearly */
	t0 = now_sec();
	for (i = 0; i < 10000; i++) {
		uint64_t out;

		CHECK(itree_find_free(&t, 16 * (uint64_t)i, MAX, 64, 64, &out));
		CHECK(!itree_find_free(&t, 16 * (uint64_t)i, big_hs + 7, 9,
				       1, &out));
	}
	t_q = now_sec() - t0;
	CHECK(t_q < 1.0);

	shuffle_windows(&r, order, N, 1u << 12);
	t0 = now_sec();
	for (i = 0; i < N; i++) {
		itree_remove(&t, &nodes[order[i]]);
		if (i == N / 2) {
			CHECK_TREE(&t);
			CHECK(tree_height(&t) <= avl_max_height(t.count));
		}
	}
	t_rm = now_sec() - t0;
	CHECK_EQ(t.count, 0);
	CHECK(!t.root);
	CHECK_TREE(&t);
	test_note("scale: height %d (AVL bound %d), insert %.3fs, "
		  "2e4 find_free %.3fs, remove %.3fs",
		  h, avl_max_height(N), t_ins, t_q, t_rm);
	free(nodes);
	free(order);
}
