/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * `ioas run SCRIPT|-`: a line-based script driving a virtio-iommu device
 * through real request bytes on its request queue; one JSON object per
 * operation on stdout, fault records as {"event":"fault",...} when they
 * arrive on the event queue.
 *
 *   device [features=+NAME,-NAME...] [page-size-mask=N] [input-range=A-B]
 *          [domain-range=A-B] [probe-size=N] [bypass=0|1] [format=F]
 *   ram GPA SIZE
 *   endpoint ID [resv=A-B]... [msi=A-B]
 *   attach domain=D endpoint=E [flags=bypass]
 *   detach domain=D endpoint=E
 *   map domain=D virt=A-B phys=P flags=r,w,mmio
 *   unmap domain=D virt=A-B
 *   probe endpoint=E
 *   raw HEX [writable=N]
 *   dma endpoint=E iova=A len=N access=r|w|rw
 *   config bypass=0|1
 *   reset
 *
 * Numbers are decimal or 0x-prefixed hex; ranges are start-last inclusive;
 * '#' starts a comment. A line that does not parse stops the script with
 * its line number (exit 2); an operation the library refuses prints an
 * "error" member and makes the exit status 1; request statuses ("RANGE",
 * "NOENT"...) are results, not errors.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "json.h"
#include "vdev.h"
#include "virtio/viommu_driver.h"

#define MAX_ARGS 32
#define MAX_RESV 64

struct run {
	const char *name;
	unsigned line;
	struct jw j;
	struct ioas_viommu_config cfg;
	struct vdev *d;
	int errors;
	char msg[256];
};

struct arg {
	char *key, *val;          /* val NULL for a bare word */
	bool used;
};

static int bad(struct run *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int bad(struct run *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->msg, sizeof(r->msg), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static bool num(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	int base = 10, n = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	for (; *s; s++, n++) {
		int d;
		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (base == 16 && isxdigit((unsigned char)*s))
			d = tolower((unsigned char)*s) - 'a' + 10;
		else
			return false;
		if (v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base)
			return false;
		v = v * (uint64_t)base + (uint64_t)d;
	}
	*out = v;
	return n > 0;
}

static int get_num(struct run *r, const char *key, const char *s,
		   uint64_t max, uint64_t *out)
{
	if (!s || !num(s, out))
		return bad(r, "%s: expected a number, got '%s'", key,
			   s ? s : "");
	if (*out > max)
		return bad(r, "%s: %s is out of range (max 0x%" PRIx64 ")", key,
			   s, max);
	return 0;
}

static int get_range(struct run *r, const char *key, const char *s,
		     struct ioas_range *out)
{
	char buf[64];
	const char *dash;

	if (!s || !(dash = strchr(s, '-')) || (size_t)(dash - s) >= sizeof(buf))
		return bad(r, "%s: expected a range START-LAST, got '%s'", key,
			   s ? s : "");
	memcpy(buf, s, (size_t)(dash - s));
	buf[dash - s] = 0;
	if (!num(buf, &out->start) || !num(dash + 1, &out->last))
		return bad(r, "%s: expected a range START-LAST, got '%s'", key,
			   s);
	if (out->start > out->last)
		return bad(r, "%s: start is above last in '%s'", key, s);
	return 0;
}

static struct arg *find(struct arg *a, int n, const char *key)
{
	for (int i = 0; i < n; i++)
		if (a[i].val && !strcmp(a[i].key, key)) {
			a[i].used = true;
			return &a[i];
		}
	return NULL;
}

static int need_num(struct run *r, struct arg *a, int n, const char *key,
		    uint64_t max, uint64_t *out)
{
	struct arg *x = find(a, n, key);

	if (!x)
		return bad(r, "missing %s=", key);
	return get_num(r, key, x->val, max, out);
}

static int need_range(struct run *r, struct arg *a, int n, const char *key,
		      struct ioas_range *out)
{
	struct arg *x = find(a, n, key);

	if (!x)
		return bad(r, "missing %s=", key);
	return get_range(r, key, x->val, out);
}

/* Every argument must have been consumed. */
static int leftovers(struct run *r, struct arg *a, int n)
{
	for (int i = 0; i < n; i++)
		if (!a[i].used)
			return bad(r, "unexpected argument '%s%s%s'", a[i].key,
				   a[i].val ? "=" : "", a[i].val ? a[i].val : "");
	return 0;
}

static void begin(struct run *r, const char *op)
{
	jw_obj(&r->j, NULL);
	jw_u64(&r->j, "line", r->line);
	jw_str(&r->j, "op", op);
}

static void lib_error(struct run *r, int err)
{
	jw_str(&r->j, "error", ioas_strerror(err));
	r->errors++;
}

static void status_out(struct run *r, int ret, uint8_t status, uint32_t used)
{
	const char *n;

	if (ret) {
		lib_error(r, ret);
		return;
	}
	n = vdev_status_name(status);
	if (n)
		jw_str(&r->j, "status", n);
	else
		jw_null(&r->j, "status");
	jw_u64(&r->j, "used", used);
}

static void fault_out(void *opaque, const struct vdev_fault *f)
{
	struct run *r = opaque;

	jw_obj(&r->j, NULL);
	jw_str(&r->j, "event", "fault");
	jw_str(&r->j, "reason", vdev_fault_reason_name(f->reason));
	jw_arr(&r->j, "flags");
	if (f->flags & VIOMMU_FAULT_F_READ)
		jw_str(&r->j, NULL, "read");
	if (f->flags & VIOMMU_FAULT_F_WRITE)
		jw_str(&r->j, NULL, "write");
	if (f->flags & VIOMMU_FAULT_F_EXEC)
		jw_str(&r->j, NULL, "exec");
	if (f->flags & VIOMMU_FAULT_F_ADDRESS)
		jw_str(&r->j, NULL, "address");
	jw_endarr(&r->j);
	jw_u64(&r->j, "endpoint", f->endpoint);
	jw_hex(&r->j, "address", f->address);
	jw_u64(&r->j, "used", f->len);
	jw_end(&r->j);
}

static const struct {
	const char *name;
	uint64_t bit;
} feature_names[] = {
	{ "INPUT_RANGE", IOAS_VIOMMU_F_INPUT_RANGE },
	{ "DOMAIN_RANGE", IOAS_VIOMMU_F_DOMAIN_RANGE },
	{ "MAP_UNMAP", IOAS_VIOMMU_F_MAP_UNMAP },
	{ "BYPASS", IOAS_VIOMMU_F_BYPASS },
	{ "PROBE", IOAS_VIOMMU_F_PROBE },
	{ "MMIO", IOAS_VIOMMU_F_MMIO },
	{ "BYPASS_CONFIG", IOAS_VIOMMU_F_BYPASS_CONFIG },
	{ "EVENT_IDX", IOAS_VIRTIO_F_EVENT_IDX },
	{ "INDIRECT_DESC", IOAS_VIRTIO_F_INDIRECT_DESC },
};

static int feature_bit(const char *s, size_t n, uint64_t *bit)
{
	char up[32];

	if (n >= sizeof(up))
		return -1;
	for (size_t i = 0; i < n; i++)
		up[i] = s[i] == '-' ? '_' : (char)toupper((unsigned char)s[i]);
	up[n] = 0;
	for (size_t i = 0; i < sizeof(feature_names) / sizeof(feature_names[0]);
	     i++)
		if (!strcmp(up, feature_names[i].name)) {
			*bit = feature_names[i].bit;
			return 0;
		}
	return -1;
}

#define DEFAULT_FEATURES                                                    \
	(IOAS_VIOMMU_F_INPUT_RANGE | IOAS_VIOMMU_F_DOMAIN_RANGE |           \
	 IOAS_VIOMMU_F_MAP_UNMAP | IOAS_VIOMMU_F_PROBE | IOAS_VIOMMU_F_MMIO | \
	 IOAS_VIOMMU_F_BYPASS_CONFIG | IOAS_VIRTIO_F_VERSION_1 |             \
	 IOAS_VIRTIO_F_EVENT_IDX | IOAS_VIRTIO_F_INDIRECT_DESC)

static int op_device(struct run *r, struct arg *a, int n)
{
	struct arg *x;
	struct ioas_range rg;
	uint64_t v, feat = DEFAULT_FEATURES;
	int ret;

	if (r->d)
		return bad(r, "'device' must come before any other operation");
	if ((x = find(a, n, "features"))) {
		const char *s = x->val;
		while (*s) {
			const char *e = strchr(s, ',');
			size_t len = e ? (size_t)(e - s) : strlen(s);
			bool add = *s != '-';
			uint64_t bit;

			if (*s == '+' || *s == '-') {
				s++;
				len--;
			}
			if (feature_bit(s, len, &bit))
				return bad(r, "features: unknown feature "
					   "'%.*s'", (int)len, s);
			feat = add ? feat | bit : feat & ~bit;
			s += len;
			if (*s == ',')
				s++;
		}
	}
	r->cfg.features = feat;
	if ((x = find(a, n, "page-size-mask"))) {
		if ((ret = get_num(r, "page-size-mask", x->val, UINT64_MAX, &v)))
			return ret;
		r->cfg.page_size_mask = v;
	}
	if ((x = find(a, n, "input-range"))) {
		if ((ret = get_range(r, "input-range", x->val, &rg)))
			return ret;
		r->cfg.input_range = rg;
	}
	if ((x = find(a, n, "domain-range"))) {
		if ((ret = get_range(r, "domain-range", x->val, &rg)))
			return ret;
		if (rg.last > UINT32_MAX)
			return bad(r, "domain-range: above 0xffffffff");
		r->cfg.domain_start = (uint32_t)rg.start;
		r->cfg.domain_last = (uint32_t)rg.last;
	}
	if ((x = find(a, n, "probe-size"))) {
		if ((ret = get_num(r, "probe-size", x->val, 1u << 16, &v)))
			return ret;
		r->cfg.probe_size = (uint32_t)v;
	}
	if ((x = find(a, n, "bypass"))) {
		if ((ret = get_num(r, "bypass", x->val, 1, &v)))
			return ret;
		r->cfg.bypass = (uint32_t)v;
	}
	if ((x = find(a, n, "format"))) {
		int f = cli_domain_format(x->val);
		if (f < 0)
			return bad(r, "format: unknown domain format '%s'",
				   x->val);
		r->cfg.domain_format = (uint32_t)f;
	}
	if ((ret = leftovers(r, a, n)))
		return ret;
	begin(r, "device");
	ret = vdev_create(&r->cfg, &r->d);
	if (ret) {
		lib_error(r, ret);
	} else {
		uint8_t c[VIOMMU_CFG_SIZE];
		jw_hex(&r->j, "features", ioas_viommu_features(vdev_dev(r->d)));
		if (!ioas_viommu_config_read(vdev_dev(r->d), 0, c, sizeof(c))) {
			uint64_t psm = 0;
			for (int i = 7; i >= 0; i--)
				psm = psm << 8 | c[i];
			jw_hex(&r->j, "page_size_mask", psm);
			jw_u64(&r->j, "probe_size",
			       c[32] | (uint32_t)c[33] << 8 |
				       (uint32_t)c[34] << 16 |
				       (uint32_t)c[35] << 24);
			jw_u64(&r->j, "bypass", c[36]);
		}
	}
	jw_end(&r->j);
	return 0;
}

/* The device with the defaults, on the first operation that needs one. */
static int ensure(struct run *r)
{
	int ret;

	if (r->d)
		return 0;
	r->cfg.features = DEFAULT_FEATURES;
	ret = vdev_create(&r->cfg, &r->d);
	if (ret) {
		fprintf(stderr, "ioas run: cannot create the device: %s\n",
			ioas_strerror(ret));
		return ret;
	}
	return 0;
}

static int op_ram(struct run *r, struct arg *a, int n)
{
	struct ioas_phys_region reg = { .size = sizeof(reg),
					.kind = IOAS_PHYS_RAM };
	uint64_t gpa, size;
	int ret;

	if (n != 2 || a[0].val || a[1].val)
		return bad(r, "usage: ram GPA SIZE");
	if ((ret = get_num(r, "GPA", a[0].key, UINT64_MAX, &gpa)) ||
	    (ret = get_num(r, "SIZE", a[1].key, UINT64_MAX, &size)))
		return ret;
	if ((ret = ensure(r)))
		return ret;
	reg.base = gpa;
	reg.length = size;
	begin(r, "ram");
	jw_hex(&r->j, "gpa", gpa);
	jw_hex(&r->j, "size", size);
	ret = ioas_phys_add(vdev_phys(r->d), &reg);
	if (ret)
		lib_error(r, ret);
	jw_end(&r->j);
	return 0;
}

static int op_endpoint(struct run *r, struct arg *a, int n)
{
	struct ioas_viommu_resv resv[MAX_RESV];
	uint64_t id;
	int nr = 0, ret;

	if (n < 1 || a[0].val)
		return bad(r, "usage: endpoint ID [resv=A-B]... [msi=A-B]...");
	if ((ret = get_num(r, "ID", a[0].key, UINT32_MAX, &id)))
		return ret;
	for (int i = 1; i < n; i++) {
		bool msi = a[i].val && !strcmp(a[i].key, "msi");
		if (!a[i].val || (!msi && strcmp(a[i].key, "resv")))
			return bad(r, "endpoint: unexpected argument '%s'",
				   a[i].key);
		if (nr == MAX_RESV)
			return bad(r, "endpoint: more than %d regions",
				   MAX_RESV);
		memset(&resv[nr], 0, sizeof(resv[nr]));
		resv[nr].type = msi ? IOAS_VIOMMU_RESV_MSI
				    : IOAS_VIOMMU_RESV_RESERVED;
		if ((ret = get_range(r, a[i].key, a[i].val, &resv[nr].range)))
			return ret;
		nr++;
	}
	if ((ret = ensure(r)))
		return ret;
	begin(r, "endpoint");
	jw_u64(&r->j, "endpoint", id);
	jw_u64(&r->j, "regions", (uint64_t)nr);
	ret = ioas_viommu_endpoint_add(vdev_dev(r->d), (uint32_t)id, resv,
				       (size_t)nr);
	if (ret)
		lib_error(r, ret);
	jw_end(&r->j);
	return 0;
}

static int op_attach_detach(struct run *r, struct arg *a, int n, bool attach)
{
	uint64_t dom, ep, fl;
	uint32_t flags = 0;
	uint8_t status = 0;
	struct arg *x;
	int ret;

	if ((ret = need_num(r, a, n, "domain", UINT32_MAX, &dom)) ||
	    (ret = need_num(r, a, n, "endpoint", UINT32_MAX, &ep)))
		return ret;
	if (attach && (x = find(a, n, "flags"))) {
		/* "bypass", or a number (reserved bits, for tests) */
		if (!strcmp(x->val, "bypass"))
			flags = VIRTIO_IOMMU_ATTACH_F_BYPASS;
		else if (num(x->val, &fl) && fl <= UINT32_MAX)
			flags = (uint32_t)fl;
		else
			return bad(r, "flags: expected 'bypass' or a number, "
				   "got '%s'", x->val);
	}
	if ((ret = leftovers(r, a, n)) || (ret = ensure(r)))
		return ret;
	ret = attach ? vdev_attach(r->d, (uint32_t)dom, (uint32_t)ep, flags,
				   &status)
		     : vdev_detach(r->d, (uint32_t)dom, (uint32_t)ep, &status);
	begin(r, attach ? "attach" : "detach");
	jw_u64(&r->j, "domain", dom);
	jw_u64(&r->j, "endpoint", ep);
	if (flags)
		jw_u64(&r->j, "flags", flags);
	status_out(r, ret, status, ret ? 0 : 4);
	jw_end(&r->j);
	return 0;
}

static int op_map(struct run *r, struct arg *a, int n)
{
	struct ioas_range virt;
	uint64_t dom, phys;
	uint32_t flags = 0;
	uint8_t status = 0;
	struct arg *x;
	int ret;

	if ((ret = need_num(r, a, n, "domain", UINT32_MAX, &dom)) ||
	    (ret = need_range(r, a, n, "virt", &virt)) ||
	    (ret = need_num(r, a, n, "phys", UINT64_MAX, &phys)))
		return ret;
	if (!(x = find(a, n, "flags")))
		return bad(r, "missing flags= (r, w, mmio, comma-separated)");
	for (const char *s = x->val; *s;) {
		size_t len = strcspn(s, ",");
		if (len == 1 && *s == 'r')
			flags |= VIOMMU_MAP_F_READ;
		else if (len == 1 && *s == 'w')
			flags |= VIOMMU_MAP_F_WRITE;
		else if (len == 2 && !strncmp(s, "rw", 2))
			flags |= VIOMMU_MAP_F_READ | VIOMMU_MAP_F_WRITE;
		else if (len == 4 && !strncmp(s, "mmio", 4))
			flags |= VIOMMU_MAP_F_MMIO;
		else if (len == 4 && !strncmp(s, "none", 4))
			;
		else
			return bad(r, "flags: unknown flag '%.*s' (r, w, mmio)",
				   (int)len, s);
		s += len;
		if (*s == ',')
			s++;
	}
	if ((ret = leftovers(r, a, n)) || (ret = ensure(r)))
		return ret;
	ret = vdev_map(r->d, (uint32_t)dom, virt.start, virt.last, phys, flags,
		       &status);
	begin(r, "map");
	jw_u64(&r->j, "domain", dom);
	jw_hex(&r->j, "virt_start", virt.start);
	jw_hex(&r->j, "virt_last", virt.last);
	jw_hex(&r->j, "phys", phys);
	jw_u64(&r->j, "flags", flags);
	status_out(r, ret, status, ret ? 0 : 4);
	jw_end(&r->j);
	return 0;
}

static int op_unmap(struct run *r, struct arg *a, int n)
{
	struct ioas_range virt;
	uint64_t dom;
	uint8_t status = 0;
	int ret;

	if ((ret = need_num(r, a, n, "domain", UINT32_MAX, &dom)) ||
	    (ret = need_range(r, a, n, "virt", &virt)) ||
	    (ret = leftovers(r, a, n)) || (ret = ensure(r)))
		return ret;
	ret = vdev_unmap(r->d, (uint32_t)dom, virt.start, virt.last, &status);
	begin(r, "unmap");
	jw_u64(&r->j, "domain", dom);
	jw_hex(&r->j, "virt_start", virt.start);
	jw_hex(&r->j, "virt_last", virt.last);
	status_out(r, ret, status, ret ? 0 : 4);
	jw_end(&r->j);
	return 0;
}

static void props_out(struct run *r, const uint8_t *p, uint32_t size)
{
	static const char *const sub[] = { "RESERVED", "MSI" };
	uint32_t off = 0;

	jw_arr(&r->j, "properties");
	while (off + 4 <= size) {
		uint16_t type = (uint16_t)((p[off] | p[off + 1] << 8) & 0xfff);
		uint16_t len = (uint16_t)(p[off + 2] | p[off + 3] << 8);
		uint64_t s = 0, l = 0;

		if (!type)
			break;
		jw_obj(&r->j, NULL);
		if (type == VIOMMU_PROBE_T_RESV_MEM && len >= 20 &&
		    off + 24 <= size) {
			for (int i = 7; i >= 0; i--) {
				s = s << 8 | p[off + 8 + i];
				l = l << 8 | p[off + 16 + i];
			}
			jw_str(&r->j, "type", "RESV_MEM");
			if (p[off + 4] < 2)
				jw_str(&r->j, "subtype", sub[p[off + 4]]);
			else
				jw_u64(&r->j, "subtype", p[off + 4]);
			jw_hex(&r->j, "start", s);
			jw_hex(&r->j, "last", l);
		} else {
			jw_u64(&r->j, "type", type);
			jw_u64(&r->j, "length", len);
		}
		jw_end(&r->j);
		off += 4u + len;
	}
	jw_endarr(&r->j);
}

static int op_probe(struct run *r, struct arg *a, int n)
{
	uint64_t ep;
	uint32_t size, used = 0;
	uint8_t status = 0, *props;
	int ret;

	if ((ret = need_num(r, a, n, "endpoint", UINT32_MAX, &ep)) ||
	    (ret = leftovers(r, a, n)) || (ret = ensure(r)))
		return ret;
	size = r->cfg.probe_size ? r->cfg.probe_size : 512;
	props = calloc(1, size);
	if (!props)
		return -ENOMEM;
	ret = vdev_probe(r->d, (uint32_t)ep, props, size, &used, &status);
	begin(r, "probe");
	jw_u64(&r->j, "endpoint", ep);
	status_out(r, ret, status, used);
	if (!ret && status == VIRTIO_IOMMU_S_OK)
		props_out(r, props, size);
	jw_end(&r->j);
	free(props);
	return 0;
}

static int op_raw(struct run *r, struct arg *a, int n)
{
	uint8_t req[VIOD_REQ_MAX], *reply;
	uint64_t wlen = 4;
	uint32_t rlen = 0, used = 0;
	struct arg *x;
	int ret;

	if (n < 1 || a[0].val)
		return bad(r, "usage: raw HEX [writable=N]");
	for (const char *s = a[0].key; *s; s++) {
		int hi, lo;
		if (*s == ':' || *s == '_' || *s == '.')
			continue;
		if (!isxdigit((unsigned char)s[0]) ||
		    !isxdigit((unsigned char)s[1]))
			return bad(r, "raw: '%s' is not a whole number of hex "
				   "bytes", a[0].key);
		if (rlen == sizeof(req))
			return bad(r, "raw: more than %zu bytes", sizeof(req));
		hi = isdigit((unsigned char)s[0]) ? s[0] - '0'
						  : tolower(s[0]) - 'a' + 10;
		lo = isdigit((unsigned char)s[1]) ? s[1] - '0'
						  : tolower(s[1]) - 'a' + 10;
		req[rlen++] = (uint8_t)(hi << 4 | lo);
		s++;
	}
	a[0].used = true;
	if ((ret = ensure(r)))
		return ret;
	if ((x = find(a, n, "writable")) &&
	    (ret = get_num(r, "writable", x->val, vdev_max_write(r->d), &wlen)))
		return ret;
	if ((ret = leftovers(r, a, n)))
		return ret;
	if (!rlen && !wlen)
		return bad(r, "raw: no bytes and nothing writable");
	reply = calloc(1, wlen ? wlen : 1);
	if (!reply)
		return -ENOMEM;
	ret = vdev_request(r->d, req, rlen, reply, (uint32_t)wlen, &used);
	begin(r, "raw");
	jw_u64(&r->j, "length", rlen);
	jw_u64(&r->j, "writable", wlen);
	if (ret) {
		lib_error(r, ret);
	} else {
		char hex[2 * 512 + 1];
		uint32_t shown = used < wlen ? used : (uint32_t)wlen;
		const char *nm = used >= 4 && used <= wlen
					 ? vdev_status_name(reply[used - 4])
					 : NULL;

		if (nm)
			jw_str(&r->j, "status", nm);
		else
			jw_null(&r->j, "status");
		jw_u64(&r->j, "used", used);
		if (shown > 512)
			shown = 512;
		for (uint32_t i = 0; i < shown; i++)
			snprintf(hex + 2 * i, 3, "%02x", reply[i]);
		hex[2 * shown] = 0;
		jw_str(&r->j, "reply", hex);
	}
	jw_end(&r->j);
	free(reply);
	return 0;
}

static int op_dma(struct run *r, struct arg *a, int n)
{
	struct ioas_viommu_dma dma;
	uint64_t ep, iova, len;
	uint32_t access = 0;
	struct arg *x;
	int ret;

	if ((ret = need_num(r, a, n, "endpoint", UINT32_MAX, &ep)) ||
	    (ret = need_num(r, a, n, "iova", UINT64_MAX, &iova)) ||
	    (ret = need_num(r, a, n, "len", UINT64_MAX, &len)))
		return ret;
	if (!(x = find(a, n, "access")))
		return bad(r, "missing access= (r, w or rw)");
	if (!strcmp(x->val, "r"))
		access = IOAS_PROT_READ;
	else if (!strcmp(x->val, "w"))
		access = IOAS_PROT_WRITE;
	else if (!strcmp(x->val, "rw"))
		access = IOAS_PROT_READ | IOAS_PROT_WRITE;
	else
		return bad(r, "access: expected r, w or rw, got '%s'", x->val);
	if ((ret = leftovers(r, a, n)) || (ret = ensure(r)))
		return ret;
	ret = ioas_viommu_translate(vdev_dev(r->d), (uint32_t)ep, iova, len,
				    access, &dma);
	begin(r, "dma");
	jw_u64(&r->j, "endpoint", ep);
	jw_hex(&r->j, "iova", iova);
	jw_u64(&r->j, "len", len);
	jw_str(&r->j, "access", x->val);
	if (ret == 0) {
		jw_hex(&r->j, "pa", dma.pa);
		jw_hex(&r->j, "length", dma.length);
		jw_str(&r->j, "prot", (dma.prot & 3) == 3 ? "rw"
				     : dma.prot & 1 ? "r"
				     : dma.prot & 2 ? "w" : "");
		jw_bool(&r->j, "bypass", dma.flags & IOAS_VIOMMU_DMA_BYPASS);
	} else if (ret == -EFAULT) {
		jw_bool(&r->j, "fault", true);
	} else {
		lib_error(r, ret);
	}
	jw_end(&r->j);
	return 0;
}

static int op_config(struct run *r, struct arg *a, int n)
{
	uint64_t b;
	uint8_t v, back = 0;
	int ret;

	if ((ret = need_num(r, a, n, "bypass", 1, &b)) ||
	    (ret = leftovers(r, a, n)) || (ret = ensure(r)))
		return ret;
	v = (uint8_t)b;
	ret = vdev_driver_init(r->d);
	if (!ret)
		ret = vdev_set_bypass(r->d, v);
	begin(r, "config");
	jw_u64(&r->j, "write_bypass", b);
	if (ret) {
		lib_error(r, ret);
	} else if (!ioas_viommu_config_read(vdev_dev(r->d), VIOMMU_CFG_BYPASS,
					    &back, 1)) {
		jw_u64(&r->j, "bypass", back);
	}
	jw_end(&r->j);
	return 0;
}

static int op_reset(struct run *r, struct arg *a, int n)
{
	int ret;

	(void)a;
	if (n)
		return bad(r, "reset takes no arguments");
	if ((ret = ensure(r)))
		return ret;
	vdev_reset(r->d, true);
	begin(r, "reset");
	jw_bool(&r->j, "driver_ready", vdev_driver_ready(r->d));
	jw_end(&r->j);
	return 0;
}

/* Split a line into words; key=value words are split at the first '='. */
static int split(struct run *r, char *s, char **cmd, struct arg *a)
{
	int n = 0;
	char *tok;

	*cmd = NULL;
	for (tok = strtok(s, " \t\r\n"); tok; tok = strtok(NULL, " \t\r\n")) {
		char *eq;

		if (!*cmd) {
			*cmd = tok;
			continue;
		}
		if (n == MAX_ARGS)
			return bad(r, "too many arguments");
		eq = strchr(tok, '=');
		a[n].used = false;
		a[n].key = tok;
		a[n].val = NULL;
		if (eq) {
			*eq = 0;
			a[n].val = eq + 1;
			if (!*a[n].val)
				return bad(r, "%s: empty value", tok);
		}
		n++;
	}
	return n;
}

static int line_op(struct run *r, char *s)
{
	struct arg a[MAX_ARGS];
	char *cmd, *hash = strchr(s, '#');
	int n;

	if (hash)
		*hash = 0;
	n = split(r, s, &cmd, a);
	if (n < 0)
		return n;
	if (!cmd)
		return 0;
	if (!strcmp(cmd, "device"))
		return op_device(r, a, n);
	if (!strcmp(cmd, "ram"))
		return op_ram(r, a, n);
	if (!strcmp(cmd, "endpoint"))
		return op_endpoint(r, a, n);
	if (!strcmp(cmd, "attach"))
		return op_attach_detach(r, a, n, true);
	if (!strcmp(cmd, "detach"))
		return op_attach_detach(r, a, n, false);
	if (!strcmp(cmd, "map"))
		return op_map(r, a, n);
	if (!strcmp(cmd, "unmap"))
		return op_unmap(r, a, n);
	if (!strcmp(cmd, "probe"))
		return op_probe(r, a, n);
	if (!strcmp(cmd, "raw"))
		return op_raw(r, a, n);
	if (!strcmp(cmd, "dma"))
		return op_dma(r, a, n);
	if (!strcmp(cmd, "config"))
		return op_config(r, a, n);
	if (!strcmp(cmd, "reset"))
		return op_reset(r, a, n);
	return bad(r, "unknown operation '%s'", cmd);
}

int cmd_run(int argc, char **argv)
{
	struct run r;
	char *buf = NULL;
	size_t cap = 0;
	ssize_t len;
	FILE *f;
	int rc = 0;

	if (argc != 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		fprintf(argc == 2 ? stdout : stderr,
			"usage: ioas run SCRIPT|-\n"
			"  runs a virtio-iommu script (see tests/cli/*.ioas); one "
			"JSON object per operation\n");
		return argc == 2 ? 0 : 2;
	}
	memset(&r, 0, sizeof(r));
	r.name = strcmp(argv[1], "-") ? argv[1] : "<stdin>";
	r.cfg.size = sizeof(r.cfg);
	jw_init(&r.j, stdout);
	f = strcmp(argv[1], "-") ? fopen(argv[1], "r") : stdin;
	if (!f) {
		fprintf(stderr, "ioas run: %s: %s\n", argv[1], strerror(errno));
		return 2;
	}
	while ((len = getline(&buf, &cap, f)) >= 0) {
		int ret;

		r.line++;
		ret = line_op(&r, buf);
		if (ret == 0 && r.d) {
			ret = vdev_poll_events(r.d, fault_out, &r);
			ret = ret < 0 ? ret : 0;
			if (ret)
				snprintf(r.msg, sizeof(r.msg), "event queue: %s",
					 ioas_strerror(ret));
		}
		if (ret) {
			if (ret != -EINVAL || !r.msg[0])
				snprintf(r.msg, sizeof(r.msg), "%s",
					 ioas_strerror(ret));
			fprintf(stderr, "ioas run: %s:%u: %s\n", r.name, r.line,
				r.msg);
			rc = 2;
			break;
		}
	}
	if (rc == 0 && r.errors)
		rc = 1;
	free(buf);
	if (f != stdin)
		fclose(f);
	vdev_destroy(r.d);
	return rc;
}
