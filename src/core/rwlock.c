/* SPDX-License-Identifier: BSD-2-Clause */
/* The waiting side of the readers-writer lock (rwlock.h). */
#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE /* syscall() */
#endif
#include "rwlock.h"

#include <limits.h>

#if defined(__linux__)
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Sleep while the word still holds v (any wake, signal or change ends
 * it: the callers look again). */
static void word_wait(struct rwlock *l, uint32_t v)
{
	(void)syscall(SYS_futex, &l->w, FUTEX_WAIT_PRIVATE, v, NULL, NULL, 0);
}

void rwl_wake_all(struct rwlock *l)
{
	(void)syscall(SYS_futex, &l->w, FUTEX_WAKE_PRIVATE, INT_MAX, NULL,
		      NULL, 0);
}
#else
#include <sched.h>

static void word_wait(struct rwlock *l, uint32_t v)
{
	(void)l;
	(void)v;
	sched_yield();
}

void rwl_wake_all(struct rwlock *l)
{
	(void)l;
}
#endif

/* Set the sleepers bit on v (the word as last read) and sleep on it;
 * back at once when the word moved first (the caller looks again). */
static void sleep_on(struct rwlock *l, uint32_t v)
{
	if (!(v & RWL_SLEEPERS) &&
	    !atomic_compare_exchange_weak_explicit(&l->w, &v, v | RWL_SLEEPERS,
						   memory_order_relaxed,
						   memory_order_relaxed))
		return;
	word_wait(l, v | RWL_SLEEPERS);
}

void rwl_rd_lock_wait(struct rwlock *l)
{
	for (;;) {
		uint32_t v = atomic_load_explicit(&l->w, memory_order_relaxed);

		if (v & (RWL_WRITER | RWL_SLEEPERS)) {
			sleep_on(l, v);
		} else if (atomic_compare_exchange_weak_explicit(
				   &l->w, &v, v + 1, memory_order_acquire,
				   memory_order_relaxed)) {
			return;
		}
	}
}

void rwl_wr_lock_wait(struct rwlock *l)
{
	for (;;) {
		uint32_t v = atomic_load_explicit(&l->w, memory_order_relaxed);

		/* free but for sleepers: take it and keep their bit, so that
		 * this writer's unlock wakes them */
		if (v & ~RWL_SLEEPERS) {
			sleep_on(l, v);
		} else if (atomic_compare_exchange_weak_explicit(
				   &l->w, &v, v | RWL_WRITER,
				   memory_order_acquire,
				   memory_order_relaxed)) {
			return;
		}
	}
}
