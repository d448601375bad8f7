/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The intervals of the QEMU-style baselines: [low, high], inclusive, in a
 * glib GTree whose comparator makes overlapping intervals equal, so a
 * lookup of [a, a] finds the interval holding a (QEMU's virtio-iommu
 * keeps its mappings so).
 */
#ifndef IOAS_BENCH_INTERVAL_H
#define IOAS_BENCH_INTERVAL_H

#include <stdint.h>

#ifdef HAVE_GLIB
#include <glib.h>
#endif

struct interval {
	uint64_t low, high;
};

#ifdef HAVE_GLIB
static inline gint interval_cmp(gconstpointer a, gconstpointer b,
				gpointer data)
{
	const struct interval *x = a, *y = b;

	(void)data;
	if (x->high < y->low)
		return -1;
	if (y->high < x->low)
		return 1;
	return 0;
}
#endif

#endif
