/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The in-run baseline of the translate benchmarks: the lookup QEMU's
 * virtio-iommu does per translation, a GTree of [low, high] intervals
 * searched with an overlap comparator under a recursive mutex
 * (g_tree_lookup under QemuRecMutex). With glib when pkg-config finds it
 * (HAVE_GLIB); otherwise a stand-in, a perfectly balanced binary tree of
 * intervals under a recursive pthread mutex, and base_name says so.
 * One tree per program: base_build, base_lookup, base_free.
 */
#ifndef IOAS_BENCH_BASELINE_H
#define IOAS_BENCH_BASELINE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "bench_interval.h"

struct mapping {
	struct interval iv;
	uint64_t pa;
};

#ifdef HAVE_GLIB
static GTree *base_tree;
static GRecMutex base_mutex;
static const char base_name[] = "glib GTree + GRecMutex (as QEMU)";

static void base_build(struct mapping *m, unsigned n)
{
	g_rec_mutex_init(&base_mutex);
	base_tree = g_tree_new_full(interval_cmp, NULL, NULL, NULL);
	for (unsigned i = 0; i < n; i++)
		g_tree_insert(base_tree, &m[i].iv, &m[i]);
}

static bool base_lookup(uint64_t iova, uint64_t *pa)
{
	struct interval key = { iova, iova };
	struct mapping *m;

	g_rec_mutex_lock(&base_mutex);
	m = g_tree_lookup(base_tree, &key);
	if (m)
		*pa = m->pa + (iova - m->iv.low);
	g_rec_mutex_unlock(&base_mutex);
	return m != NULL;
}

static void base_free(void)
{
	g_tree_destroy(base_tree);
	g_rec_mutex_clear(&base_mutex);
}
#else
/* A perfectly balanced BST over the sorted intervals. */
struct bnode {
	struct mapping *m;
	struct bnode *l, *r;
};

static struct bnode *bnodes;
static struct bnode *base_root;
static pthread_mutex_t base_mutex;
static const char base_name[] =
	"own balanced interval tree + recursive pthread mutex (no glib)";

static int map_cmp(const void *a, const void *b)
{
	const struct mapping *x = a, *y = b;

	return x->iv.low < y->iv.low ? -1 : x->iv.low > y->iv.low;
}

static struct bnode *bbuild(struct mapping *m, unsigned lo, unsigned hi,
			    unsigned *next)
{
	struct bnode *n;
	unsigned mid;

	if (lo >= hi)
		return NULL;
	mid = lo + (hi - lo) / 2;
	n = &bnodes[(*next)++];
	n->m = &m[mid];
	n->l = bbuild(m, lo, mid, next);
	n->r = bbuild(m, mid + 1, hi, next);
	return n;
}

static void base_build(struct mapping *m, unsigned n)
{
	pthread_mutexattr_t a;
	unsigned next = 0;

	pthread_mutexattr_init(&a);
	pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&base_mutex, &a);
	pthread_mutexattr_destroy(&a);
	qsort(m, n, sizeof(*m), map_cmp);
	bnodes = calloc(n, sizeof(*bnodes));
	base_root = bbuild(m, 0, n, &next);
}

static bool base_lookup(uint64_t iova, uint64_t *pa)
{
	struct bnode *n;

	pthread_mutex_lock(&base_mutex);
	for (n = base_root; n;) {
		if (iova < n->m->iv.low) {
			n = n->l;
		} else if (iova > n->m->iv.high) {
			n = n->r;
		} else {
			*pa = n->m->pa + (iova - n->m->iv.low);
			break;
		}
	}
	pthread_mutex_unlock(&base_mutex);
	return n != NULL;
}

static void base_free(void)
{
	free(bnodes);
	pthread_mutex_destroy(&base_mutex);
}
#endif

#endif
