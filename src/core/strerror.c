/* SPDX-License-Identifier: BSD-2-Clause */
/* The meaning of each errno in ioas, as docs/ARCHITECTURE.md tables it. */
#include <errno.h>

#include <ioas/base.h>

const char *ioas_strerror(int err)
{
	switch (err) {
	case 0: return "success";
	case -EINVAL: return "invalid argument (alignment, range, reserved field or state)";
	case -EOVERFLOW: return "address arithmetic overflows";
	case -EEXIST: return "overlaps an existing object";
	case -ENOENT: return "no such object, or a range that does not cover whole mappings";
	case -EBUSY: return "in use";
	case -ENOMEM: return "out of memory or over the locked-memory limit";
	case -ENOSPC: return "no free IOVA space or no window left";
	case -EPERM: return "permission denied (read-only memory or incompatible group)";
	case -EADDRINUSE: return "conflicts with a reserved or allowed range";
	case -EMSGSIZE: return "output array too small";
	case -EFAULT: return "address does not resolve to memory";
	case -EACCES: return "access not permitted";
	case -EOPNOTSUPP: return "unsupported flag or feature";
	case -E2BIG: return "unknown non-zero fields in a larger struct";
	case -EXDEV: return "objects belong to different registries";
	case -ERANGE: return "value out of the supported range";
	default: return "unknown error";
	}
}
