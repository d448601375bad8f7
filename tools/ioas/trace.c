/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * QEMU virtio-iommu trace reader: streaming input (plain or zstd) into one
 * large buffer, parsed in place line by line.
 */
#include "trace.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zstd.h>

/* ---- argument scanning ----------------------------------------------------- */

struct cur {
	const char *p, *end;
	bool bad;
};

static void lit(struct cur *c, const char *s, size_t n)
{
	if (c->bad || (size_t)(c->end - c->p) < n || memcmp(c->p, s, n)) {
		c->bad = true;
		return;
	}
	c->p += n;
}
#define LIT(c, s) lit((c), (s), sizeof(s) - 1)

static const signed char hexval[256] = {
	['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5, ['5'] = 6,
	['6'] = 7, ['7'] = 8, ['8'] = 9, ['9'] = 10, ['a'] = 11, ['b'] = 12,
	['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16, ['A'] = 11,
	['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
};

/* Hex digits without a prefix (1..16 of them). */
static uint64_t rawhex(struct cur *c)
{
	uint64_t v = 0;
	int n = 0;

	if (c->bad)
		return 0;
	while (c->p < c->end) {
		int d = hexval[(unsigned char)*c->p];
		if (!d)
			break;
		v = v << 4 | (uint64_t)(d - 1);
		c->p++;
		n++;
	}
	if (n == 0 || n > 16)
		c->bad = true;
	return v;
}

static uint64_t hex(struct cur *c)
{
	LIT(c, "0x");
	return rawhex(c);
}

/* %d (or %u): optional '-', decimal digits; the 32-bit value. */
static uint32_t dec(struct cur *c)
{
	bool neg = false;
	uint64_t v = 0;
	int n = 0;

	if (c->bad)
		return 0;
	if (c->p < c->end && *c->p == '-') {
		neg = true;
		c->p++;
	}
	while (c->p < c->end && *c->p >= '0' && *c->p <= '9' && n < 11) {
		v = v * 10 + (uint64_t)(*c->p - '0');
		c->p++;
		n++;
	}
	if (n == 0 || n > 10 || (neg ? v > 0x80000000u : v > 0xffffffffu))
		c->bad = true;
	return neg ? (uint32_t)(0 - (uint32_t)v) : (uint32_t)v;
}

/* ---- events ------------------------------------------------------------------ */

static const struct {
	const char *name;
	unsigned char len, type;
} events[] = {
#define E(n, t) { n, sizeof(n) - 1, t }
	E("translate", TEV_TRANSLATE),
	E("translate_out", TEV_TRANSLATE_OUT),
	E("map", TEV_MAP),
	E("unmap", TEV_UNMAP),
	E("unmap_done", TEV_UNMAP_DONE),
	E("attach", TEV_ATTACH),
	E("detach", TEV_DETACH),
	E("fill_resv_property", TEV_RESV),
	E("get_config", TEV_GET_CONFIG),
	E("set_config", TEV_SET_CONFIG),
	E("get_features", TEV_GET_FEATURES),
	E("device_status", TEV_DEVICE_STATUS),
	E("device_reset", TEV_DEVICE_RESET),
	E("system_reset", TEV_SYSTEM_RESET),
	E("switch_address_space", TEV_SWITCH_AS),
	E("get_endpoint", TEV_GET_ENDPOINT),
	E("put_endpoint", TEV_PUT_ENDPOINT),
	E("get_domain", TEV_GET_DOMAIN),
	E("put_domain", TEV_PUT_DOMAIN),
	E("report_fault", TEV_REPORT_FAULT),
	E("init_iommu_mr", TEV_INIT_MR),
#undef E
};

const char *tev_name(unsigned type)
{
	for (size_t i = 0; i < sizeof(events) / sizeof(events[0]); i++)
		if (events[i].type == type)
			return events[i].name;
	return type == TEV_OTHER ? "other" : "ignored";
}

#define PREFIX "virtio_iommu_"
#define PREFIX_LEN (sizeof(PREFIX) - 1)

int trace_parse_line(const char *p, const char *end, struct tev *ev)
{
	const char *name, *q;
	struct cur c;
	size_t len;
	unsigned type = TEV_OTHER;

	memset(ev, 0, sizeof(*ev));
	while (end > p && (end[-1] == '\r' || end[-1] == ' '))
		end--;
	/* "<tid>@<sec>.<usec>:" is optional (timestamps off). */
	if ((size_t)(end - p) < PREFIX_LEN)
		return 0;
	if (memcmp(p, PREFIX, PREFIX_LEN)) {
		const char *colon = memchr(p, ':', (size_t)(end - p));
		if (!colon || (size_t)(end - colon - 1) < PREFIX_LEN ||
		    memcmp(colon + 1, PREFIX, PREFIX_LEN))
			return 0;
		p = colon + 1;
	}
	name = p + PREFIX_LEN;
	q = memchr(name, ' ', (size_t)(end - name));
	if (!q)
		q = end;
	len = (size_t)(q - name);
	for (size_t i = 0; i < sizeof(events) / sizeof(events[0]); i++) {
		if (events[i].len == len && !memcmp(events[i].name, name, len)) {
			type = events[i].type;
			break;
		}
	}
	ev->type = (uint8_t)type;
	c.p = q < end ? q + 1 : end;
	c.end = end;
	c.bad = false;

	switch (type) {
	case TEV_TRANSLATE:
		LIT(&c, "mr=");
		if (!c.bad) {
			const char *sp = memchr(c.p, ' ', (size_t)(c.end - c.p));
			if (!sp)
				c.bad = true;
			else
				c.p = sp + 1;
		}
		LIT(&c, "rid=");
		ev->ep = dec(&c);
		LIT(&c, " addr=");
		ev->a = hex(&c);
		LIT(&c, " flag=");
		ev->flags = dec(&c);
		break;
	case TEV_TRANSLATE_OUT:
		ev->a = hex(&c);
		LIT(&c, " -> ");
		ev->b = hex(&c);
		LIT(&c, " for sid=");
		ev->ep = dec(&c);
		break;
	case TEV_MAP:
		LIT(&c, "domain=");
		ev->dom = dec(&c);
		LIT(&c, " virt_start=");
		ev->a = hex(&c);
		LIT(&c, " virt_end=");
		ev->b = hex(&c);
		LIT(&c, " phys_start=");
		ev->c = hex(&c);
		LIT(&c, " flags=");
		ev->flags = dec(&c);
		break;
	case TEV_UNMAP:
	case TEV_UNMAP_DONE:
		LIT(&c, "domain=");
		ev->dom = dec(&c);
		LIT(&c, " virt_start=");
		ev->a = hex(&c);
		LIT(&c, " virt_end=");
		ev->b = hex(&c);
		break;
	case TEV_ATTACH:
	case TEV_DETACH:
		LIT(&c, "domain=");
		ev->dom = dec(&c);
		LIT(&c, " endpoint=");
		ev->ep = dec(&c);
		break;
	case TEV_RESV:
		LIT(&c, "dev= ");
		ev->ep = dec(&c);
		LIT(&c, ", type=");
		ev->flags = dec(&c);
		LIT(&c, " start=");
		ev->a = hex(&c);
		LIT(&c, " end=");
		ev->b = hex(&c);
		break;
	case TEV_GET_CONFIG:
		LIT(&c, "page_size_mask=");
		ev->a = hex(&c);
		LIT(&c, " input range start=");
		ev->b = hex(&c);
		LIT(&c, " input range end=");
		ev->c = hex(&c);
		LIT(&c, " domain range start=");
		ev->dom = dec(&c);
		LIT(&c, " domain range end=");
		ev->ep = dec(&c);
		LIT(&c, " probe_size=");
		ev->flags = (uint32_t)hex(&c);
		LIT(&c, " bypass=");
		ev->extra = (uint32_t)hex(&c);
		break;
	case TEV_SET_CONFIG:
		LIT(&c, "bypass=");
		ev->extra = (uint32_t)hex(&c);
		break;
	case TEV_GET_FEATURES:
		LIT(&c, "device supports features=");
		ev->a = hex(&c);
		break;
	case TEV_DEVICE_STATUS:
		LIT(&c, "driver status = ");
		ev->flags = dec(&c);
		break;
	case TEV_SWITCH_AS: {
		uint64_t bus, dev, fn;
		LIT(&c, "Device ");
		bus = rawhex(&c);
		LIT(&c, ":");
		dev = rawhex(&c);
		LIT(&c, ".");
		fn = rawhex(&c);
		LIT(&c, " switching address space (iommu enabled=");
		ev->flags = dec(&c);
		if (bus > 0xff || dev > 0x1f || fn > 7)
			c.bad = true;
		ev->ep = (uint32_t)(bus << 8 | dev << 3 | fn);
		break;
	}
	case TEV_GET_ENDPOINT:
		LIT(&c, "Alloc endpoint=");
		ev->ep = dec(&c);
		break;
	case TEV_PUT_ENDPOINT:
		LIT(&c, "Free endpoint=");
		ev->ep = dec(&c);
		break;
	case TEV_GET_DOMAIN:
		LIT(&c, "Alloc domain=");
		ev->dom = dec(&c);
		break;
	case TEV_PUT_DOMAIN:
		LIT(&c, "Free domain=");
		ev->dom = dec(&c);
		break;
	case TEV_REPORT_FAULT:
		LIT(&c, "FAULT reason=");
		ev->flags = dec(&c);
		LIT(&c, " flags=");
		ev->extra = dec(&c);
		LIT(&c, " endpoint=");
		ev->ep = dec(&c);
		LIT(&c, " address =");
		ev->a = hex(&c);
		break;
	case TEV_INIT_MR: {
		const char *dash = end;
		LIT(&c, "init ");
		while (dash > c.p && dash[-1] != '-')
			dash--;
		if (!c.bad && dash > c.p) {
			c.p = dash;
			ev->ep = dec(&c);
		} else {
			c.bad = true;
		}
		break;
	}
	default:
		break;
	}
	return c.bad ? -EINVAL : 0;
}

/* ---- reader ------------------------------------------------------------------ */

/* Asynchronous mode: a reader thread decompresses and parses into a ring
 * of event batches that trace_next hands out. */
#define BATCH_EVENTS 4096
#define RING_BATCHES 8

struct batch {
	struct tev ev[BATCH_EVENTS];
	uint64_t line[BATCH_EVENTS];
	size_t n;
	int end;                  /* 0: more follow; 1: end; < 0: error */
};

struct trace_reader {
	/* async */
	bool async, started, stop;
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct batch *ring;
	uint64_t head, tail;      /* consumed / produced batches */
	struct batch *cur;
	size_t cur_i;
	_Atomic uint64_t consumed_pub;

	int fd;
	bool own_fd, zstd, in_eof, eof, frame_open;
	ZSTD_DCtx *z;
	unsigned char *in;
	size_t in_cap, in_pos, in_fill;
	char *buf;
	size_t cap, pos, fill;
	uint64_t line, consumed, total;
	char err[320];
};

static ssize_t read_full(int fd, void *p, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = read(fd, (char *)p + got, n - got);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

static int fill_in(struct trace_reader *r)
{
	ssize_t n;

	if (r->in_pos < r->in_fill || r->in_eof)
		return 0;
	n = read_full(r->fd, r->in, r->in_cap);
	if (n < 0) {
		snprintf(r->err, sizeof(r->err), "read: %s", strerror(errno));
		return -EIO;
	}
	r->in_pos = 0;
	r->in_fill = (size_t)n;
	r->consumed += (uint64_t)n;
	atomic_store_explicit(&r->consumed_pub, r->consumed,
			      memory_order_relaxed);
	if (n == 0)
		r->in_eof = true;
	return 0;
}

int trace_open(const char *path, size_t buf_size, struct trace_reader **out)
{
	struct trace_reader *r = calloc(1, sizeof(*r));
	struct stat st;
	int ret;

	if (!r)
		return -ENOMEM;
	if (!strcmp(path, "-")) {
		r->fd = 0;
	} else {
		r->fd = open(path, O_RDONLY | O_CLOEXEC);
		if (r->fd < 0) {
			ret = -errno;
			free(r);
			return ret;
		}
		r->own_fd = true;
	}
	if (!fstat(r->fd, &st) && S_ISREG(st.st_mode))
		r->total = (uint64_t)st.st_size;
	r->cap = buf_size ? buf_size : (size_t)4 << 20;
	r->in_cap = buf_size ? buf_size : ZSTD_DStreamInSize() * 4;
	if (r->cap < 16)
		r->cap = 16;
	if (r->in_cap < 16)
		r->in_cap = 16;
	r->buf = malloc(r->cap);
	r->in = malloc(r->in_cap);
	if (!r->buf || !r->in) {
		trace_close(r);
		return -ENOMEM;
	}
	ret = fill_in(r);
	if (ret) {
		trace_close(r);
		return ret;
	}
	if (r->in_fill >= 4 && r->in[0] == 0x28 && r->in[1] == 0xb5 &&
	    r->in[2] == 0x2f && r->in[3] == 0xfd) {
		r->zstd = true;
		r->z = ZSTD_createDCtx();
		if (!r->z) {
			trace_close(r);
			return -ENOMEM;
		}
	}
	*out = r;
	return 0;
}

void trace_close(struct trace_reader *r)
{
	if (!r)
		return;
	if (r->started) {
		pthread_mutex_lock(&r->mu);
		r->stop = true;
		pthread_cond_broadcast(&r->cv);
		pthread_mutex_unlock(&r->mu);
		pthread_join(r->th, NULL);
	}
	if (r->async) {
		pthread_mutex_destroy(&r->mu);
		pthread_cond_destroy(&r->cv);
	}
	free(r->ring);
	if (r->own_fd)
		close(r->fd);
	ZSTD_freeDCtx(r->z);
	free(r->in);
	free(r->buf);
	free(r);
}

const char *trace_error(const struct trace_reader *r)
{
	return r->err;
}

void trace_progress(const struct trace_reader *r, uint64_t *done,
		    uint64_t *total)
{
	*done = atomic_load_explicit(&r->consumed_pub, memory_order_relaxed);
	*total = r->total;
}

int trace_is_zstd(const struct trace_reader *r)
{
	return r->zstd;
}

/* Move the unparsed tail to the front and add input after it. */
static int refill(struct trace_reader *r)
{
	size_t before;
	int ret;

	if (r->pos) {
		memmove(r->buf, r->buf + r->pos, r->fill - r->pos);
		r->fill -= r->pos;
		r->pos = 0;
	}
	if (r->fill == r->cap) { /* a line longer than the buffer */
		char *nb = realloc(r->buf, r->cap * 2);
		if (!nb)
			return -ENOMEM;
		r->buf = nb;
		r->cap *= 2;
	}
	before = r->fill;
	while (r->fill == before && !r->eof) {
		if (!r->zstd) {
			/* Plain: the first input chunk, then read directly. */
			if (r->in_pos < r->in_fill) {
				size_t n = r->in_fill - r->in_pos;
				if (n > r->cap - r->fill)
					n = r->cap - r->fill;
				memcpy(r->buf + r->fill, r->in + r->in_pos, n);
				r->in_pos += n;
				r->fill += n;
				continue;
			}
			if (r->in_eof) {
				r->eof = true;
				break;
			}
			ssize_t n = read_full(r->fd, r->buf + r->fill,
					      r->cap - r->fill);
			if (n < 0) {
				snprintf(r->err, sizeof(r->err), "read: %s",
					 strerror(errno));
				return -EIO;
			}
			r->consumed += (uint64_t)n;
			atomic_store_explicit(&r->consumed_pub, r->consumed,
					      memory_order_relaxed);
			r->fill += (size_t)n;
			if (n == 0)
				r->eof = r->in_eof = true;
			continue;
		}
		ret = fill_in(r);
		if (ret)
			return ret;
		if (r->in_pos == r->in_fill && r->in_eof) {
			if (r->frame_open) {
				snprintf(r->err, sizeof(r->err),
					 "truncated zstd stream");
				return -EIO;
			}
			r->eof = true;
			break;
		}
		ZSTD_outBuffer ob = { r->buf, r->cap, r->fill };
		ZSTD_inBuffer ib = { r->in, r->in_fill, r->in_pos };
		size_t zr = ZSTD_decompressStream(r->z, &ob, &ib);
		if (ZSTD_isError(zr)) {
			snprintf(r->err, sizeof(r->err), "zstd: %s",
				 ZSTD_getErrorName(zr));
			return -EIO;
		}
		r->frame_open = zr != 0;
		r->in_pos = ib.pos;
		r->fill = ob.pos;
	}
	return 0;
}

static int next_sync(struct trace_reader *r, struct tev *ev, uint64_t *lineno)
{
	for (;;) {
		char *s = r->buf + r->pos, *e = s;
		size_t avail = r->fill - r->pos;
		char *nl = avail ? memchr(s, '\n', avail) : NULL;
		int ret;

		if (nl) {
			e = nl;
			r->pos = (size_t)(nl - r->buf) + 1;
		} else if (r->eof) {
			if (!avail)
				return 0;
			e = s + avail;
			r->pos = r->fill;
		} else {
			ret = refill(r);
			if (ret)
				return ret;
			continue;
		}
		r->line++;
		ret = trace_parse_line(s, e, ev);
		if (ret) {
			int n = (int)(e - s);
			snprintf(r->err, sizeof(r->err),
				 "line %llu: malformed %s event: %.*s",
				 (unsigned long long)r->line, tev_name(ev->type),
				 n > 200 ? 200 : n, s);
			return ret;
		}
		if (ev->type == TEV_IGNORED)
			continue;
		if (lineno)
			*lineno = r->line;
		return 1;
	}
}

static void *reader_thread(void *arg)
{
	struct trace_reader *r = arg;

	for (;;) {
		struct batch *b;
		int ret = 0;

		pthread_mutex_lock(&r->mu);
		while (!r->stop && r->tail - r->head >= RING_BATCHES)
			pthread_cond_wait(&r->cv, &r->mu);
		if (r->stop) {
			pthread_mutex_unlock(&r->mu);
			return NULL;
		}
		b = &r->ring[r->tail % RING_BATCHES];
		pthread_mutex_unlock(&r->mu);

		b->n = 0;
		b->end = 0;
		while (b->n < BATCH_EVENTS) {
			ret = next_sync(r, &b->ev[b->n], &b->line[b->n]);
			if (ret <= 0)
				break;
			b->n++;
		}
		if (ret <= 0)
			b->end = ret < 0 ? ret : 1;
		pthread_mutex_lock(&r->mu);
		r->tail++;
		pthread_cond_broadcast(&r->cv);
		pthread_mutex_unlock(&r->mu);
		if (b->end)
			return NULL;
	}
}

int trace_start_async(struct trace_reader *r)
{
	if (r->async)
		return 0;
	r->ring = calloc(RING_BATCHES, sizeof(*r->ring));
	if (!r->ring)
		return -ENOMEM;
	if (pthread_mutex_init(&r->mu, NULL)) {
		free(r->ring);
		r->ring = NULL;
		return -ENOMEM;
	}
	if (pthread_cond_init(&r->cv, NULL)) {
		pthread_mutex_destroy(&r->mu);
		free(r->ring);
		r->ring = NULL;
		return -ENOMEM;
	}
	r->async = true;
	if (pthread_create(&r->th, NULL, reader_thread, r))
		return 0; /* no thread: trace_next reads synchronously */
	r->started = true;
	return 0;
}

int trace_next(struct trace_reader *r, struct tev *ev, uint64_t *lineno)
{
	if (!r->started)
		return next_sync(r, ev, lineno);
	for (;;) {
		if (r->cur && r->cur_i < r->cur->n) {
			*ev = r->cur->ev[r->cur_i];
			if (lineno)
				*lineno = r->cur->line[r->cur_i];
			r->cur_i++;
			return 1;
		}
		if (r->cur) {
			if (r->cur->end)
				return r->cur->end < 0 ? r->cur->end : 0;
			pthread_mutex_lock(&r->mu);
			r->head++;
			pthread_cond_broadcast(&r->cv);
			pthread_mutex_unlock(&r->mu);
			r->cur = NULL;
		}
		pthread_mutex_lock(&r->mu);
		while (r->tail == r->head)
			pthread_cond_wait(&r->cv, &r->mu);
		r->cur = &r->ring[r->head % RING_BATCHES];
		pthread_mutex_unlock(&r->mu);
		r->cur_i = 0;
	}
}
