/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ioas_ctx: the root object. It holds what the host supplies (allocator,
 * log), the locked-memory accounting, and the fault-injection hook tests
 * use. Every other object is created in a context and keeps it alive; the
 * library starts no threads and keeps no global state.
 */
#ifndef IOAS_CTX_H
#define IOAS_CTX_H

#include <stdbool.h>

#include "base.h"

#ifdef __cplusplus
extern "C" {
#endif

struct ioas_ctx;
struct ioas_user;

enum ioas_log_level {
	IOAS_LOG_ERROR = 0,
	IOAS_LOG_WARN = 1,
	IOAS_LOG_INFO = 2,
	IOAS_LOG_DEBUG = 3,
};

/* What the host owns. Any member may be NULL (then calloc/free are used and
 * logging is off). alloc must return zeroed memory aligned to `align`
 * (a power of two, at most 4096) or NULL. */
struct ioas_host_ops {
	void *(*alloc)(void *opaque, size_t size, size_t align);
	void (*free)(void *opaque, void *ptr, size_t size);
	void (*log)(void *opaque, enum ioas_log_level level, const char *msg);
};

enum ioas_account_mode {
	/* Pinned memory counts against this context's own locked_limit. */
	IOAS_ACCOUNT_CTX = 0,
	/* Pinned memory counts against the shared ioas_user's limit, together
	 * with every other context that names the same user (as
	 * RLIMIT_MEMLOCK does per user). */
	IOAS_ACCOUNT_USER = 1,
};

struct ioas_ctx_config {
	uint32_t size;            /* sizeof(struct ioas_ctx_config) */
	uint32_t flags;           /* none defined: must be 0 */
	const struct ioas_host_ops *ops;
	void *opaque;             /* passed to every ops call */
	uint64_t locked_limit;    /* bytes, IOAS_ACCOUNT_CTX; 0 = unlimited */
	struct ioas_user *user;   /* IOAS_ACCOUNT_USER: the shared counter */
	uint32_t account_mode;    /* enum ioas_account_mode */
	uint32_t page_size_lg2;   /* host page size; 0 = 12 (4 KiB), 12..30 */
	uint32_t log_level;       /* most verbose level passed to ops->log */
	uint32_t reserved;        /* must be 0 */
};

/*
 * Create a context. cfg may be NULL for defaults (calloc/free, no log,
 * unlimited per-context accounting, 4 KiB pages).
 * -EINVAL: size too small, reserved not zero, bad page size, bad mode, or
 *          IOAS_ACCOUNT_USER without a user (or a user with another mode)
 * -E2BIG: unknown non-zero tail; -EOPNOTSUPP: unknown flag; -ENOMEM
 */
IOAS_EXPORT int ioas_ctx_create(const struct ioas_ctx_config *cfg,
				struct ioas_ctx **out) IOAS_WARN_UNUSED;

/* Drop the caller's reference. The context is freed when the last object
 * created in it is destroyed. Never fails. NULL is ignored. */
IOAS_EXPORT void ioas_ctx_destroy(struct ioas_ctx *ctx);

/* Host page size of the context, in bytes and as log2. */
IOAS_EXPORT uint64_t ioas_ctx_page_size(const struct ioas_ctx *ctx);

/* Bytes of memory this context has pinned and accounted. */
IOAS_EXPORT uint64_t ioas_ctx_locked_bytes(const struct ioas_ctx *ctx);

struct ioas_ctx_stats {
	uint64_t allocs;       /* successful allocations so far */
	uint64_t frees;        /* frees so far */
	uint64_t live_bytes;   /* bytes allocated and not yet freed */
	uint64_t failed;       /* allocations that failed (injected or not) */
};
IOAS_EXPORT void ioas_ctx_get_stats(const struct ioas_ctx *ctx,
				    struct ioas_ctx_stats *out);

/*
 * Fault injection for tests: the n-th allocation counted from this call
 * fails (n = 1 fails the next one); n = 0 turns injection off. The failure
 * is one-shot. ioas_ctx_fail_nth_fired() tells whether it has happened,
 * which is how a fail-nth sweep knows it has gone past the last allocation
 * of a scenario.
 */
IOAS_EXPORT void ioas_ctx_fail_nth(struct ioas_ctx *ctx, uint64_t n);
IOAS_EXPORT bool ioas_ctx_fail_nth_fired(const struct ioas_ctx *ctx);

/*
 * A shared accounting object: a limit in bytes (0 = unlimited) and the
 * bytes pinned by every context that names it. Reference counted; it is
 * safe to use one user from contexts on different threads (the counter is
 * atomic). -ENOMEM.
 */
IOAS_EXPORT int ioas_user_create(uint64_t limit_bytes, struct ioas_user **out)
	IOAS_WARN_UNUSED;
/* Drop the caller's reference; freed when no context holds it. */
IOAS_EXPORT void ioas_user_put(struct ioas_user *user);
IOAS_EXPORT uint64_t ioas_user_locked_bytes(const struct ioas_user *user);

#ifdef __cplusplus
}
#endif

#endif
