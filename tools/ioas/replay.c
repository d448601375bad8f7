/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * `ioas replay`: rebuild the request stream of a QEMU virtio-iommu trace
 * as real request bytes through the device, and with --check compare every
 * recorded translation with what the device answers.
 *
 * How trace lines become device operations (../shared/traces/README.md):
 *   get_features, get_config   the device's offer and config space: the
 *                              device is created from the first get_config
 *                              (or with QEMU's defaults when a request or
 *                              translation comes first); every later
 *                              get_config is compared with our config space
 *   fill_resv_property         consecutive lines for one endpoint are the
 *                              reply to one PROBE: the endpoint is created
 *                              with those regions (QEMU's regions are
 *                              device-wide, so they also become the default
 *                              for endpoints first seen elsewhere), and a
 *                              real PROBE is sent and its reply compared
 *   attach                     sent once the lines QEMU logs after it are
 *                              seen: the last switch_address_space of the
 *                              endpoint says whether the domain is a bypass
 *                              domain (iommu enabled=0); no such line means
 *                              QEMU refused the request
 *   detach, map                sent as they come (a map line is a mapping
 *                              QEMU created: it must succeed)
 *   unmap + unmap_done         one UNMAP; the device must remove exactly the
 *                              mappings QEMU listed. Where QEMU removed some
 *                              and then stopped at a mapping the range only
 *                              partly covers (S_RANGE), the specification
 *                              says to remove nothing: the device does that,
 *                              and the replay then unmaps QEMU's removed
 *                              ranges one by one to stay in step
 *   set_config                 driver write of the bypass field
 *   device_reset, system_reset device reset (the driver side starts over at
 *                              the next DRIVER_OK status or request)
 *   translate [+ translate_out | report_fault]
 *                              a one-byte access of that endpoint; with an
 *                              output line the device must translate to the
 *                              same address; with a fault line it must
 *                              fault; with neither, the access must pass
 *                              through unchanged (MSI region, bypass domain,
 *                              global bypass)
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "json.h"
#include "trace.h"
#include "vdev.h"

#define MAX_RESV 16
#define MAX_DONE_INLINE 64

#define RP_TCACHES 8

struct dtally {
	uint32_t dom;
	uint64_t maps, bytes;
};

struct rp {
	const struct replay_opts *o;
	const char *path;
	struct replay_result *r;
	struct vdev *d;
	struct ioas_viommu *v;

	/* What the trace says about the device, before it exists. */
	uint64_t features;
	bool have_features, have_config;
	struct ioas_viommu_config cfg;

	/* Endpoints created in the device: a bitmap for 16-bit ids and a
	 * list for the rest. */
	uint8_t *ep_bits;
	uint32_t *ep_more;
	size_t n_more, cap_more;
	struct ioas_viommu_resv def_resv[MAX_RESV];
	int n_def_resv;
	bool have_def_resv;

	/* Pending multi-line events. */
	bool pend_tr;
	struct tev tr;
	uint64_t tr_line;

	bool pend_unmap;
	struct tev um;
	uint64_t um_line;
	struct tev *done;
	size_t n_done, cap_done;

	bool pend_attach;
	struct tev at;
	uint64_t at_line;
	int at_enabled;           /* -1: no switch line yet */

	bool pend_probe;
	uint32_t pr_ep;
	uint64_t pr_line;
	struct ioas_viommu_resv pr_resv[MAX_RESV];
	int n_pr;

	/* The emulated devices' translation caches, one per endpoint (a
	 * few, direct mapped by endpoint id). */
	struct ioas_viommu_tcache *tc[RP_TCACHES];
	bool tc_live[RP_TCACHES];

	/* Mapped bytes and mappings alive, per domain (few domains). */
	struct dtally *tally;
	size_t n_tally, cap_tally;
	uint64_t live_maps, live_bytes;

	unsigned reported;
	int err;
};

static void mismatch(struct rp *p, uint64_t line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void mismatch(struct rp *p, uint64_t line, const char *fmt, ...)
{
	va_list ap;

	if (!p->o->check)
		return;
	p->r->mismatches++;
	if (p->reported++ >= p->o->max_report)
		return;
	fprintf(stderr, "%s:%" PRIu64 ": mismatch: ", p->path, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void fail(struct rp *p, uint64_t line, int err, const char *what)
{
	if (!p->err) {
		fprintf(stderr, "%s:%" PRIu64 ": %s: %s\n", p->path, line, what,
			ioas_strerror(err));
		p->err = err;
	}
}

/* ---- the device ------------------------------------------------------------- */

static void default_config(struct rp *p)
{
	/* QEMU 7.2's virtio-iommu-pci on x86 (see the traces' README). */
	p->cfg.page_size_mask = ~0xfffull;
	p->cfg.input_range.start = 0;
	p->cfg.input_range.last = UINT64_MAX;
	p->cfg.domain_start = 0;
	p->cfg.domain_last = UINT32_MAX;
	p->cfg.probe_size = 0x200;
	p->cfg.bypass = 1;
}

static int ensure_device(struct rp *p, uint64_t line)
{
	int ret;

	if (p->d)
		return 0;
	if (!p->have_config)
		default_config(p);
	p->cfg.size = sizeof(p->cfg);
	p->cfg.domain_format = p->o->domain_format;
	if (p->have_features)
		p->cfg.features = p->features &
				  (0x7full | IOAS_VIRTIO_F_INDIRECT_DESC |
				   IOAS_VIRTIO_F_EVENT_IDX |
				   IOAS_VIRTIO_F_VERSION_1);
	ret = vdev_create(&p->cfg, &p->d);
	if (ret) {
		fail(p, line, ret, "cannot create the device from the trace's "
				   "configuration");
		return ret;
	}
	p->v = vdev_dev(p->d);
	memset(p->tc_live, 0, sizeof(p->tc_live));
	return 0;
}

/* A translation as the endpoint's emulated device does it: through the
 * cache it holds. */
static int dev_translate(struct rp *p, uint32_t ep, uint64_t iova,
			 uint32_t access, struct ioas_viommu_dma *out)
{
	unsigned i = ep % RP_TCACHES;

	if (!p->tc_live[i] || p->tc[i]->ep != ep) {
		if (p->tc_live[i])
			p->r->dev_cache_hits += p->tc[i]->c.hits;
		if (!p->tc[i])
			p->tc[i] = malloc(sizeof(*p->tc[i]));
		p->tc_live[i] = p->tc[i] &&
				ioas_viommu_tcache_init(p->tc[i], p->v, ep) == 0;
	}
	if (!p->tc_live[i]) /* no memory for a cache: uncached */
		return ioas_viommu_translate(p->v, ep, iova, 1, access, out);
	return ioas_viommu_translate_cached(p->tc[i], iova, 1, access, out);
}

static bool ep_known(const struct rp *p, uint32_t ep)
{
	if (ep < 65536)
		return p->ep_bits[ep >> 3] & (1u << (ep & 7));
	for (size_t i = 0; i < p->n_more; i++)
		if (p->ep_more[i] == ep)
			return true;
	return false;
}

static int ensure_ep(struct rp *p, uint32_t ep, const struct ioas_viommu_resv *resv,
		     int nresv, uint64_t line)
{
	int ret;

	if (ep_known(p, ep))
		return 0;
	ret = ensure_device(p, line);
	if (ret)
		return ret;
	if (!resv) {
		resv = p->def_resv;
		nresv = p->n_def_resv;
	}
	ret = ioas_viommu_endpoint_add(p->v, ep, resv, (size_t)nresv);
	if (ret) {
		fail(p, line, ret, "cannot add the endpoint");
		return ret;
	}
	if (ep < 65536) {
		p->ep_bits[ep >> 3] |= (uint8_t)(1u << (ep & 7));
	} else {
		if (p->n_more == p->cap_more) {
			size_t nc = p->cap_more ? p->cap_more * 2 : 16;
			uint32_t *n = realloc(p->ep_more, nc * sizeof(*n));
			if (!n)
				return -ENOMEM;
			p->ep_more = n;
			p->cap_more = nc;
		}
		p->ep_more[p->n_more++] = ep;
	}
	return 0;
}

static void count_req(struct rp *p, unsigned type, uint8_t status)
{
	p->r->req[type]++;
	if (status == VIRTIO_IOMMU_S_OK)
		p->r->req_ok[type]++;
	p->r->status[status < 9 ? status : 9]++;
}

static const char *st_name(uint8_t s)
{
	const char *n = vdev_status_name(s);
	return n ? n : "(none)";
}

/* ---- tallies ------------------------------------------------------------------ */

static struct dtally *tally(struct rp *p, uint32_t dom)
{
	for (size_t i = 0; i < p->n_tally; i++)
		if (p->tally[i].dom == dom)
			return &p->tally[i];
	if (p->n_tally == p->cap_tally) {
		size_t nc = p->cap_tally ? p->cap_tally * 2 : 16;
		struct dtally *n = realloc(p->tally, nc * sizeof(*n));
		if (!n)
			return NULL;
		p->tally = n;
		p->cap_tally = nc;
	}
	p->tally[p->n_tally] = (struct dtally){ .dom = dom };
	return &p->tally[p->n_tally++];
}

static void tally_add(struct rp *p, uint32_t dom, int64_t maps, int64_t bytes)
{
	struct dtally *t = tally(p, dom);

	if (!t || (maps < 0 && t->maps < (uint64_t)-maps) ||
	    (bytes < 0 && t->bytes < (uint64_t)-bytes))
		return;
	t->maps += (uint64_t)maps;
	t->bytes += (uint64_t)bytes;
	p->live_maps += (uint64_t)maps;
	p->live_bytes += (uint64_t)bytes;
	if (p->live_maps > p->r->mappings_peak)
		p->r->mappings_peak = p->live_maps;
	if (p->live_bytes > p->r->bytes_peak)
		p->r->bytes_peak = p->live_bytes;
}

static void tally_drop(struct rp *p, uint32_t dom)
{
	for (size_t i = 0; i < p->n_tally; i++) {
		if (p->tally[i].dom == dom) {
			p->live_maps -= p->tally[i].maps;
			p->live_bytes -= p->tally[i].bytes;
			p->tally[i] = p->tally[--p->n_tally];
			return;
		}
	}
}

static void tally_reset(struct rp *p)
{
	p->n_tally = 0;
	p->live_maps = p->live_bytes = 0;
}

/* ---- translations ------------------------------------------------------------ */

static void drain_events(struct rp *p)
{
	int n = vdev_poll_events(p->d, NULL, NULL);

	if (n < 0)
		fail(p, p->tr_line, n, "event queue");
}

/* out: the translate_out line, or NULL; fault: QEMU logged a fault. */
static void resolve_translate(struct rp *p, const struct tev *out, bool fault)
{
	const struct tev *t = &p->tr;
	struct ioas_viommu_dma dma;
	uint32_t access = (t->flags & 1 ? IOAS_PROT_READ : 0) |
			  (t->flags & 2 ? IOAS_PROT_WRITE : 0);
	int ret;

	p->pend_tr = false;
	if (ensure_ep(p, t->ep, NULL, 0, p->tr_line))
		return;
	p->r->translations++;
	ret = dev_translate(p, t->ep, t->a, access ? access : IOAS_PROT_READ,
			    &dma);
	if (ret == 0 && !(dma.flags & IOAS_VIOMMU_DMA_BYPASS))
		p->r->translated++;
	else if (ret == 0)
		p->r->passthrough++;
	else if (ret == -EFAULT)
		p->r->faults++;
	else {
		fail(p, p->tr_line, ret, "translate");
		return;
	}
	if (ret == -EFAULT)
		drain_events(p);
	if (fault)
		p->r->qemu_faults++;
	if (!p->o->check)
		return;

	if (out) {
		if (out->a != t->a || out->ep != t->ep) {
			mismatch(p, p->tr_line, "translate_out 0x%" PRIx64
				 " for sid=%u does not answer translate of 0x%"
				 PRIx64 " rid=%u", out->a, out->ep, t->a, t->ep);
			return;
		}
		if (ret == 0 && !(dma.flags & IOAS_VIOMMU_DMA_BYPASS) &&
		    dma.pa == out->b)
			return;
		if (ret == 0 && !(dma.flags & IOAS_VIOMMU_DMA_BYPASS) &&
		    t->a != UINT64_MAX) {
			/* QEMU looks up [addr, addr + 1]: the last byte of a
			 * mapping may resolve through the next mapping. */
			struct ioas_viommu_dma d2;
			if (!ioas_viommu_translate(p->v, t->ep, t->a + 1, 1,
						   access ? access
							  : IOAS_PROT_READ,
						   &d2) &&
			    !(d2.flags & IOAS_VIOMMU_DMA_BYPASS) &&
			    d2.pa - 1 == out->b) {
				p->r->adjacent_quirks++;
				return;
			}
		}
		if (ret == 0)
			mismatch(p, p->tr_line, "translate rid=%u addr=0x%"
				 PRIx64 " flag=%u: QEMU 0x%" PRIx64 ", ioas 0x%"
				 PRIx64 "%s", t->ep, t->a, t->flags, out->b,
				 dma.pa, dma.flags & IOAS_VIOMMU_DMA_BYPASS
					 ? " (passed through)" : "");
		else
			mismatch(p, p->tr_line, "translate rid=%u addr=0x%"
				 PRIx64 " flag=%u: QEMU 0x%" PRIx64
				 ", ioas faults", t->ep, t->a, t->flags, out->b);
		return;
	}
	if (fault) {
		if (ret != -EFAULT)
			mismatch(p, p->tr_line, "translate rid=%u addr=0x%"
				 PRIx64 " flag=%u: QEMU faults, ioas gives 0x%"
				 PRIx64, t->ep, t->a, t->flags, dma.pa);
		return;
	}
	/* No output and no fault: QEMU passed the address through, or it
	 * faulted with no event buffer to log it in (no driver). */
	if (ret == 0 && (dma.flags & IOAS_VIOMMU_DMA_BYPASS) && dma.pa == t->a)
		return;
	if (ret == -EFAULT && !vdev_driver_ready(p->d))
		return;
	if (ret == 0)
		mismatch(p, p->tr_line, "translate rid=%u addr=0x%" PRIx64
			 " flag=%u: QEMU passes it through, ioas gives 0x%"
			 PRIx64, t->ep, t->a, t->flags, dma.pa);
	else
		mismatch(p, p->tr_line, "translate rid=%u addr=0x%" PRIx64
			 " flag=%u: QEMU passes it through, ioas faults",
			 t->ep, t->a, t->flags);
}

/* ---- requests ------------------------------------------------------------------ */

static void resolve_probe(struct rp *p)
{
	struct ioas_viommu_resv got[MAX_RESV];
	uint32_t size, used;
	uint8_t status, *props;
	int n, ret;

	p->pend_probe = false;
	if (!p->have_def_resv) {
		memcpy(p->def_resv, p->pr_resv, sizeof(p->pr_resv));
		p->n_def_resv = p->n_pr;
		p->have_def_resv = true;
	}
	if (ensure_ep(p, p->pr_ep, p->pr_resv, p->n_pr, p->pr_line))
		return;
	size = p->cfg.probe_size ? p->cfg.probe_size : 512;
	props = malloc(size);
	if (!props) {
		fail(p, p->pr_line, -ENOMEM, "probe");
		return;
	}
	ret = vdev_probe(p->d, p->pr_ep, props, size, &used, &status);
	if (ret) {
		free(props);
		fail(p, p->pr_line, ret, "PROBE request");
		return;
	}
	count_req(p, VIRTIO_IOMMU_T_PROBE, status);
	n = status == VIRTIO_IOMMU_S_OK
		    ? vdev_probe_resv(props, size, got, MAX_RESV) : -1;
	free(props);
	if (!p->o->check)
		return;
	if (n != p->n_pr) {
		p->r->probe_mismatches++;
		mismatch(p, p->pr_line, "PROBE endpoint=%u: QEMU reports %d "
			 "reserved regions, ioas %d (status %s)", p->pr_ep,
			 p->n_pr, n, st_name(status));
		return;
	}
	for (int i = 0; i < n; i++) {
		bool found = false;
		for (int j = 0; j < n && !found; j++)
			found = got[j].type == p->pr_resv[i].type &&
				got[j].range.start == p->pr_resv[i].range.start &&
				got[j].range.last == p->pr_resv[i].range.last;
		if (!found) {
			p->r->probe_mismatches++;
			mismatch(p, p->pr_line, "PROBE endpoint=%u: region "
				 "type=%u [0x%" PRIx64 ", 0x%" PRIx64 "] "
				 "missing from the reply", p->pr_ep,
				 p->pr_resv[i].type, p->pr_resv[i].range.start,
				 p->pr_resv[i].range.last);
			return;
		}
	}
}

static void resolve_attach(struct rp *p)
{
	const struct tev *a = &p->at;
	uint32_t flags = p->at_enabled == 0 ? VIRTIO_IOMMU_ATTACH_F_BYPASS : 0;
	uint8_t status;
	int ret;

	p->pend_attach = false;
	if (ensure_ep(p, a->ep, NULL, 0, p->at_line))
		return;
	ret = vdev_attach(p->d, a->dom, a->ep, flags, &status);
	if (ret) {
		fail(p, p->at_line, ret, "ATTACH request");
		return;
	}
	count_req(p, VIRTIO_IOMMU_T_ATTACH, status);
	if (p->at_enabled < 0) {
		/* QEMU refused it (no address-space switch followed). */
		p->r->qemu_failed_attaches++;
		return;
	}
	if (status != VIRTIO_IOMMU_S_OK) {
		p->r->req_mismatches++;
		mismatch(p, p->at_line, "ATTACH domain=%u endpoint=%u%s: %s, "
			 "QEMU accepted it", a->dom, a->ep,
			 flags ? " (bypass)" : "", st_name(status));
	}
}

static int unmap_one(struct rp *p, uint32_t dom, uint64_t s, uint64_t l,
		     uint8_t *status)
{
	int ret = vdev_unmap(p->d, dom, s, l, status);

	if (ret)
		fail(p, p->um_line, ret, "UNMAP request");
	else
		count_req(p, VIRTIO_IOMMU_T_UNMAP, *status);
	return ret;
}

static void resolve_unmap(struct rp *p)
{
	const struct tev *u = &p->um;
	struct ioas_viommu_stats before, after;
	uint64_t removed;
	uint8_t status;

	p->pend_unmap = false;
	if (ensure_device(p, p->um_line))
		return;
	ioas_viommu_get_stats(p->v, &before);
	if (unmap_one(p, u->dom, u->a, u->b, &status))
		return;
	if (status == VIRTIO_IOMMU_S_OK)
		for (size_t i = 0; i < p->n_done; i++)
			tally_add(p, u->dom, -1,
				  -(int64_t)(p->done[i].b - p->done[i].a + 1));
	if (status == VIRTIO_IOMMU_S_RANGE && p->n_done) {
		/* QEMU removed these, then stopped at a partly covered
		 * mapping; the specification removes nothing. Follow QEMU. */
		p->r->qemu_partial_unmaps++;
		for (size_t i = 0; i < p->n_done; i++) {
			if (unmap_one(p, u->dom, p->done[i].a, p->done[i].b,
				      &status))
				return;
			if (status == VIRTIO_IOMMU_S_OK)
				tally_add(p, u->dom, -1,
					  -(int64_t)(p->done[i].b -
						     p->done[i].a + 1));
			else {
				p->r->req_mismatches++;
				mismatch(p, p->um_line, "UNMAP domain=%u "
					 "[0x%" PRIx64 ", 0x%" PRIx64 "] "
					 "(a mapping QEMU removed): %s",
					 u->dom, p->done[i].a, p->done[i].b,
					 st_name(status));
			}
		}
		return;
	}
	if (!p->o->check)
		return;
	ioas_viommu_get_stats(p->v, &after);
	removed = before.mappings - after.mappings;
	if (status == VIRTIO_IOMMU_S_OK ? removed != p->n_done
					: p->n_done != 0) {
		p->r->req_mismatches++;
		mismatch(p, p->um_line, "UNMAP domain=%u [0x%" PRIx64 ", 0x%"
			 PRIx64 "]: %s, %" PRIu64 " mappings removed, QEMU "
			 "removed %zu", u->dom, u->a, u->b, st_name(status),
			 removed, p->n_done);
	}
}

static void do_map(struct rp *p, const struct tev *m, uint64_t line)
{
	uint8_t status;
	int ret;

	if (ensure_device(p, line))
		return;
	ret = vdev_map(p->d, m->dom, m->a, m->b, m->c, m->flags, &status);
	if (ret) {
		fail(p, line, ret, "MAP request");
		return;
	}
	count_req(p, VIRTIO_IOMMU_T_MAP, status);
	if (status == VIRTIO_IOMMU_S_OK) {
		tally_add(p, m->dom, 1, (int64_t)(m->b - m->a + 1));
		if (m->a < p->r->iova_min)
			p->r->iova_min = m->a;
		if (m->b > p->r->iova_max)
			p->r->iova_max = m->b;
	} else {
		p->r->req_mismatches++;
		mismatch(p, line, "MAP domain=%u [0x%" PRIx64 ", 0x%" PRIx64
			 "] -> 0x%" PRIx64 " flags=%u: %s, QEMU created it",
			 m->dom, m->a, m->b, m->c, m->flags, st_name(status));
	}
}

static void do_detach(struct rp *p, const struct tev *e, uint64_t line)
{
	uint8_t status;
	int ret;

	if (ensure_ep(p, e->ep, NULL, 0, line))
		return;
	ret = vdev_detach(p->d, e->dom, e->ep, &status);
	if (ret) {
		fail(p, line, ret, "DETACH request");
		return;
	}
	count_req(p, VIRTIO_IOMMU_T_DETACH, status);
}

static void check_config(struct rp *p, const struct tev *e, uint64_t line)
{
	uint8_t c[40];
	uint64_t psm, is, ie;
	uint32_t ds, de, ps;

	if (!p->o->check || ioas_viommu_config_read(p->v, 0, c, sizeof(c)))
		return;
	memcpy(&psm, c, 8);
	memcpy(&is, c + 8, 8);
	memcpy(&ie, c + 16, 8);
	memcpy(&ds, c + 24, 4);
	memcpy(&de, c + 28, 4);
	memcpy(&ps, c + 32, 4);
	/* (little-endian host assumed for this comparison only) */
	if (psm != e->a || is != e->b || ie != e->c || ds != e->dom ||
	    de != e->ep || ps != e->flags || c[36] != e->extra) {
		p->r->config_mismatches++;
		mismatch(p, line, "config space: page_size_mask=0x%" PRIx64
			 " input=[0x%" PRIx64 ", 0x%" PRIx64 "] domains=[%u, "
			 "%u] probe_size=0x%x bypass=%u; QEMU read "
			 "page_size_mask=0x%" PRIx64 " input=[0x%" PRIx64
			 ", 0x%" PRIx64 "] domains=[%u, %u] probe_size=0x%x "
			 "bypass=%u", psm, is, ie, ds, de, ps, c[36], e->a,
			 e->b, e->c, e->dom, e->ep, e->flags, e->extra);
	}
}

static void device_reset(struct rp *p, bool system)
{
	if (p->d) {
		if (system)
			vdev_system_reset(p->d);
		else
			vdev_reset(p->d, false);
	}
	tally_reset(p);
}

/* ---- dispatch ----------------------------------------------------------------- */

static void event(struct rp *p, const struct tev *e, uint64_t line)
{
	/* Finish what the previous lines started. */
	if (p->pend_tr) {
		if (e->type == TEV_TRANSLATE_OUT) {
			resolve_translate(p, e, false);
			return;
		}
		if (e->type == TEV_REPORT_FAULT && e->ep == p->tr.ep &&
		    e->a == p->tr.a) {
			resolve_translate(p, NULL, true);
			return;
		}
		resolve_translate(p, NULL, false);
	}
	if (p->pend_unmap) {
		if (e->type == TEV_UNMAP_DONE) {
			if (p->n_done == p->cap_done) {
				size_t nc = p->cap_done * 2;
				struct tev *n = realloc(p->done,
							nc * sizeof(*n));
				if (!n) {
					fail(p, line, -ENOMEM, "unmap");
					return;
				}
				p->done = n;
				p->cap_done = nc;
			}
			p->done[p->n_done++] = *e;
			return;
		}
		resolve_unmap(p);
	}
	if (p->pend_attach) {
		switch (e->type) {
		case TEV_SWITCH_AS:
			if (e->ep == p->at.ep)
				p->at_enabled = (int)e->flags;
			return;
		case TEV_PUT_DOMAIN:
			tally_drop(p, e->dom);
			return;
		case TEV_GET_ENDPOINT:
		case TEV_GET_DOMAIN:
		case TEV_PUT_ENDPOINT:
		case TEV_OTHER:
			return;
		case TEV_TRANSLATE:
		case TEV_TRANSLATE_OUT:
		case TEV_REPORT_FAULT:
			/* Another thread's DMA between the attach and its
			 * address-space switch: it does not depend on it. */
			if (e->ep != p->at.ep)
				break;
			resolve_attach(p);
			break;
		default:
			resolve_attach(p);
		}
	}
	if (p->pend_probe) {
		if (e->type == TEV_RESV && e->ep == p->pr_ep) {
			if (p->n_pr < MAX_RESV) {
				struct ioas_viommu_resv *rv =
					&p->pr_resv[p->n_pr++];
				memset(rv, 0, sizeof(*rv));
				rv->type = e->flags;
				rv->range.start = e->a;
				rv->range.last = e->b;
			}
			return;
		}
		resolve_probe(p);
	}
	if (p->err)
		return;

	switch (e->type) {
	case TEV_TRANSLATE:
		if (p->o->skip_translations)
			break;
		p->pend_tr = true;
		p->tr = *e;
		p->tr_line = line;
		break;
	case TEV_TRANSLATE_OUT:
		if (p->o->check && !p->o->skip_translations)
			mismatch(p, line, "translate_out without translate");
		break;
	case TEV_MAP:
		do_map(p, e, line);
		break;
	case TEV_UNMAP:
		p->pend_unmap = true;
		p->um = *e;
		p->um_line = line;
		p->n_done = 0;
		break;
	case TEV_UNMAP_DONE:
		if (p->o->check)
			mismatch(p, line, "unmap_done without unmap");
		break;
	case TEV_ATTACH:
		p->pend_attach = true;
		p->at = *e;
		p->at_line = line;
		p->at_enabled = -1;
		break;
	case TEV_DETACH:
		do_detach(p, e, line);
		break;
	case TEV_RESV:
		p->pend_probe = true;
		p->pr_ep = e->ep;
		p->pr_line = line;
		p->n_pr = 0;
		memset(p->pr_resv, 0, sizeof(p->pr_resv));
		p->pr_resv[0].type = e->flags;
		p->pr_resv[0].range.start = e->a;
		p->pr_resv[0].range.last = e->b;
		p->n_pr = 1;
		break;
	case TEV_GET_FEATURES:
		p->features = e->a;
		p->have_features = true;
		break;
	case TEV_GET_CONFIG:
		if (!p->d) {
			p->cfg.page_size_mask = e->a;
			p->cfg.input_range.start = e->b;
			p->cfg.input_range.last = e->c;
			p->cfg.domain_start = e->dom;
			p->cfg.domain_last = e->ep;
			p->cfg.probe_size = e->flags;
			p->cfg.bypass = e->extra;
			p->have_config = true;
			if (ensure_device(p, line))
				return;
		}
		check_config(p, e, line);
		break;
	case TEV_SET_CONFIG: {
		int ret;
		if (ensure_device(p, line))
			return;
		ret = vdev_driver_init(p->d);
		if (!ret)
			ret = vdev_set_bypass(p->d, (uint8_t)e->extra);
		if (ret)
			fail(p, line, ret, "config write");
		break;
	}
	case TEV_DEVICE_STATUS:
		/* DRIVER_OK: the guest driver is up again after a reset. */
		if (p->d && (e->flags & 4) && !vdev_driver_ready(p->d)) {
			int ret = vdev_driver_init(p->d);
			if (ret)
				fail(p, line, ret, "driver initialisation");
		}
		break;
	case TEV_DEVICE_RESET:
		p->r->device_resets++;
		device_reset(p, false);
		break;
	case TEV_SYSTEM_RESET:
		p->r->system_resets++;
		device_reset(p, true);
		break;
	case TEV_PUT_DOMAIN:
		tally_drop(p, e->dom);
		break;
	default:
		break;
	}
}

static void finish(struct rp *p, uint64_t line)
{
	struct tev none = { .type = TEV_OTHER };

	/* Resolve whatever is pending; TEV_OTHER finishes attach last. */
	if (p->pend_attach && !p->err)
		resolve_attach(p);
	if (!p->err)
		event(p, &none, line);
}

/* ---- the file ------------------------------------------------------------------- */

static void progress(const char *path, struct trace_reader *tr, uint64_t lines,
		     double t0, bool last)
{
	uint64_t done, total;
	double el = cli_now() - t0;

	trace_progress(tr, &done, &total);
	if (last) {
		fprintf(stderr, "\r\033[K");
		return;
	}
	if (total)
		fprintf(stderr, "\r\033[K%s: %.1f%% (%.1f of %.1f MB read, "
			"%" PRIu64 " lines, %.1f s)", path,
			100.0 * (double)done / (double)total, (double)done / 1e6,
			(double)total / 1e6, lines, el);
	else
		fprintf(stderr, "\r\033[K%s: %.1f MB read, %" PRIu64
			" lines, %.1f s", path, (double)done / 1e6, lines, el);
}

static int rp_init(struct rp *p, const char *path,
		   const struct replay_opts *o, struct replay_result *res)
{
	memset(res, 0, sizeof(*res));
	res->iova_min = UINT64_MAX;
	memset(p, 0, sizeof(*p));
	p->o = o;
	p->path = path;
	p->r = res;
	p->ep_bits = calloc(65536 / 8, 1);
	p->cap_done = MAX_DONE_INLINE;
	p->done = malloc(p->cap_done * sizeof(*p->done));
	return p->ep_bits && p->done ? 0 : -ENOMEM;
}

static void rp_fini(struct rp *p)
{
	if (p->r->iova_min == UINT64_MAX)
		p->r->iova_min = p->r->iova_max = 0;
	if (p->d) {
		struct ioas_iommu_stats st;

		ioas_iommu_get_stats(ioas_viommu_iommu(vdev_dev(p->d)), &st);
		p->r->atc_hits = st.atc_hits;
		p->r->iotlb_hits = st.iotlb_hits;
		p->r->iotlb_misses = st.iotlb_misses;
		p->r->walks = st.walks;
	}
	for (unsigned i = 0; i < RP_TCACHES; i++) {
		if (p->tc_live[i])
			p->r->dev_cache_hits += p->tc[i]->c.hits;
		free(p->tc[i]);
	}
	vdev_destroy(p->d);
	free(p->ep_bits);
	free(p->ep_more);
	free(p->done);
	free(p->tally);
}

int replay_file(const char *path, const struct replay_opts *o,
		struct replay_result *res)
{
	struct trace_reader *tr = NULL;
	struct rp p;
	struct tev ev;
	uint64_t line = 0;
	double t0 = cli_now(), tnext = t0 + 0.25;
	int ret;

	ret = rp_init(&p, path, o, res);
	if (ret)
		goto out;
	ret = trace_open(path, 0, &tr);
	if (ret) {
		fprintf(stderr, "%s: %s\n", path, strerror(-ret));
		goto out;
	}
	ret = trace_start_async(tr);
	if (ret)
		goto out;
	while ((ret = trace_next(tr, &ev, &line)) > 0) {
		res->events++;
		event(&p, &ev, line);
		if (p.err)
			break;
		if (o->progress && !(res->events & 0x3fff) &&
		    cli_now() > tnext) {
			progress(path, tr, line, t0, false);
			tnext = cli_now() + 0.25;
		}
	}
	if (o->progress)
		progress(path, tr, line, t0, true);
	if (ret < 0) {
		fprintf(stderr, "%s: %s\n", path, trace_error(tr));
		goto out;
	}
	if (!p.err)
		finish(&p, line);
	ret = p.err;
	res->lines = line;
out:
	res->seconds = cli_now() - t0;
	trace_close(tr);
	rp_fini(&p);
	return ret;
}

int replay_events(const struct tev *ev, size_t n, const struct replay_opts *o,
		  struct replay_result *res)
{
	struct rp p;
	double t0 = cli_now();
	int ret = rp_init(&p, "(events)", o, res);

	for (size_t i = 0; !ret && i < n; i++) {
		event(&p, &ev[i], i + 1);
		ret = p.err;
	}
	if (!ret)
		finish(&p, n);
	ret = p.err;
	res->events = res->lines = n;
	res->seconds = cli_now() - t0;
	rp_fini(&p);
	return ret;
}

/* ---- output ------------------------------------------------------------------------- */

static void print_summary(const char *path, const struct replay_opts *o,
			  const struct replay_result *r)
{
	static const char *const tn[] = { "", "attach", "detach", "map",
					  "unmap", "probe" };
	double rate = r->seconds > 0 ? (double)r->lines / r->seconds : 0;

	printf("%s\n", path);
	printf("  lines        %" PRIu64 " (%" PRIu64 " virtio-iommu events)\n",
	       r->lines, r->events);
	printf("  requests    ");
	for (int t = 1; t <= 5; t++)
		printf(" %s %" PRIu64 "%s", tn[t], r->req[t], t < 5 ? "," : "");
	printf("\n  statuses    ");
	for (int s = 0; s <= 9; s++)
		if (r->status[s])
			printf(" %s %" PRIu64, s < 9 ? vdev_status_name((unsigned)s)
						     : "none", r->status[s]);
	printf("\n  translations %" PRIu64 " (%" PRIu64 " translated, %" PRIu64
	       " passed through, %" PRIu64 " faults)%s\n", r->translations,
	       r->translated, r->passthrough, r->faults,
	       o->check ? ", all checked" : ", not checked (no --check)");
	if (r->qemu_partial_unmaps || r->qemu_failed_attaches ||
	    r->adjacent_quirks || r->qemu_faults)
		printf("  QEMU quirks  %" PRIu64 " partial unmaps followed, %"
		       PRIu64 " refused attaches, %" PRIu64 " adjacent-mapping "
		       "lookups, %" PRIu64 " faults logged\n",
		       r->qemu_partial_unmaps, r->qemu_failed_attaches,
		       r->adjacent_quirks, r->qemu_faults);
	printf("  resets       %" PRIu64 " device, %" PRIu64 " system\n",
	       r->device_resets, r->system_resets);
	printf("  peak         %" PRIu64 " mappings alive, %" PRIu64
	       " KiB mapped\n", r->mappings_peak, r->bytes_peak >> 10);
	if (r->iova_max)
		printf("  IOVA         [0x%" PRIx64 ", 0x%" PRIx64 "] (%" PRIu64
		       " KiB span)\n", r->iova_min, r->iova_max,
		       (r->iova_max - r->iova_min + 1) >> 10);
	/* hits include MSI-window pages, which pass through untranslated */
	printf("  caches       endpoint caches %" PRIu64 " hits (%.1f%% of "
	       "translations), then ATC hits %" PRIu64 ", IOTLB hits %" PRIu64
	       ", misses %" PRIu64 ", table walks %" PRIu64 "\n",
	       r->dev_cache_hits,
	       r->translations ? 100.0 * (double)r->dev_cache_hits /
					 (double)r->translations : 0.0,
	       r->atc_hits, r->iotlb_hits, r->iotlb_misses, r->walks);
	printf("  time         %.3f s (%.2f M lines/s, %.2f M translations/s)\n",
	       r->seconds, rate / 1e6,
	       r->seconds > 0 ? (double)r->translations / r->seconds / 1e6 : 0);
	if (o->check)
		printf("  result       %s: %" PRIu64 " mismatches\n",
		       r->mismatches ? "FAIL" : "OK", r->mismatches);
}

static void print_json(const char *path, const struct replay_opts *o,
		       const struct replay_result *r)
{
	static const char *const tn[] = { "", "attach", "detach", "map",
					  "unmap", "probe" };
	struct jw j;

	jw_init(&j, stdout);
	jw_obj(&j, NULL);
	jw_str(&j, "trace", path);
	jw_str(&j, "domain_format", cli_domain_format_name(o->domain_format));
	jw_u64(&j, "lines", r->lines);
	jw_u64(&j, "events", r->events);
	jw_obj(&j, "requests");
	for (int t = 1; t <= 5; t++)
		jw_u64(&j, tn[t], r->req[t]);
	jw_end(&j);
	jw_obj(&j, "statuses");
	for (int s = 0; s <= 9; s++)
		if (r->status[s])
			jw_u64(&j, s < 9 ? vdev_status_name((unsigned)s) : "none",
			       r->status[s]);
	jw_end(&j);
	jw_obj(&j, "translations");
	jw_u64(&j, "total", r->translations);
	jw_u64(&j, "translated", r->translated);
	jw_u64(&j, "passed_through", r->passthrough);
	jw_u64(&j, "faults", r->faults);
	jw_bool(&j, "checked", o->check);
	jw_end(&j);
	jw_u64(&j, "mismatches", r->mismatches);
	jw_u64(&j, "request_mismatches", r->req_mismatches);
	jw_u64(&j, "probe_mismatches", r->probe_mismatches);
	jw_u64(&j, "config_mismatches", r->config_mismatches);
	jw_obj(&j, "qemu");
	jw_u64(&j, "partial_unmaps", r->qemu_partial_unmaps);
	jw_u64(&j, "refused_attaches", r->qemu_failed_attaches);
	jw_u64(&j, "adjacent_lookups", r->adjacent_quirks);
	jw_u64(&j, "faults", r->qemu_faults);
	jw_end(&j);
	jw_u64(&j, "device_resets", r->device_resets);
	jw_u64(&j, "system_resets", r->system_resets);
	jw_u64(&j, "mappings_peak", r->mappings_peak);
	jw_u64(&j, "mapped_bytes_peak", r->bytes_peak);
	jw_obj(&j, "caches");
	jw_u64(&j, "endpoint_cache_hits", r->dev_cache_hits);
	jw_u64(&j, "atc_hits", r->atc_hits);
	jw_u64(&j, "iotlb_hits", r->iotlb_hits);
	jw_u64(&j, "iotlb_misses", r->iotlb_misses);
	jw_u64(&j, "walks", r->walks);
	jw_end(&j);
	jw_hex(&j, "iova_min", r->iova_min);
	jw_hex(&j, "iova_max", r->iova_max);
	jw_dbl(&j, "seconds", r->seconds);
	jw_dbl(&j, "lines_per_second",
	       r->seconds > 0 ? (double)r->lines / r->seconds : 0);
	jw_dbl(&j, "translations_per_second",
	       r->seconds > 0 ? (double)r->translations / r->seconds : 0);
	jw_bool(&j, "ok", !r->mismatches);
	jw_end(&j);
}

static void replay_usage(FILE *f)
{
	fprintf(f, "usage: ioas replay [--check] [--format F] [--json] "
		   "[--no-progress] TRACE...\n"
		   "  TRACE: a QEMU virtio-iommu trace log, plain or zstd, "
		   "or - for stdin\n"
		   "  --check     compare every translation with QEMU's and "
		   "exit 1 on any mismatch\n"
		   "  --format F  domain format: host (default), x86_64, "
		   "vtd_ss, arm_s1, arm_s2, amd_v1, tce\n"
		   "  --json      one JSON summary object per trace\n");
}

int cmd_replay(int argc, char **argv)
{
	struct replay_opts o = { .max_report = 10 };
	bool no_progress = false;
	int i, nfiles = 0, rc = 0;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--check")) {
			o.check = true;
		} else if (!strcmp(a, "--json")) {
			o.json = true;
		} else if (!strcmp(a, "--no-progress")) {
			no_progress = true;
		} else if (!strcmp(a, "--format") || !strncmp(a, "--format=", 9)) {
			const char *f = a[8] == '=' ? a + 9 : NULL;
			int fmt;
			if (!f) {
				if (i + 1 >= argc) {
					replay_usage(stderr);
					return 2;
				}
				f = argv[++i];
			}
			fmt = cli_domain_format(f);
			if (fmt < 0) {
				fprintf(stderr, "ioas replay: unknown domain "
					"format '%s'\n", f);
				return 2;
			}
			o.domain_format = (uint32_t)fmt;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			replay_usage(stdout);
			return 0;
		} else if (a[0] == '-' && a[1]) {
			fprintf(stderr, "ioas replay: unknown option '%s'\n", a);
			replay_usage(stderr);
			return 2;
		} else {
			argv[++nfiles] = argv[i];
		}
	}
	if (!nfiles) {
		replay_usage(stderr);
		return 2;
	}
	o.progress = !no_progress && isatty(2);
	for (i = 1; i <= nfiles; i++) {
		struct replay_result r;
		int ret = replay_file(argv[i], &o, &r);

		if (ret) {
			rc = 2;
			continue;
		}
		if (o.json)
			print_json(argv[i], &o, &r);
		else
			print_summary(argv[i], &o, &r);
		if (o.check && r.mismatches && rc == 0)
			rc = 1;
	}
	return rc;
}
