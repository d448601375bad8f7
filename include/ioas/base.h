/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Conventions shared by every ioas header.
 *
 * Ranges: every range is [start, last] with `last` inclusive, so the top of
 * the 64-bit space is representable. "end" (exclusive) is never used in the
 * API.
 *
 * Errors: every call that can fail returns 0 (or a count) on success and a
 * negative errno on failure. A failed call changes no state. Destroy and
 * unmap-style calls return void or cannot fail for valid arguments.
 *
 * Size-prefixed structs: parameter structs begin with `uint32_t size` (set
 * to sizeof the struct the caller compiled against) and `uint32_t flags`.
 *   size smaller than the first published version  -> -EINVAL
 *   size larger than this library knows, with any non-zero byte in the
 *   unknown tail                                     -> -E2BIG
 *   a flag this library does not know                -> -EOPNOTSUPP
 *   a reserved field that is not zero                -> -EINVAL
 */
#ifndef IOAS_BASE_H
#define IOAS_BASE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(IOAS_BUILDING) && defined(__GNUC__)
#define IOAS_EXPORT __attribute__((visibility("default")))
#else
#define IOAS_EXPORT
#endif

#if defined(__GNUC__)
#define IOAS_WARN_UNUSED __attribute__((warn_unused_result))
#else
#define IOAS_WARN_UNUSED
#endif

/* An inclusive range of addresses or numbers. */
struct ioas_range {
	uint64_t start;
	uint64_t last;
};

/* Access permissions of a mapping or of a DMA access. */
enum ioas_prot {
	IOAS_PROT_READ = 1u << 0,  /* the device may read memory */
	IOAS_PROT_WRITE = 1u << 1, /* the device may write memory */
	IOAS_PROT_EXEC = 1u << 2,  /* instruction fetch (formats that have it) */
	IOAS_PROT_PRIV = 1u << 3,  /* privileged (supervisor) access only */
	IOAS_PROT_MMIO = 1u << 4,  /* the target is device memory, not RAM */
};

/* The library's version at run time, as IOAS_VERSION (0xMMmmpp). */
IOAS_EXPORT unsigned int ioas_version(void);
/* The library's version at run time, as "MAJOR.MINOR.PATCH". */
IOAS_EXPORT const char *ioas_version_string(void);

/* A short English description of a negative errno returned by ioas. */
IOAS_EXPORT const char *ioas_strerror(int err);

#ifdef __cplusplus
}
#endif

#endif
