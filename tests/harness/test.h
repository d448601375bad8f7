/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A small test harness: each test binary defines named cases with TEST(),
 * runs them all (or those named on the command line) and prints TAP:
 *   ok 3 - as_unmap_partial
 * A failed assertion prints file:line, the expression and both values, then
 * ends that case. Randomised tests take their seed from IOAS_TEST_SEED (or
 * derive one) and print it on failure so a run can be replayed.
 */
#ifndef IOAS_TEST_H
#define IOAS_TEST_H

#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct test_case {
	const char *name;
	void (*fn)(void);
	struct test_case *next;
};

void test_register(struct test_case *tc);
void test_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4), noreturn));
void test_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Seed for randomised tests: IOAS_TEST_SEED if set, else a fixed default
 * (so runs are reproducible); printed with any failure. */
uint64_t test_seed(void);
/* Scale for long property tests: IOAS_TEST_SCALE (default 1). */
unsigned test_scale(void);
/* Record the seed a case is using, so a failure reports it. */
void test_set_seed(uint64_t seed);

/* 1 in an ASan or TSan build (gcc or clang), where long loops shrink. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define TEST_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define TEST_SANITIZED 1
#endif
#endif
#ifndef TEST_SANITIZED
#define TEST_SANITIZED 0
#endif

#define TEST(name)                                                        \
	static void test_fn_##name(void);                                 \
	static struct test_case test_case_##name = { #name, test_fn_##name, \
						     NULL };              \
	__attribute__((constructor)) static void test_reg_##name(void)    \
	{                                                                 \
		test_register(&test_case_##name);                          \
	}                                                                 \
	static void test_fn_##name(void)

#define CHECK(cond)                                                       \
	do {                                                              \
		if (!(cond))                                              \
			test_fail(__FILE__, __LINE__, "CHECK(%s)", #cond); \
	} while (0)

#define CHECK_EQ(a, b)                                                    \
	do {                                                              \
		uint64_t va_ = (uint64_t)(a), vb_ = (uint64_t)(b);        \
		if (va_ != vb_)                                           \
			test_fail(__FILE__, __LINE__,                     \
				  "%s == %s: 0x%" PRIx64 " != 0x%" PRIx64,   \
				  #a, #b, va_, vb_);                      \
	} while (0)

/* An int-returning call that must give exactly `err` (0 or -Exxx). */
#define CHECK_ERR(call, err)                                              \
	do {                                                              \
		int ra_ = (int)(call), rb_ = (int)(err);                  \
		if (ra_ != rb_)                                           \
			test_fail(__FILE__, __LINE__,                     \
				  "%s: got %d (%s), want %d (%s)", #call,   \
				  ra_, strerror(ra_ < 0 ? -ra_ : ra_), rb_, \
				  strerror(rb_ < 0 ? -rb_ : rb_));        \
	} while (0)

#define CHECK_OK(call) CHECK_ERR(call, 0)

/* A small deterministic PRNG (xoshiro256**), for property tests. */
struct test_rng {
	uint64_t s[4];
};
void test_rng_seed(struct test_rng *r, uint64_t seed);
uint64_t test_rng_next(struct test_rng *r);
/* Uniform in [0, n) for n >= 1. */
uint64_t test_rng_below(struct test_rng *r, uint64_t n);

#endif
