/* SPDX-License-Identifier: BSD-2-Clause */
/* Internal view of the context: allocation, accounting, logging, structs. */
#ifndef IOAS_CORE_CTX_H
#define IOAS_CORE_CTX_H

#include <stdatomic.h>
#include <stdbool.h>

#include <ioas/ctx.h>

struct ioas_user {
	_Atomic uint64_t refs;
	_Atomic uint64_t locked;   /* bytes */
	uint64_t limit;            /* bytes, 0 = unlimited */
};

struct ioas_ctx {
	struct ioas_host_ops ops;
	void *opaque;
	_Atomic uint64_t refs;     /* the caller's + one per live object */
	uint32_t page_lg2;
	uint32_t log_level;
	uint32_t account_mode;
	uint64_t limit;            /* IOAS_ACCOUNT_CTX */
	struct ioas_user *user;    /* IOAS_ACCOUNT_USER */
	_Atomic uint64_t locked;   /* bytes this context pinned */
	/* allocation statistics and fault injection */
	_Atomic uint64_t allocs, frees, live_bytes, failed;
	_Atomic uint64_t fail_countdown;
	_Atomic bool fail_fired;
};

/* Zeroed allocation through the host allocator; NULL on failure (including
 * an injected one). align is a power of two <= 4096. */
void *ctx_alloc(struct ioas_ctx *ctx, size_t size, size_t align);
static inline void *ctx_zalloc(struct ioas_ctx *ctx, size_t size)
{
	return ctx_alloc(ctx, size, 16);
}
/* Whether fault injection fails this allocation (counted as ctx_alloc
 * counts it): for allocations served from a cache of the caller's, which
 * must fail when an allocation would. */
bool ctx_fail_countdown(struct ioas_ctx *ctx);
static inline bool ctx_fail_injected(struct ioas_ctx *ctx)
{
	return atomic_load_explicit(&ctx->fail_countdown,
				    memory_order_relaxed) &&
	       ctx_fail_countdown(ctx);
}
/* size must be the size passed to ctx_alloc. NULL is ignored. */
void ctx_free(struct ioas_ctx *ctx, void *ptr, size_t size);

/* Objects created in a context hold a reference to it. */
void ctx_get(struct ioas_ctx *ctx);
void ctx_put(struct ioas_ctx *ctx);

/* Charge pinned bytes against the context's or user's limit: all or
 * nothing. -ENOMEM past the limit. Uncharge never fails. */
int ctx_account(struct ioas_ctx *ctx, uint64_t bytes);
void ctx_unaccount(struct ioas_ctx *ctx, uint64_t bytes);

void ctx_log(const struct ioas_ctx *ctx, enum ioas_log_level level,
	     const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * Copy a size-prefixed struct from the caller into `dst` (known bytes, the
 * size this library was built with). The caller's struct has `usize` bytes
 * (its own sizeof) at `src`: smaller than `min` -> -EINVAL; larger than
 * `known` with a non-zero byte past `known` -> -E2BIG. Missing tail bytes
 * are zeroed.
 */
int struct_copy_in(void *dst, size_t known, const void *src, uint32_t usize,
		   size_t min);

/* Log2 helpers. */
static inline bool is_pow2_u64(uint64_t x)
{
	return x && !(x & (x - 1));
}
static inline unsigned ilog2_u64(uint64_t x) /* x != 0 */
{
	return 63u - (unsigned)__builtin_clzll(x);
}

#endif
