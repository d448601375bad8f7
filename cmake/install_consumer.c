/* SPDX-License-Identifier: BSD-2-Clause */
/* Built against an installed ioas through pkg-config by the
 * install_and_consume test: headers, version check and a real call. */
#include <ioas/ioas.h>

#if !IOAS_VERSION_CHECK(0, 1, 0)
#error "IOAS_VERSION_CHECK"
#endif

int main(void)
{
	struct ioas_ctx *ctx;

	if (ioas_version() != IOAS_VERSION || ioas_ctx_create(NULL, &ctx))
		return 1;
	ioas_ctx_destroy(ctx);
	return 0;
}
