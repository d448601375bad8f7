/* SPDX-License-Identifier: BSD-2-Clause */
#include "test.h"

#include <stdarg.h>

static struct test_case *cases, **cases_tail = &cases;
static jmp_buf case_jmp;
static const char *case_name;
static uint64_t case_seed;
static bool case_has_seed;

void test_register(struct test_case *tc)
{
	*cases_tail = tc;
	cases_tail = &tc->next;
}

void test_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	printf("# FAIL %s at %s:%d: ", case_name ? case_name : "?", file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (case_has_seed)
		printf("# replay with IOAS_TEST_SEED=%" PRIu64 "\n", case_seed);
	fflush(stdout);
	longjmp(case_jmp, 1);
}

void test_note(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

uint64_t test_seed(void)
{
	const char *s = getenv("IOAS_TEST_SEED");

	return s ? strtoull(s, NULL, 0) : 0x10a5u;
}

unsigned test_scale(void)
{
	const char *s = getenv("IOAS_TEST_SCALE");
	unsigned long v = s ? strtoul(s, NULL, 0) : 1;

	return v ? (unsigned)v : 1;
}

void test_set_seed(uint64_t seed)
{
	case_seed = seed;
	case_has_seed = true;
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

void test_rng_seed(struct test_rng *r, uint64_t seed)
{
	/* splitmix64 to spread the seed over the state */
	for (int i = 0; i < 4; i++) {
		uint64_t z = (seed += 0x9e3779b97f4a7c15ull);
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
		r->s[i] = z ^ (z >> 31);
	}
}

uint64_t test_rng_next(struct test_rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

uint64_t test_rng_below(struct test_rng *r, uint64_t n)
{
	/* Lemire's multiply-shift; the tiny bias is irrelevant for tests */
	return (uint64_t)(((unsigned __int128)test_rng_next(r) * n) >> 64);
}

static bool selected(const char *name, int argc, char **argv)
{
	if (argc <= 1)
		return true;
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], name))
			return true;
	return false;
}

/* setjmp lives in its own frame so main's counters are never clobbered. */
static bool run_case(struct test_case *tc)
{
	case_name = tc->name;
	case_has_seed = false;
	if (setjmp(case_jmp) == 0) {
		tc->fn();
		return true;
	}
	return false;
}

int main(int argc, char **argv)
{
	int n = 0, failed = 0, total = 0;

	if (argc == 2 && !strcmp(argv[1], "--list")) {
		for (struct test_case *tc = cases; tc; tc = tc->next)
			printf("%s\n", tc->name);
		return 0;
	}
	for (struct test_case *tc = cases; tc; tc = tc->next)
		total += selected(tc->name, argc, argv);
	printf("1..%d\n", total);
	for (struct test_case *tc = cases; tc; tc = tc->next) {
		if (!selected(tc->name, argc, argv))
			continue;
		n++;
		if (run_case(tc)) {
			printf("ok %d - %s\n", n, tc->name);
		} else {
			printf("not ok %d - %s\n", n, tc->name);
			failed++;
		}
		fflush(stdout);
	}
	printf("# %d passed, %d failed\n", n - failed, failed);
	return failed ? 1 : 0;
}
