/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A readers-writer lock in one 32-bit word: writers first, never recursive.
 *
 * Why not pthread_rwlock_t: the virtio-iommu device takes a domain's lock
 * for writing around every MAP and UNMAP, and glibc's writer-preferring
 * rwlock costs three locked instructions and about ninety others for a
 * lock and unlock. This one costs two locked instructions and a handful:
 * a compare-and-swap to take, an exchange to give back. Waiting is a futex
 * on the word (Linux; elsewhere a yield loop).
 *
 * The word: bits 0..29 count the readers holding it, bit 30 says someone
 * sleeps (or is about to) on the word, bit 31 is the writer. Readers do not
 * enter while a writer holds the lock or anyone waits, so a waiting writer
 * gets in once the readers inside leave. Whoever leaves the word free with
 * the sleep bit set wakes every sleeper; they race again.
 */
#ifndef IOAS_CORE_RWLOCK_H
#define IOAS_CORE_RWLOCK_H

#include <stdatomic.h>
#include <stdint.h>

#define RWL_WRITER (1u << 31)
#define RWL_SLEEPERS (1u << 30)

struct rwlock {
	_Atomic uint32_t w;
};

/* The slow paths (rwlock.c). */
void rwl_rd_lock_wait(struct rwlock *l);
void rwl_wr_lock_wait(struct rwlock *l);
void rwl_wake_all(struct rwlock *l);

static inline void rwl_init(struct rwlock *l)
{
	atomic_init(&l->w, 0);
}

static inline void rwl_rd_lock(struct rwlock *l)
{
	uint32_t v = atomic_load_explicit(&l->w, memory_order_relaxed);

	if (!(v & (RWL_WRITER | RWL_SLEEPERS)) &&
	    atomic_compare_exchange_weak_explicit(&l->w, &v, v + 1,
						  memory_order_acquire,
						  memory_order_relaxed))
		return;
	rwl_rd_lock_wait(l);
}

static inline void rwl_wr_lock(struct rwlock *l)
{
	uint32_t v = 0;

	if (atomic_compare_exchange_strong_explicit(&l->w, &v, RWL_WRITER,
						    memory_order_acquire,
						    memory_order_relaxed))
		return;
	rwl_wr_lock_wait(l);
}

/* Give back a read or a write hold (the word tells which: no reader is
 * inside while the writer bit is set). */
static inline void rwl_unlock(struct rwlock *l)
{
	uint32_t v = atomic_load_explicit(&l->w, memory_order_relaxed);

	if (v & RWL_WRITER) {
		/* only sleepers can change the word now (their bit) */
		if (atomic_exchange_explicit(&l->w, 0, memory_order_release) &
		    RWL_SLEEPERS)
			rwl_wake_all(l);
		return;
	}
	v = atomic_fetch_sub_explicit(&l->w, 1, memory_order_release) - 1;
	/* the last reader out with sleepers: free the word, then wake them
	 * (a writer that took it meanwhile wakes them when it leaves) */
	if (v == RWL_SLEEPERS &&
	    atomic_compare_exchange_strong_explicit(&l->w, &v, 0,
						    memory_order_relaxed,
						    memory_order_relaxed))
		rwl_wake_all(l);
}

#endif
