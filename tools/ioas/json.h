/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A tiny streaming JSON writer for the CLI's output: one object per line
 * (nesting allowed). Keys are NULL inside arrays. Addresses are written as
 * hex strings ("0x1000") so 64-bit values survive any JSON reader.
 */
#ifndef IOAS_TOOLS_JSON_H
#define IOAS_TOOLS_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define JW_MAX_DEPTH 16

struct jw {
	FILE *f;
	int depth;
	bool first[JW_MAX_DEPTH];
	bool pretty;              /* newline after the outermost object */
};

void jw_init(struct jw *j, FILE *f);
void jw_obj(struct jw *j, const char *key);   /* { */
void jw_arr(struct jw *j, const char *key);   /* [ */
void jw_end(struct jw *j);                    /* } or ]; "\n" at depth 0 */
void jw_endarr(struct jw *j);
void jw_str(struct jw *j, const char *key, const char *v);
void jw_u64(struct jw *j, const char *key, uint64_t v);
void jw_i64(struct jw *j, const char *key, int64_t v);
void jw_hex(struct jw *j, const char *key, uint64_t v);
void jw_bool(struct jw *j, const char *key, bool v);
void jw_dbl(struct jw *j, const char *key, double v);
void jw_null(struct jw *j, const char *key);

#endif
