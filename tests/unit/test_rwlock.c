/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The readers-writer lock (src/core/rwlock.h): exclusion (writers change
 * two plain words that readers must always see equal: under TSan any gap
 * in the exclusion is also a reported race), that a waiting writer gets in
 * while readers keep coming, and the word left free after every mix.
 */
#include <pthread.h>
#include <sched.h>

#include "core/rwlock.h"
#include "test.h"

struct shared {
	struct rwlock l;
	uint64_t a, b;            /* equal whenever no writer is inside */
	_Atomic uint32_t readers_in, writer_in;
	_Atomic uint64_t bad;     /* exclusion broken, seen from inside */
	_Atomic bool stop;
	_Atomic uint64_t writes;
	uint64_t rounds;
};

static void *reader(void *p)
{
	struct shared *s = p;

	while (!atomic_load(&s->stop)) {
		rwl_rd_lock(&s->l);
		atomic_fetch_add(&s->readers_in, 1);
		if (atomic_load(&s->writer_in) || s->a != s->b)
			atomic_fetch_add(&s->bad, 1);
		atomic_fetch_sub(&s->readers_in, 1);
		rwl_unlock(&s->l);
	}
	return NULL;
}

static void *writer(void *p)
{
	struct shared *s = p;

	for (uint64_t i = 0; i < s->rounds; i++) {
		rwl_wr_lock(&s->l);
		if (atomic_fetch_add(&s->writer_in, 1) ||
		    atomic_load(&s->readers_in))
			atomic_fetch_add(&s->bad, 1);
		s->a++;
		if ((i & 7) == 0)
			sched_yield(); /* let readers pile up behind */
		s->b++;
		atomic_fetch_sub(&s->writer_in, 1);
		rwl_unlock(&s->l);
		atomic_fetch_add(&s->writes, 1);
	}
	return NULL;
}

/* Readers never stop on their own: the run ends only because every
 * writer finished its rounds, so a writer starved behind the readers
 * would hang the test (CTest's timeout fails it). */
TEST(rwlock_exclusion_and_writers_get_in)
{
	enum { READERS = 4, WRITERS = 2 };
	pthread_t r[READERS], w[WRITERS];
	struct shared s = { .rounds = TEST_SANITIZED ? 1000 : 4000 };

	rwl_init(&s.l);
	for (int i = 0; i < READERS; i++)
		CHECK_EQ(pthread_create(&r[i], NULL, reader, &s), 0);
	for (int i = 0; i < WRITERS; i++)
		CHECK_EQ(pthread_create(&w[i], NULL, writer, &s), 0);
	for (int i = 0; i < WRITERS; i++)
		CHECK_EQ(pthread_join(w[i], NULL), 0);
	atomic_store(&s.stop, true);
	for (int i = 0; i < READERS; i++)
		CHECK_EQ(pthread_join(r[i], NULL), 0);
	CHECK_EQ(atomic_load(&s.bad), 0);
	CHECK_EQ(s.a, WRITERS * s.rounds);
	CHECK_EQ(s.b, s.a);
	CHECK_EQ(atomic_load(&s.writes), WRITERS * s.rounds);
	/* nobody inside, nobody asleep: the word is free */
	CHECK_EQ(atomic_load(&s.l.w), 0);
}

TEST(rwlock_word_states)
{
	struct rwlock l;

	rwl_init(&l);
	rwl_rd_lock(&l);
	rwl_rd_lock(&l); /* two read holds (one thread: nobody waits here) */
	CHECK_EQ(atomic_load(&l.w), 2);
	rwl_unlock(&l);
	rwl_unlock(&l);
	CHECK_EQ(atomic_load(&l.w), 0);
	rwl_wr_lock(&l);
	CHECK_EQ(atomic_load(&l.w), RWL_WRITER);
	rwl_unlock(&l);
	CHECK_EQ(atomic_load(&l.w), 0);
}

struct handoff {
	struct rwlock *l;
	_Atomic int phase;
	bool write;
};

static void *blocked_taker(void *p)
{
	struct handoff *h = p;

	atomic_store(&h->phase, 1);
	if (h->write)
		rwl_wr_lock(h->l);
	else
		rwl_rd_lock(h->l);
	atomic_store(&h->phase, 2);
	rwl_unlock(h->l);
	return NULL;
}

/* A reader or writer that must sleep is woken by the unlock that frees
 * the word, and the word ends free (its sleepers bit cleared). */
TEST(rwlock_sleepers_are_woken)
{
	for (int k = 0; k < 3; k++) {
		struct rwlock l;
		struct handoff h = { &l, 0, k != 1 };
		pthread_t t;

		rwl_init(&l);
		if (k == 2)
			rwl_rd_lock(&l); /* a writer waits for a reader */
		else
			rwl_wr_lock(&l);
		CHECK_EQ(pthread_create(&t, NULL, blocked_taker, &h), 0);
		while (atomic_load(&h.phase) == 0)
			sched_yield();
		/* it cannot get in while we hold the lock; wait until it
		 * says it sleeps (or give it a few chances to be wrong) */
		for (int i = 0; i < 1000 && !(atomic_load(&l.w) & RWL_SLEEPERS);
		     i++)
			sched_yield();
		CHECK(atomic_load(&h.phase) != 2);
		rwl_unlock(&l);
		CHECK_EQ(pthread_join(t, NULL), 0);
		CHECK_EQ(atomic_load(&h.phase), 2);
		CHECK_EQ(atomic_load(&l.w), 0);
	}
}
