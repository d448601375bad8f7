/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef IOAS_VERSION_H
#define IOAS_VERSION_H

#define IOAS_VERSION_MAJOR 0
#define IOAS_VERSION_MINOR 1
#define IOAS_VERSION_PATCH 0

/* One integer that orders releases: 0xMMmmpp. */
#define IOAS_VERSION_NUM(major, minor, patch) \
	(((major) << 16) | ((minor) << 8) | (patch))
#define IOAS_VERSION \
	IOAS_VERSION_NUM(IOAS_VERSION_MAJOR, IOAS_VERSION_MINOR, IOAS_VERSION_PATCH)

/* True when the headers in use are at least the given version. */
#define IOAS_VERSION_CHECK(major, minor, patch) \
	(IOAS_VERSION >= IOAS_VERSION_NUM(major, minor, patch))

#define IOAS_VERSION_STRING "0.1.0"

#endif
