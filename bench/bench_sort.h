/* SPDX-License-Identifier: BSD-2-Clause */
/* Sorting rounds' figures, for their median and spread. */
#ifndef IOAS_BENCH_SORT_H
#define IOAS_BENCH_SORT_H

#include <stddef.h>
#include <stdlib.h>

static int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* v[0..n) in ascending order. */
static inline void sort_doubles(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), bench_cmp_double);
}

#endif
