/* SPDX-License-Identifier: BSD-2-Clause */
#include "ctx.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ioas/version.h>

unsigned int ioas_version(void)
{
	return IOAS_VERSION;
}

const char *ioas_version_string(void)
{
	return IOAS_VERSION_STRING;
}

static void *default_alloc(size_t size, size_t align)
{
	void *p;

	if (align <= 16)
		return calloc(1, size);
	/* aligned_alloc wants a size that is a multiple of the alignment */
	size_t rounded = (size + align - 1) & ~(align - 1);
	if (rounded < size)
		return NULL;
	p = aligned_alloc(align, rounded);
	if (p)
		memset(p, 0, rounded);
	return p;
}

bool ctx_fail_countdown(struct ioas_ctx *ctx)
{
	uint64_t left = atomic_load(&ctx->fail_countdown);

	/* One-shot fault injection: the countdown reaching zero fails this
	 * allocation. The CAS keeps concurrent allocators from both firing. */
	while (left) {
		if (atomic_compare_exchange_weak(&ctx->fail_countdown, &left,
						 left - 1)) {
			if (left == 1) {
				atomic_store(&ctx->fail_fired, true);
				atomic_fetch_add(&ctx->failed, 1);
				return true;
			}
			break;
		}
	}
	return false;
}

void *ctx_alloc(struct ioas_ctx *ctx, size_t size, size_t align)
{
	void *p;

	if (ctx_fail_injected(ctx))
		return NULL;
	if (size == 0)
		size = 1;
	p = ctx->ops.alloc ? ctx->ops.alloc(ctx->opaque, size, align)
			   : default_alloc(size, align);
	if (!p) {
		atomic_fetch_add(&ctx->failed, 1);
		return NULL;
	}
	atomic_fetch_add(&ctx->allocs, 1);
	atomic_fetch_add(&ctx->live_bytes, size);
	return p;
}

void ctx_free(struct ioas_ctx *ctx, void *ptr, size_t size)
{
	if (!ptr)
		return;
	if (size == 0)
		size = 1;
	atomic_fetch_add(&ctx->frees, 1);
	atomic_fetch_sub(&ctx->live_bytes, size);
	if (ctx->ops.free)
		ctx->ops.free(ctx->opaque, ptr, size);
	else
		free(ptr);
}

void ctx_log(const struct ioas_ctx *ctx, enum ioas_log_level level,
	     const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	if (!ctx->ops.log || (uint32_t)level > ctx->log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	ctx->ops.log(ctx->opaque, level, buf);
}

int struct_copy_in(void *dst, size_t known, const void *src, uint32_t usize,
		   size_t min)
{
	if (usize < min)
		return -EINVAL;
	if (usize > known) {
		const unsigned char *tail = (const unsigned char *)src + known;
		for (size_t i = 0; i < usize - known; i++)
			if (tail[i])
				return -E2BIG;
	}
	memset(dst, 0, known);
	memcpy(dst, src, usize < known ? usize : known);
	return 0;
}

/* Version 1 of the config ends after log_level's neighbour `reserved`. */
#define CTX_CONFIG_MIN_SIZE (offsetof(struct ioas_ctx_config, reserved) + 4)

int ioas_ctx_create(const struct ioas_ctx_config *ucfg, struct ioas_ctx **out)
{
	struct ioas_ctx_config cfg;
	struct ioas_ctx *ctx;
	int ret;

	if (!out)
		return -EINVAL;
	if (ucfg) {
		ret = struct_copy_in(&cfg, sizeof(cfg), ucfg, ucfg->size,
				     CTX_CONFIG_MIN_SIZE);
		if (ret)
			return ret;
	} else {
		memset(&cfg, 0, sizeof(cfg));
	}
	if (cfg.flags)
		return -EOPNOTSUPP;
	if (cfg.reserved)
		return -EINVAL;
	if (cfg.page_size_lg2 == 0)
		cfg.page_size_lg2 = 12;
	if (cfg.page_size_lg2 < 12 || cfg.page_size_lg2 > 30)
		return -EINVAL;
	switch (cfg.account_mode) {
	case IOAS_ACCOUNT_CTX:
		if (cfg.user)
			return -EINVAL;
		break;
	case IOAS_ACCOUNT_USER:
		if (!cfg.user || cfg.locked_limit)
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}

	if (cfg.ops && cfg.ops->alloc)
		ctx = cfg.ops->alloc(cfg.opaque, sizeof(*ctx), 16);
	else
		ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return -ENOMEM;
	if (cfg.ops)
		ctx->ops = *cfg.ops;
	ctx->opaque = cfg.opaque;
	atomic_init(&ctx->refs, 1);
	ctx->page_lg2 = cfg.page_size_lg2;
	ctx->log_level = cfg.log_level;
	ctx->account_mode = cfg.account_mode;
	ctx->limit = cfg.locked_limit;
	ctx->user = cfg.user;
	if (ctx->user)
		atomic_fetch_add(&ctx->user->refs, 1);
	*out = ctx;
	return 0;
}

void ctx_get(struct ioas_ctx *ctx)
{
	atomic_fetch_add(&ctx->refs, 1);
}

void ctx_put(struct ioas_ctx *ctx)
{
	if (atomic_fetch_sub(&ctx->refs, 1) != 1)
		return;
	if (ctx->user)
		ioas_user_put(ctx->user);
	if (ctx->ops.free)
		ctx->ops.free(ctx->opaque, ctx, sizeof(*ctx));
	else
		free(ctx);
}

void ioas_ctx_destroy(struct ioas_ctx *ctx)
{
	if (ctx)
		ctx_put(ctx);
}

uint64_t ioas_ctx_page_size(const struct ioas_ctx *ctx)
{
	return 1ull << ctx->page_lg2;
}

uint64_t ioas_ctx_locked_bytes(const struct ioas_ctx *ctx)
{
	return atomic_load(&ctx->locked);
}

void ioas_ctx_get_stats(const struct ioas_ctx *ctx, struct ioas_ctx_stats *out)
{
	out->allocs = atomic_load(&ctx->allocs);
	out->frees = atomic_load(&ctx->frees);
	out->live_bytes = atomic_load(&ctx->live_bytes);
	out->failed = atomic_load(&ctx->failed);
}

void ioas_ctx_fail_nth(struct ioas_ctx *ctx, uint64_t n)
{
	atomic_store(&ctx->fail_fired, false);
	atomic_store(&ctx->fail_countdown, n);
}

bool ioas_ctx_fail_nth_fired(const struct ioas_ctx *ctx)
{
	return atomic_load(&ctx->fail_fired);
}

/* Add bytes to counter unless that passes limit (0 = unlimited). */
static int charge(_Atomic uint64_t *counter, uint64_t limit, uint64_t bytes)
{
	uint64_t cur = atomic_load(counter), next;

	do {
		if (__builtin_add_overflow(cur, bytes, &next))
			return -ENOMEM;
		if (limit && next > limit)
			return -ENOMEM;
	} while (!atomic_compare_exchange_weak(counter, &cur, next));
	return 0;
}

int ctx_account(struct ioas_ctx *ctx, uint64_t bytes)
{
	int ret;

	if (!bytes)
		return 0;
	if (ctx->user)
		ret = charge(&ctx->user->locked, ctx->user->limit, bytes);
	else
		ret = charge(&ctx->locked, ctx->limit, bytes);
	if (ret)
		return ret;
	if (ctx->user)
		atomic_fetch_add(&ctx->locked, bytes);
	return 0;
}

void ctx_unaccount(struct ioas_ctx *ctx, uint64_t bytes)
{
	if (ctx->user)
		atomic_fetch_sub(&ctx->user->locked, bytes);
	atomic_fetch_sub(&ctx->locked, bytes);
}

int ioas_user_create(uint64_t limit_bytes, struct ioas_user **out)
{
	struct ioas_user *user;

	if (!out)
		return -EINVAL;
	user = calloc(1, sizeof(*user));
	if (!user)
		return -ENOMEM;
	atomic_init(&user->refs, 1);
	user->limit = limit_bytes;
	*out = user;
	return 0;
}

void ioas_user_put(struct ioas_user *user)
{
	if (user && atomic_fetch_sub(&user->refs, 1) == 1)
		free(user);
}

uint64_t ioas_user_locked_bytes(const struct ioas_user *user)
{
	return atomic_load(&user->locked);
}
