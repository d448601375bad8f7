/* SPDX-License-Identifier: BSD-2-Clause */
#include "json.h"

#include <inttypes.h>
#include <math.h>

void jw_init(struct jw *j, FILE *f)
{
	j->f = f;
	j->depth = 0;
	j->first[0] = true;
}

static void quoted(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch == '\n')
			fputs("\\n", f);
		else if (ch == '\t')
			fputs("\\t", f);
		else if (ch < 0x20)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

static void key(struct jw *j, const char *k)
{
	if (j->depth > 0) {
		if (!j->first[j->depth])
			fputc(',', j->f);
		j->first[j->depth] = false;
	}
	if (k) {
		quoted(j->f, k);
		fputc(':', j->f);
	}
}

static void jopen(struct jw *j, const char *k, char ch)
{
	key(j, k);
	fputc(ch, j->f);
	if (j->depth + 1 < JW_MAX_DEPTH)
		j->depth++;
	j->first[j->depth] = true;
}

void jw_obj(struct jw *j, const char *k)
{
	jopen(j, k, '{');
}

void jw_arr(struct jw *j, const char *k)
{
	jopen(j, k, '[');
}

static void close_(struct jw *j, char ch)
{
	fputc(ch, j->f);
	if (j->depth > 0)
		j->depth--;
	if (j->depth == 0) {
		fputc('\n', j->f);
		fflush(j->f);
	}
}

void jw_end(struct jw *j)
{
	close_(j, '}');
}

void jw_endarr(struct jw *j)
{
	close_(j, ']');
}

void jw_str(struct jw *j, const char *k, const char *v)
{
	key(j, k);
	quoted(j->f, v);
}

void jw_u64(struct jw *j, const char *k, uint64_t v)
{
	key(j, k);
	fprintf(j->f, "%" PRIu64, v);
}

void jw_i64(struct jw *j, const char *k, int64_t v)
{
	key(j, k);
	fprintf(j->f, "%" PRId64, v);
}

void jw_hex(struct jw *j, const char *k, uint64_t v)
{
	key(j, k);
	fprintf(j->f, "\"0x%" PRIx64 "\"", v);
}

void jw_bool(struct jw *j, const char *k, bool v)
{
	key(j, k);
	fputs(v ? "true" : "false", j->f);
}

void jw_dbl(struct jw *j, const char *k, double v)
{
	key(j, k);
	if (isfinite(v))
		fprintf(j->f, "%.6g", v);
	else
		fputs("null", j->f);
}

void jw_null(struct jw *j, const char *k)
{
	key(j, k);
	fputs("null", j->f);
}
