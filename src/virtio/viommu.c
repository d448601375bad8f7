/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The virtio-iommu device (virtio 1.2+, "IOMMU Device").
 *
 * One virtio domain = one ioas_as (FULL window mode, aperture =
 * input_range, page sizes = page_size_mask) plus one software-IOMMU domain
 * mirroring it (HOST by default, or PAGING in a hardware table format), or
 * an IDENTITY domain for a bypass domain. One endpoint = one ioas_iommu
 * device in a group of its own, whose reserved regions the IOMMU reserves
 * in the address space of the domain it is attached to (so a MAP over them
 * is refused). MAP is ioas_as_map of IOAS_MAP_PHYS (through as_map_phys),
 * UNMAP is ioas_as_unmap, after the virtio rules are checked: both are
 * all-or-nothing, so a failed request changes nothing.
 *
 * The IOMMU and its address spaces live over a private ioas_phys: a
 * PAGING domain's table memory is a RAM region of that space, never of
 * the guest's (a guest cannot point a descriptor at a page table).
 * Translations are guest-physical numbers and are not checked against it.
 *
 * Requests are processed strictly in order, each parsed from its chain:
 * the device-readable part is the request (head and body, exactly the
 * size of its type), the writable part receives the tail right after
 * where the body would end (at offset 0 of the writable part; for PROBE
 * after probe_size bytes of properties). Internal errors are negative
 * errno values; status_of() is the one place they become status codes.
 *
 * Threads: the request path, config, reset and endpoint setup are
 * serialised by the caller. ioas_viommu_translate runs on any thread: it
 * reads the endpoint table (published with release stores, never
 * shrunk), the endpoint's attachment word and the global bypass word
 * (atomics), and the software IOMMU (its own scheme). Fault records go
 * to the event queue under ev_lock.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include <ioas/viommu.h>

#include "as/as.h"
#include "core/ctx.h"
#include "iommu/iommu.h"
#include "mem/phys.h"
#include "pt/pt.h"
#include "util/itree.h"
#include "virtio/viommu_wire.h"
#include "virtio/virtqueue.h"

#define RWX (IOAS_PROT_READ | IOAS_PROT_WRITE | IOAS_PROT_EXEC)

#define DEV_FEATURES_DEFAULT                                              \
	(IOAS_VIOMMU_F_INPUT_RANGE | IOAS_VIOMMU_F_DOMAIN_RANGE |          \
	 IOAS_VIOMMU_F_MAP_UNMAP | IOAS_VIOMMU_F_PROBE | IOAS_VIOMMU_F_MMIO | \
	 IOAS_VIOMMU_F_BYPASS_CONFIG | IOAS_VIRTIO_F_VERSION_1 |             \
	 IOAS_VIRTIO_F_EVENT_IDX | IOAS_VIRTIO_F_INDIRECT_DESC)
#define DEV_FEATURES_KNOWN                                                \
	(IOAS_VIOMMU_F_INPUT_RANGE | IOAS_VIOMMU_F_DOMAIN_RANGE |          \
	 IOAS_VIOMMU_F_MAP_UNMAP | IOAS_VIOMMU_F_BYPASS |                   \
	 IOAS_VIOMMU_F_PROBE | IOAS_VIOMMU_F_MMIO |                          \
	 IOAS_VIOMMU_F_BYPASS_CONFIG | IOAS_VIRTIO_F_VERSION_1 |             \
	 IOAS_VIRTIO_F_EVENT_IDX | IOAS_VIRTIO_F_INDIRECT_DESC)

#define PROBE_SIZE_MAX (1u << 16)

/* Each endpoint's translation cache (64 KiB), and how many pages of a new
 * mapping MAP puts there. The sizes come from the shared QEMU traces: with
 * these, 95+ % of a strict-mode block workload's translations hit. */
#ifndef VIOMMU_ATC_ENTRIES
#define VIOMMU_ATC_ENTRIES 1024u
#endif
#ifndef VIOMMU_PREFETCH_PAGES
#define VIOMMU_PREFETCH_PAGES 256u
#endif

/* Endpoint attachment word (ep->state). */
#define EP_UNATTACHED 0u
#define EP_TRANSLATED 1u
#define EP_BYPASS 2u

struct vdom;

struct vep {
	uint32_t id;
	_Atomic uint32_t state;        /* EP_* */
	struct ioas_iommu_dev *dev;
	struct ioas_iommu_group *grp;
	struct vdom *dom;              /* request path only */
	struct vep *dom_next;          /* endpoints of dom */
	struct ioas_viommu_resv *resv; /* immutable after add */
	uint32_t nresv;
	uint32_t nmsi;
	struct ioas_range msi[1];      /* at most one MSI region */
};

struct vdom {
	struct itree_node node;        /* [id, id] */
	bool bypass;
	struct ioas_as *as;            /* NULL for a bypass domain */
	struct ioas_domain *dom;
	struct vep *eps;
	uint32_t nep;
};

struct ioas_viommu {
	struct ioas_ctx *ctx;
	struct ioas_phys *guest;
	struct ioas_phys *tphys;       /* private: IOMMU table memory */
	struct ioas_mm *mm;
	struct ioas_iommu *mmu;
	struct ioas_viommu_ops ops;
	void *opaque;

	/* configuration */
	uint64_t features;             /* offered */
	uint64_t page_size_mask, granule;
	uint64_t in_start, in_last;
	uint32_t dom_start, dom_last;
	uint32_t probe_size;
	uint32_t domain_format;
	uint32_t queue_size_max;
	uint32_t max_domains, max_endpoints;
	uint64_t max_mappings;
	uint8_t bypass_init;

	/* state */
	uint64_t driver_features;
	uint8_t bypass;
	_Atomic uint32_t bypass_unattached; /* for translate */

	_Atomic(struct vep *) *eph;    /* open addressing by id */
	uint32_t eph_mask;
	uint32_t nep;

	struct itree doms;
	struct vdom *last_dom;         /* lookup cache */
	uint32_t ndom;

	struct vq *rq, *eq;
	pthread_mutex_t ev_lock;       /* event queue */
	struct vq_elem relem;          /* request path */
	struct vq_elem eelem;          /* under ev_lock */
	uint8_t *pbuf;                 /* probe_size + tail */

	/* statistics (request path: plain; translate: relaxed, lossy under
	 * concurrency like the ATC hit counter) */
	uint64_t requests[6], status[9], malformed;
	_Atomic uint64_t faults_reported, faults_dropped; /* written under
							    * ev_lock */
	uint64_t mappings, mappings_peak;
	_Atomic uint64_t translations, translation_faults;
};

static inline void stat_inc(_Atomic uint64_t *c)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + 1,
			      memory_order_relaxed);
}

/* ---- errno -> status: the one place --------------------------------------- */

static uint8_t status_of(int err)
{
	switch (err) {
	case 0:
		return VIOMMU_S_OK;
	case -EINVAL:
	case -EEXIST:       /* MAP over an existing mapping */
		return VIOMMU_S_INVAL;
	case -ERANGE:
	case -EOVERFLOW:
	case -EADDRINUSE:   /* MAP over a reserved region / outside aperture */
		return VIOMMU_S_RANGE;
	case -ENOENT:
		return VIOMMU_S_NOENT;
	case -EOPNOTSUPP:
		return VIOMMU_S_UNSUPP;
	case -ENOMEM:
	case -ENOSPC:       /* a cap on guest-driven growth */
		return VIOMMU_S_NOMEM;
	case -EFAULT:
		return VIOMMU_S_FAULT;
	case -EIO:
		return VIOMMU_S_IOERR;
	default:
		return VIOMMU_S_DEVERR;
	}
}

/* ---- endpoints ---------------------------------------------------------------- */

static inline uint32_t ep_hash(uint32_t id)
{
	return (id * 0x9e3779b1u) ^ (id >> 16);
}

static struct vep *ep_find(const struct ioas_viommu *v, uint32_t id)
{
	for (uint32_t i = ep_hash(id) & v->eph_mask;; i = (i + 1) & v->eph_mask) {
		struct vep *e = atomic_load_explicit(&v->eph[i],
						     memory_order_acquire);

		if (!e || e->id == id)
			return e;
	}
}

static void ep_state_set(struct vep *e, uint32_t st)
{
	atomic_store_explicit(&e->state, st, memory_order_release);
}

/* ---- domains --------------------------------------------------------------------- */

static struct vdom *dom_find(struct ioas_viommu *v, uint32_t id)
{
	struct itree_node *n;

	if (v->last_dom && v->last_dom->node.start == id)
		return v->last_dom;
	n = itree_find(&v->doms, id);
	if (!n)
		return NULL;
	v->last_dom = itree_entry(n, struct vdom, node);
	return v->last_dom;
}

static bool dom_in_range(const struct ioas_viommu *v, uint32_t id)
{
	if (!(v->features & IOAS_VIOMMU_F_DOMAIN_RANGE))
		return true;
	return id >= v->dom_start && id <= v->dom_last;
}

static void dom_free(struct ioas_viommu *v, struct vdom *d)
{
	if (d->as)
		v->mappings -= d->as->maps.count;
	if (d->dom)
		ioas_domain_destroy(d->dom);
	if (d->as)
		ioas_as_destroy(d->as);
	itree_remove(&v->doms, &d->node);
	v->ndom--;
	if (v->last_dom == d)
		v->last_dom = NULL;
	ctx_free(v->ctx, d, sizeof(*d));
}

/* A TCE table's window starts at bus address 0 and is as wide as its
 * levels decode (the format's default is the 2 GiB SPAPR window): size it
 * to the input range with 4 KiB level tables, up to the 5 levels TCE has
 * (2^57 bytes); MAPs above that get S_RANGE. */
static void tce_window(const struct ioas_viommu *v, struct ioas_pt_config *pt)
{
	uint32_t bits = v->in_last ? 64 - (uint32_t)__builtin_clzll(v->in_last)
				   : 1;

	if (bits > 12 + 5 * 9)
		bits = 12 + 5 * 9;
	if (bits < 12 + 9)
		bits = 12 + 9;
	pt->input_bits = bits;
	pt->levels = (bits - 12 + 8) / 9;
	pt->tce_level_lg2 = 12;
}

static int dom_new(struct ioas_viommu *v, uint32_t id, bool bypass,
		   struct vdom **out)
{
	struct ioas_domain_config dc;
	struct vdom *d;
	int ret;

	if (v->ndom >= v->max_domains)
		return -ENOSPC;
	d = ctx_zalloc(v->ctx, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->node.start = d->node.last = id;
	d->bypass = bypass;
	memset(&dc, 0, sizeof(dc));
	dc.size = sizeof(dc);
	if (bypass) {
		dc.type = IOAS_DOMAIN_IDENTITY;
	} else {
		struct ioas_as_config ac;

		memset(&ac, 0, sizeof(ac));
		ac.size = sizeof(ac);
		ac.window_mode = IOAS_WINDOWS_FULL;
		ac.pin_mode = IOAS_PIN_ON_MAP;
		ac.pgsize_bitmap = v->page_size_mask;
		ac.aperture.start = v->in_start;
		ac.aperture.last = v->in_last;
		ret = ioas_as_create(v->mm, &ac, &d->as);
		if (ret)
			goto err;
		as_fixed_iova_only(d->as);
		if (v->domain_format == IOAS_VIOMMU_FMT_HOST) {
			dc.type = IOAS_DOMAIN_HOST;
		} else {
			dc.type = IOAS_DOMAIN_PAGING;
			dc.pt.size = sizeof(dc.pt);
			dc.pt.format = v->domain_format - IOAS_VIOMMU_FMT_PT_BASE;
			if (dc.pt.format == IOAS_PT_FMT_TCE)
				tce_window(v, &dc.pt);
		}
	}
	ret = ioas_domain_create(v->mmu, &dc, &d->dom);
	if (ret)
		goto err;
	if (d->as) {
		ret = ioas_domain_attach_as(d->dom, d->as);
		if (ret)
			goto err;
	}
	ret = itree_insert(&v->doms, &d->node);
	if (ret) /* cannot happen: looked up before */
		goto err;
	v->ndom++;
	*out = d;
	return 0;
err:
	if (d->dom)
		ioas_domain_destroy(d->dom);
	ioas_as_destroy(d->as);
	ctx_free(v->ctx, d, sizeof(*d));
	return ret;
}

static void dom_unlink(struct vdom *d, struct vep *e)
{
	for (struct vep **pp = &d->eps; *pp; pp = &(*pp)->dom_next) {
		if (*pp == e) {
			*pp = e->dom_next;
			break;
		}
	}
	e->dom_next = NULL;
	d->nep--;
}

/* ---- requests -------------------------------------------------------------------- */

static bool negotiated(const struct ioas_viommu *v, uint64_t bit)
{
	return (v->driver_features & bit) != 0;
}

static int do_attach(struct ioas_viommu *v, const uint8_t *req)
{
	uint32_t domain = vq_ld32(req + 4), epid = vq_ld32(req + 8);
	uint32_t flags = vq_ld32(req + 12), rsv = vq_ld32(req + 16);
	struct vdom *d, *old;
	struct vep *e;
	bool bypass = flags & VIOMMU_ATTACH_F_BYPASS, created = false;
	int ret;

	if (rsv)
		return -EINVAL;
	if (flags & ~VIOMMU_ATTACH_F_BYPASS)
		return -EINVAL;
	if (bypass && !negotiated(v, IOAS_VIOMMU_F_BYPASS_CONFIG))
		return -EINVAL; /* the flag is unknown without the feature */
	e = ep_find(v, epid);
	if (!e)
		return -ENOENT;
	if (!dom_in_range(v, domain))
		return -ERANGE;
	d = dom_find(v, domain);
	if (d) {
		if (d->bypass != bypass)
			return -EINVAL;
		if (e->dom == d)
			return 0;
	} else {
		ret = dom_new(v, domain, bypass, &d);
		if (ret)
			return ret;
		created = true;
	}
	ret = ioas_iommu_group_replace(e->grp, d->dom);
	if (ret) {
		if (created)
			dom_free(v, d);
		/* the endpoint's reserved regions clash with the domain's
		 * mappings, or its page sizes: incompatible properties */
		if (ret == -EADDRINUSE || ret == -EPERM)
			ret = -EOPNOTSUPP;
		return ret;
	}
	old = e->dom;
	if (old)
		dom_unlink(old, e);
	e->dom = d;
	e->dom_next = d->eps;
	d->eps = e;
	d->nep++;
	ep_state_set(e, bypass ? EP_BYPASS : EP_TRANSLATED);
	if (old && !old->nep)
		dom_free(v, old);
	return 0;
}

static int do_detach(struct ioas_viommu *v, const uint8_t *req)
{
	uint32_t domain = vq_ld32(req + 4), epid = vq_ld32(req + 8);
	struct vep *e = ep_find(v, epid);
	struct vdom *d;

	/* reserved[8] is ignored */
	if (!e)
		return -ENOENT;
	d = dom_find(v, domain);
	if (!d || e->dom != d)
		return -EINVAL;
	ioas_iommu_group_detach(e->grp);
	ep_state_set(e, EP_UNATTACHED);
	dom_unlink(d, e);
	e->dom = NULL;
	if (!d->nep)
		dom_free(v, d);
	return 0;
}

/* The domain a MAP or UNMAP of [vs, ve] names, in the checks' shared
 * order: in domain_range (-ERANGE), existing (-ENOENT), not a bypass
 * domain and a range that is not reversed (-EINVAL). */
static int mapping_domain(struct ioas_viommu *v, uint32_t domain, uint64_t vs,
			  uint64_t ve, struct vdom **out)
{
	struct vdom *d;

	if (!dom_in_range(v, domain))
		return -ERANGE;
	d = dom_find(v, domain);
	if (!d)
		return -ENOENT;
	if (d->bypass || vs > ve)
		return -EINVAL;
	*out = d;
	return 0;
}

static int do_map(struct ioas_viommu *v, const uint8_t *req)
{
	uint32_t domain = vq_ld32(req + 4), flags = vq_ld32(req + 32);
	uint64_t vs = vq_ld64(req + 8), ve = vq_ld64(req + 16);
	uint64_t ps = vq_ld64(req + 24), len, plast, gm = v->granule - 1;
	uint32_t prot;
	struct vdom *d;
	int ret;

	if (!negotiated(v, IOAS_VIOMMU_F_MAP_UNMAP))
		return -EOPNOTSUPP;
	if (flags & ~(VIOMMU_MAP_F_READ | VIOMMU_MAP_F_WRITE | VIOMMU_MAP_F_MMIO))
		return -EINVAL;
	if ((flags & VIOMMU_MAP_F_MMIO) && !negotiated(v, IOAS_VIOMMU_F_MMIO))
		return -EINVAL;
	ret = mapping_domain(v, domain, vs, ve, &d);
	if (ret)
		return ret;
	if ((vs & gm) || (ps & gm) || ((ve + 1) & gm))
		return -ERANGE;
	if (vs < v->in_start || ve > v->in_last)
		return -ERANGE;
	len = ve - vs + 1;
	if (!len || __builtin_add_overflow(ps, len - 1, &plast))
		return -ERANGE; /* all 2^64 bytes, or phys wraps */
	if (!(flags & (VIOMMU_MAP_F_READ | VIOMMU_MAP_F_WRITE)))
		return -EINVAL; /* a mapping must grant some access */
	if (d->as->maps.count >= v->max_mappings)
		return -ENOSPC;
	if (as_reserved_overlaps(d->as, vs, ve))
		return -EADDRINUSE;
	prot = ((flags & VIOMMU_MAP_F_READ) ? IOAS_PROT_READ : 0) |
	       ((flags & VIOMMU_MAP_F_WRITE) ? IOAS_PROT_WRITE : 0) |
	       ((flags & VIOMMU_MAP_F_MMIO) ? IOAS_PROT_MMIO : 0);
	ret = as_map_phys(d->as, vs, ve, ps, prot);
	if (ret == -EOPNOTSUPP && !(prot & IOAS_PROT_READ)) {
		/* a table format without write-only entries: the spec lets
		 * the device allow reads of a WRITE-only mapping */
		prot |= IOAS_PROT_READ;
		ret = as_map_phys(d->as, vs, ve, ps, prot);
	}
	if (ret)
		return ret;
	if (++v->mappings > v->mappings_peak)
		v->mappings_peak = v->mappings;
	/* A driver maps a buffer right before the device uses it: have its
	 * translations ready in the endpoints' ATCs (up to a bound, so a huge
	 * MAP does not cost what the device may never touch). */
	for (struct vep *e = d->eps; e; e = e->dom_next)
		iommu_dev_prefetch_mapped(e->dev, d->dom, vs, ve, ps, prot,
					  VIOMMU_PREFETCH_PAGES);
	return 0;
}

static int do_unmap(struct ioas_viommu *v, const uint8_t *req)
{
	uint32_t domain = vq_ld32(req + 4);
	uint64_t vs = vq_ld64(req + 8), ve = vq_ld64(req + 16);
	struct vdom *d;
	size_t before;
	int ret;

	/* reserved[4] is ignored (the spec lets a device do so) */
	if (!negotiated(v, IOAS_VIOMMU_F_MAP_UNMAP))
		return -EOPNOTSUPP;
	ret = mapping_domain(v, domain, vs, ve, &d);
	if (ret)
		return ret;
	before = d->as->maps.count;
	ret = ioas_as_unmap(d->as, vs, ve, NULL);
	if (ret == -ENOENT) /* removed nothing: was there nothing to remove,
			     * or a mapping only partly inside (a split)? */
		return itree_first_overlap(&d->as->maps, vs, ve) ? -ERANGE : 0;
	if (ret)
		return ret;
	v->mappings -= before - d->as->maps.count;
	return 0;
}

/* PROBE: properties into v->pbuf[0 .. probe_size - 1], zero filled. */
static int do_probe(struct ioas_viommu *v, const uint8_t *req)
{
	struct vep *e = ep_find(v, vq_ld32(req + 4));
	uint8_t *p = v->pbuf;

	/* reserved[64] is ignored */
	memset(p, 0, v->probe_size);
	if (!e)
		return -ENOENT;
	for (uint32_t i = 0; i < e->nresv; i++, p += VIOMMU_RESV_MEM_SIZE) {
		vq_st16(p, VIOMMU_PROBE_T_RESV_MEM);
		vq_st16(p + 2, VIOMMU_RESV_MEM_SIZE - VIOMMU_PROP_HEAD_SIZE);
		p[4] = (uint8_t)e->resv[i].type;
		vq_st64(p + 8, e->resv[i].range.start);
		vq_st64(p + 16, e->resv[i].range.last);
	}
	return 0;
}

static uint32_t req_size(uint8_t type)
{
	switch (type) {
	case VIOMMU_T_ATTACH:
		return VIOMMU_ATTACH_SIZE;
	case VIOMMU_T_DETACH:
		return VIOMMU_DETACH_SIZE;
	case VIOMMU_T_MAP:
		return VIOMMU_MAP_SIZE;
	case VIOMMU_T_UNMAP:
		return VIOMMU_UNMAP_SIZE;
	case VIOMMU_T_PROBE:
		return VIOMMU_PROBE_SIZE;
	default:
		return 0;
	}
}

static void req_done(struct ioas_viommu *v, struct vq_elem *el, uint8_t type,
		     uint8_t status, uint32_t len)
{
	(void)vq_push(v->rq, el, len);
	if (status != VIOMMU_S_NONE && status <= VIOMMU_S_NOMEM)
		v->status[status]++;
	if (v->ops.request_done)
		v->ops.request_done(v->opaque, type, status, len);
}

/* One chain of the request queue. */
static void handle(struct ioas_viommu *v, struct vq_elem *el)
{
	uint8_t req[VIOMMU_REQ_MAX], tail[VIOMMU_TAIL_SIZE] = { 0 };
	uint32_t need;
	uint64_t toff = 0;
	int64_t n;
	uint8_t type, st;
	int err;

	if (el->read_len < VIOMMU_HEAD_SIZE ||
	    el->write_len < VIOMMU_TAIL_SIZE) {
		/* no head to parse or no room for the tail: return the
		 * buffers unwritten */
		v->requests[0]++;
		v->malformed++;
		req_done(v, el, 0, VIOMMU_S_NONE, 0);
		return;
	}
	n = vq_elem_read(v->rq, el, 0, req,
			 el->read_len < sizeof(req) ? (size_t)el->read_len
						    : sizeof(req));
	if (n < (int64_t)VIOMMU_HEAD_SIZE) {
		v->requests[0]++;
		v->malformed++;
		req_done(v, el, 0, VIOMMU_S_NONE, 0);
		return;
	}
	type = req[0];
	need = req_size(type);
	if (!need || (type == VIOMMU_T_PROBE &&
		      !(v->features & IOAS_VIOMMU_F_PROBE))) {
		/* unknown type (or PROBE not offered): write nothing */
		v->requests[0]++;
		req_done(v, el, type, VIOMMU_S_NONE, 0);
		return;
	}
	v->requests[type]++;
	if (type == VIOMMU_T_PROBE &&
	    el->write_len < (uint64_t)v->probe_size + VIOMMU_TAIL_SIZE) {
		/* properties smaller than probe_size: no property, S_INVAL;
		 * the tail goes at the end of what the driver gave */
		v->malformed++;
		memset(v->pbuf, 0, v->probe_size);
		toff = el->write_len - VIOMMU_TAIL_SIZE;
		err = -EINVAL;
	} else if (el->read_len != need || n != (int64_t)need) {
		/* short or oversized request */
		v->malformed++;
		if (type == VIOMMU_T_PROBE) {
			memset(v->pbuf, 0, v->probe_size);
			toff = v->probe_size;
		}
		err = -EINVAL;
	} else {
		switch (type) {
		case VIOMMU_T_ATTACH:
			err = do_attach(v, req);
			break;
		case VIOMMU_T_DETACH:
			err = do_detach(v, req);
			break;
		case VIOMMU_T_MAP:
			err = do_map(v, req);
			break;
		case VIOMMU_T_UNMAP:
			err = do_unmap(v, req);
			break;
		default:
			err = do_probe(v, req);
			toff = v->probe_size;
			break;
		}
	}
	st = status_of(err);
	tail[0] = st;
	if (type == VIOMMU_T_PROBE) {
		/* properties (or zeros) up to the tail, then the tail: the
		 * used length covers what was written from the start */
		memcpy(v->pbuf + toff, tail, sizeof(tail));
		n = vq_elem_write(v->rq, el, 0, v->pbuf,
				  (size_t)toff + VIOMMU_TAIL_SIZE);
	} else {
		n = vq_elem_write(v->rq, el, 0, tail, sizeof(tail));
	}
	req_done(v, el, type, st, n > 0 ? (uint32_t)n : 0);
}

int ioas_viommu_kick(struct ioas_viommu *v, unsigned int q)
{
	int count = 0, ret;

	if (!v || q > 1)
		return -EINVAL;
	if (q == 1) {
		pthread_mutex_lock(&v->ev_lock);
		ret = !vq_ready(v->eq) ? -ENODEV : vq_broken(v->eq) ? -EIO : 0;
		pthread_mutex_unlock(&v->ev_lock);
		return ret;
	}
	if (!vq_ready(v->rq))
		return -ENODEV;
	for (;;) {
		ret = vq_pop(v->rq, &v->relem);
		if (ret <= 0)
			break;
		handle(v, &v->relem);
		count++;
	}
	(void)vq_flush(v->rq);
	return ret < 0 ? ret : count;
}

/* ---- faults on the event queue -------------------------------------------------- */

static void report_fault(struct ioas_viommu *v, uint32_t ep, uint8_t reason,
			 uint32_t access, uint64_t addr)
{
	uint8_t rec[VIOMMU_FAULT_SIZE];
	uint32_t flags = VIOMMU_FAULT_F_ADDRESS;
	int ret;

	memset(rec, 0, sizeof(rec));
	if (access & IOAS_PROT_READ)
		flags |= VIOMMU_FAULT_F_READ;
	if (access & IOAS_PROT_WRITE)
		flags |= VIOMMU_FAULT_F_WRITE;
	if (access & IOAS_PROT_EXEC)
		flags |= VIOMMU_FAULT_F_EXEC;
	rec[0] = reason;
	vq_st32(rec + 4, flags);
	vq_st32(rec + 8, ep);
	vq_st64(rec + 16, addr);

	pthread_mutex_lock(&v->ev_lock);
	for (;;) {
		ret = vq_ready(v->eq) ? vq_pop(v->eq, &v->eelem) : 0;
		if (ret <= 0) {
			stat_inc(&v->faults_dropped);
			break;
		}
		if (v->eelem.write_len < VIOMMU_FAULT_SIZE) {
			/* never split a record: give the buffer back unused */
			(void)vq_push(v->eq, &v->eelem, 0);
			continue;
		}
		if (vq_elem_write(v->eq, &v->eelem, 0, rec, sizeof(rec)) !=
		    (int64_t)sizeof(rec)) {
			(void)vq_push(v->eq, &v->eelem, 0);
			stat_inc(&v->faults_dropped);
			break;
		}
		(void)vq_push(v->eq, &v->eelem, VIOMMU_FAULT_SIZE);
		stat_inc(&v->faults_reported);
		break;
	}
	if (vq_ready(v->eq))
		(void)vq_flush(v->eq);
	pthread_mutex_unlock(&v->ev_lock);
}

static uint8_t fault_reason(uint32_t r)
{
	switch (r) {
	case IOAS_FAULT_NOT_ATTACHED:
	case IOAS_FAULT_BLOCKED:
	case IOAS_FAULT_PASID_NOT_PRESENT:
		return VIOMMU_FAULT_R_DOMAIN;
	case IOAS_FAULT_NO_MAPPING:
	case IOAS_FAULT_PERMISSION:
	case IOAS_FAULT_OUTSIDE_APERTURE:
	case IOAS_FAULT_PRIV_REQUIRED:
		return VIOMMU_FAULT_R_MAPPING;
	default:
		return VIOMMU_FAULT_R_UNKNOWN;
	}
}

/* ---- translate --------------------------------------------------------------------- */

static int identity(struct ioas_viommu_dma *out, uint64_t iova, uint64_t length)
{
	out->pa = iova;
	out->length = length;
	out->prot = RWX;
	out->flags = IOAS_VIOMMU_DMA_BYPASS;
	return 0;
}

__attribute__((noinline, cold)) static int
translate_fault(struct ioas_viommu *v, uint32_t ep, uint8_t reason,
		uint32_t access, uint64_t iova, struct ioas_viommu_dma *out)
{
	memset(out, 0, sizeof(*out));
	stat_inc(&v->translation_faults);
	report_fault(v, ep, reason, access, iova);
	return -EFAULT;
}

/* A translate's argument errors (-EINVAL, -EOVERFLOW), or 0. */
static inline int translate_check(const struct ioas_viommu *v,
				  const struct ioas_viommu_dma *out,
				  uint64_t iova, uint64_t length,
				  uint32_t access)
{
	uint64_t last;

	if (__builtin_expect(!v || !out || !length || !(access & RWX) ||
				     (access & ~RWX), 0))
		return -EINVAL;
	if (__builtin_add_overflow(iova, length - 1, &last))
		return -EOVERFLOW;
	return 0;
}

/* ioas_viommu_translate of endpoint e, arguments checked. */
static inline int translate_ep(struct ioas_viommu *v, struct vep *e,
			       uint64_t iova, uint64_t length, uint32_t access,
			       struct ioas_viommu_dma *out)
{
	const uint32_t ep = e->id;
	struct ioas_iommu_xlate x;
	uint32_t st;
	int ret;

	stat_inc(&v->translations);
	/* an MSI doorbell passes untranslated, whatever the attachment */
	for (uint32_t i = 0; i < e->nmsi; i++) {
		if (iova >= e->msi[i].start && iova <= e->msi[i].last) {
			uint64_t room = e->msi[i].last - iova + 1;

			return identity(out, iova, length < room ? length : room);
		}
	}
	st = atomic_load_explicit(&e->state, memory_order_acquire);
	if (st == EP_UNATTACHED) {
		if (atomic_load_explicit(&v->bypass_unattached,
					 memory_order_relaxed))
			return identity(out, iova, length);
		return translate_fault(v, ep, VIOMMU_FAULT_R_DOMAIN, access,
				       iova, out);
	}
	if (st == EP_BYPASS)
		return identity(out, iova, length);
	ret = ioas_iommu_translate(v->mmu, e->dev, 0, iova, length, access, &x);
	if (__builtin_expect(ret == 0, 1)) {
		uint64_t pa = x.pa, len = x.length;

		/* two 8-byte loads: a merged 16-byte load of what the callee
		 * just stored as two 8-byte stores would miss store
		 * forwarding and stall on every translation */
		__asm__("" : "+r"(pa), "+r"(len));
		out->pa = pa;
		out->length = len;
		out->prot = x.prot & RWX;
		out->flags = 0;
		/* an IDENTITY binding seen mid-change is a bypass domain */
		if (pa == iova && len == length && x.prot == RWX &&
		    tag_kind(atomic_load_explicit(&e->dev->rid.tag,
						  memory_order_relaxed)) ==
			    IOAS_DOMAIN_IDENTITY)
			out->flags = IOAS_VIOMMU_DMA_BYPASS;
		return 0;
	}
	if (ret == -EFAULT) {
		/* the IOMMU kept its own record; the guest gets ours */
		struct ioas_fault f;

		while (ioas_iommu_fault_pop(v->mmu, &f) == 0)
			;
		return translate_fault(v, ep, fault_reason(x.fault.reason),
				       access, iova, out);
	}
	return ret;
}

int ioas_viommu_translate(struct ioas_viommu *v, uint32_t ep, uint64_t iova,
			  uint64_t length, uint32_t access,
			  struct ioas_viommu_dma *out)
{
	struct vep *e;
	int ret = translate_check(v, out, iova, length, access);

	if (ret)
		return ret;
	e = ep_find(v, ep);
	if (!e)
		return -ENOENT;
	return translate_ep(v, e, iova, length, access, out);
}

/* ---- the cache an emulated device holds ------------------------------------------ */

int ioas_viommu_tcache_init(struct ioas_viommu_tcache *c, struct ioas_viommu *v,
			    uint32_t ep)
{
	struct vep *e;
	int ret;

	if (!c || !v)
		return -EINVAL;
	e = ep_find(v, ep);
	if (!e)
		return -ENOENT;
	ret = ioas_iommu_tcache_init(&c->c, v->mmu, e->dev);
	if (ret)
		return ret;
	c->v = v;
	c->priv = e; /* endpoints live as long as the device */
	c->ep = ep;
	c->reserved = 0;
	return 0;
}

/* Does the 4 KiB page of iova touch an MSI region of ep (which passes
 * untranslated, so the page's answers differ within it)? The region, or
 * NULL. */
static const struct ioas_range *page_msi(const struct vep *e, uint64_t iova)
{
	uint64_t first = iova & ~(uint64_t)0xfff, last = first + 0xfff;

	for (uint32_t i = 0; i < e->nmsi; i++)
		if (e->msi[i].start <= last && first <= e->msi[i].last)
			return &e->msi[i];
	return NULL;
}

/* An entry for the page of iova, wholly inside an MSI region: it passes
 * every plain access untranslated whatever the binding, and regions never
 * change, so the entry depends on nothing but the epoch. */
static void tcache_fill_msi(struct ioas_viommu_tcache *c, uint64_t iova)
{
	static const uint64_t unchanging; /* its "invalidation counter" */

	tcache_put(&c->c, iova, RWX | IOAS_VIOMMU_TCACHE_BYPASS, 0,
		   __atomic_load_n(c->c.epoch, __ATOMIC_ACQUIRE), &unchanging);
}

/* The miss past the run: out of line, so that a run hit costs a leaf
 * call without the register saves this needs. c, out and the arguments
 * checked. */
static __attribute__((noinline)) int
tcache_miss_slow(struct ioas_viommu_tcache *c, uint64_t iova, uint64_t length,
		 uint32_t access, struct ioas_viommu_dma *out)
{
	const struct ioas_range *msi;
	struct tcache_fill f;
	struct vep *e;
	uint64_t pa;
	uint32_t prot;
	bool fill;
	int ret;

	e = (struct vep *)(uintptr_t)c->priv;
	c->c.misses++;
	/* translate_ep's answer when the ATC holds the page: a translated
	 * endpoint, the IOMMU's fast path. Its MSI rule cannot apply: the
	 * entry was filled under the endpoint's current attachment (a
	 * binding change bumps the epoch), whose domain space reserves the
	 * endpoint's regions, so the page it maps touches none of them. */
	if (atomic_load_explicit(&e->state, memory_order_acquire) ==
		    EP_TRANSLATED &&
	    tcache_refill_from_atc(&c->c, iova, length, access, &pa, &prot)) {
		stat_inc(&c->v->translations);
		out->pa = pa;
		out->length = length;
		out->prot = prot & RWX;
		out->flags = 0;
		return 0;
	}
	msi = e->nmsi ? page_msi(e, iova) : NULL;
	if (msi) {
		/* translate_ep's first rule; cached when the whole page is in */
		if (msi->start <= (iova & ~(uint64_t)0xfff) &&
		    (iova | 0xfff) <= msi->last)
			tcache_fill_msi(c, iova);
		return translate_ep(c->v, e, iova, length, access, out);
	}
	/* the endpoint's binding is a table-backed domain before and after
	 * (tcache_fill_end), and the answer is not a bypass: it came from
	 * the domain's mappings */
	fill = tcache_fill_begin(&c->c, iova, length, access, &f);
	ret = translate_ep(c->v, e, iova, length, access, out);
	if (!ret && fill && out->length == length &&
	    !(out->flags & IOAS_VIOMMU_DMA_BYPASS))
		tcache_fill_end(&c->c, &f, iova, out->pa, out->prot);
	return ret;
}

int ioas_viommu_tcache_miss(struct ioas_viommu_tcache *c, uint64_t iova,
			    uint64_t length, uint32_t access,
			    struct ioas_viommu_dma *out)
{
	const struct ioas_iommu_tcache_entry *r;
	int ret;

	if (!c || !c->v)
		return -EINVAL;
	ret = translate_check(c->v, out, iova, length, access);
	if (ret)
		return ret;
	r = tcache_run_lookup(&c->c, iova, length, access);
	if (!r)
		return tcache_miss_slow(c, iova, length, access, out);
	out->pa = iova + r->delta;
	out->length = length;
	out->prot = (uint32_t)(r->page_prot & RWX);
	out->flags = 0;
	return 0;
}

/* ---- creation ------------------------------------------------------------------------ */

static void update_bypass(struct ioas_viommu *v)
{
	uint32_t b = ((v->features & IOAS_VIOMMU_F_BYPASS_CONFIG) && v->bypass) ||
		     negotiated(v, IOAS_VIOMMU_F_BYPASS);

	atomic_store_explicit(&v->bypass_unattached, b, memory_order_release);
}

static void on_vq_notify(void *opaque, struct vq *vq)
{
	struct ioas_viommu *v = opaque;

	if (v->ops.notify)
		v->ops.notify(v->opaque, vq == v->rq ? 0u : 1u);
}

/* What create builds after the queues, freed with v itself: the end of
 * both a failed create and destroy (each part may be missing). */
static void free_core(struct ioas_viommu *v)
{
	struct ioas_ctx *ctx = v->ctx;

	ioas_iommu_destroy(v->mmu);
	ioas_mm_destroy(v->mm);
	ioas_phys_destroy(v->tphys);
	ctx_free(ctx, v->pbuf, (size_t)v->probe_size + VIOMMU_TAIL_SIZE);
	ctx_free(ctx, v->eph, (size_t)(v->eph_mask + 1) * sizeof(*v->eph));
	pthread_mutex_destroy(&v->ev_lock);
	ctx_free(ctx, v, sizeof(*v));
}

int ioas_viommu_create(struct ioas_ctx *ctx, struct ioas_phys *guest,
		       const struct ioas_viommu_config *ucfg,
		       struct ioas_viommu **out)
{
	struct ioas_viommu_config cfg;
	struct ioas_iommu_config ic;
	struct ioas_viommu *v;
	uint64_t psize;
	uint32_t cap;
	int ret;

	if (!ctx || !guest || !ucfg || !out)
		return -EINVAL;
	if (ucfg->size < sizeof(cfg))
		return -EINVAL;
	ret = struct_copy_in(&cfg, sizeof(cfg), ucfg, ucfg->size, sizeof(cfg));
	if (ret)
		return ret;
	if (cfg.flags)
		return -EOPNOTSUPP;
	if (!cfg.features)
		cfg.features = DEV_FEATURES_DEFAULT;
	if (cfg.features & ~DEV_FEATURES_KNOWN)
		return -EOPNOTSUPP;
	/* BYPASS_CONFIG supersedes BYPASS: never both */
	if ((cfg.features & IOAS_VIOMMU_F_BYPASS) &&
	    (cfg.features & IOAS_VIOMMU_F_BYPASS_CONFIG))
		return -EINVAL;
	psize = ioas_ctx_page_size(ctx);
	if (!cfg.page_size_mask)
		cfg.page_size_mask = ~(psize - 1);
	if (cfg.reserved || !(cfg.features & IOAS_VIRTIO_F_VERSION_1) ||
	    (cfg.page_size_mask & (psize - 1)) || !cfg.page_size_mask)
		return -EINVAL;
	if (!cfg.input_range.start && !cfg.input_range.last)
		cfg.input_range.last = UINT64_MAX;
	if (!cfg.domain_start && !cfg.domain_last)
		cfg.domain_last = UINT32_MAX;
	if (!cfg.probe_size)
		cfg.probe_size = 512;
	if (!cfg.queue_size_max)
		cfg.queue_size_max = 256;
	if (!cfg.max_domains)
		cfg.max_domains = 4096;
	if (!cfg.max_endpoints)
		cfg.max_endpoints = 4096;
	if (!cfg.max_mappings)
		cfg.max_mappings = 1ull << 20;
	{
		uint64_t g = cfg.page_size_mask & -cfg.page_size_mask;

		if (cfg.input_range.start > cfg.input_range.last ||
		    (cfg.input_range.start & (g - 1)) ||
		    (cfg.input_range.last != UINT64_MAX &&
		     ((cfg.input_range.last + 1) & (g - 1))) ||
		    cfg.domain_start > cfg.domain_last || cfg.bypass > 1 ||
		    cfg.probe_size > PROBE_SIZE_MAX ||
		    (cfg.probe_size & 7) ||
		    !is_pow2_u64(cfg.queue_size_max) ||
		    cfg.queue_size_max > VQ_MAX_SIZE ||
		    cfg.max_endpoints > (1u << 24) ||
		    cfg.max_domains > (1u << 24))
			return -EINVAL;
	}
	if (cfg.domain_format != IOAS_VIOMMU_FMT_HOST &&
	    (cfg.domain_format < IOAS_VIOMMU_FMT_PT_BASE ||
	     !pt_fmt_ops_get(cfg.domain_format - IOAS_VIOMMU_FMT_PT_BASE)))
		return -EINVAL;

	v = ctx_zalloc(ctx, sizeof(*v));
	if (!v)
		return -ENOMEM;
	v->ctx = ctx;
	v->guest = guest;
	if (cfg.ops)
		v->ops = *cfg.ops;
	v->opaque = cfg.opaque;
	v->features = cfg.features;
	v->page_size_mask = cfg.page_size_mask;
	v->granule = cfg.page_size_mask & -cfg.page_size_mask;
	v->in_start = cfg.input_range.start;
	v->in_last = cfg.input_range.last;
	v->dom_start = cfg.domain_start;
	v->dom_last = cfg.domain_last;
	v->probe_size = cfg.probe_size;
	v->domain_format = cfg.domain_format;
	v->queue_size_max = cfg.queue_size_max;
	v->max_domains = cfg.max_domains;
	v->max_endpoints = cfg.max_endpoints;
	v->max_mappings = cfg.max_mappings;
	v->bypass_init = v->bypass = (uint8_t)cfg.bypass;
	itree_init(&v->doms);
	pthread_mutex_init(&v->ev_lock, NULL);
	update_bypass(v);

	for (cap = 16; cap < 2 * cfg.max_endpoints; cap *= 2)
		;
	v->eph_mask = cap - 1;
	ret = -ENOMEM;
	v->eph = ctx_zalloc(ctx, (size_t)cap * sizeof(*v->eph));
	v->pbuf = ctx_zalloc(ctx, (size_t)v->probe_size + VIOMMU_TAIL_SIZE);
	if (!v->eph || !v->pbuf)
		goto err;
	ret = ioas_phys_create(ctx, &v->tphys);
	if (!ret)
		ret = ioas_mm_create(ctx, v->tphys, &v->mm);
	if (ret)
		goto err;
	memset(&ic, 0, sizeof(ic));
	ic.size = sizeof(ic);
	ic.inv_mode = IOAS_INV_STRICT;
	ic.fault_queue_len = 16;
	ic.max_devices = cfg.max_endpoints;
	ic.max_groups = cfg.max_endpoints;
	ic.max_domains = cfg.max_domains + 1;
	ret = ioas_iommu_create(ctx, v->tphys, &ic, &v->mmu);
	if (!ret)
		ret = vq_create(ctx, guest, on_vq_notify, v, &v->rq);
	if (!ret)
		ret = vq_create(ctx, guest, on_vq_notify, v, &v->eq);
	if (ret)
		goto err;
	ctx_get(ctx);
	*out = v;
	return 0;
err:
	vq_destroy(v->eq);
	vq_destroy(v->rq);
	free_core(v);
	return ret;
}

/* Detach every endpoint and free every domain. */
static void drop_domains(struct ioas_viommu *v)
{
	for (uint32_t i = 0; i <= v->eph_mask; i++) {
		struct vep *e = atomic_load_explicit(&v->eph[i],
						     memory_order_relaxed);

		if (e && e->dom) {
			ioas_iommu_group_detach(e->grp);
			ep_state_set(e, EP_UNATTACHED);
			e->dom = NULL;
			e->dom_next = NULL;
		}
	}
	for (struct itree_node *n; (n = itree_first(&v->doms));) {
		struct vdom *d = itree_entry(n, struct vdom, node);

		d->eps = NULL;
		d->nep = 0;
		dom_free(v, d);
	}
	v->mappings = 0;
}

void ioas_viommu_destroy(struct ioas_viommu *v)
{
	struct ioas_ctx *ctx;

	if (!v)
		return;
	ctx = v->ctx;
	drop_domains(v);
	vq_destroy(v->eq);
	vq_destroy(v->rq);
	for (uint32_t i = 0; i <= v->eph_mask; i++) {
		struct vep *e = atomic_load_explicit(&v->eph[i],
						     memory_order_relaxed);

		if (!e)
			continue;
		ioas_iommu_dev_remove(e->dev);
		ctx_free(ctx, e->resv, e->nresv * sizeof(*e->resv));
		ctx_free(ctx, e, sizeof(*e));
	}
	free_core(v);
	ctx_put(ctx);
}

static bool ranges_overlap(const struct ioas_range *a, const struct ioas_range *b)
{
	return a->start <= b->last && b->start <= a->last;
}

int ioas_viommu_endpoint_add(struct ioas_viommu *v, uint32_t id,
			     const struct ioas_viommu_resv *resv, size_t nresv)
{
	struct ioas_iommu_dev_config dc;
	struct ioas_range rr[DEV_MAX_RESV];
	struct vep *e;
	uint32_t nmsi = 0, slot;
	int ret;

	if (!v || (nresv && !resv) || nresv > DEV_MAX_RESV ||
	    nresv * VIOMMU_RESV_MEM_SIZE > v->probe_size)
		return -EINVAL;
	for (size_t i = 0; i < nresv; i++) {
		if (resv[i].reserved || resv[i].type > IOAS_VIOMMU_RESV_MSI ||
		    resv[i].range.start > resv[i].range.last)
			return -EINVAL;
		if (resv[i].type == IOAS_VIOMMU_RESV_MSI && ++nmsi > 1)
			return -EINVAL; /* one MSI property per endpoint */
		for (size_t j = 0; j < i; j++)
			if (ranges_overlap(&resv[i].range, &resv[j].range))
				return -EINVAL;
		rr[i] = resv[i].range;
	}
	if (ep_find(v, id))
		return -EEXIST;
	if (v->nep >= v->max_endpoints)
		return -ENOSPC;
	e = ctx_zalloc(v->ctx, sizeof(*e));
	if (!e)
		return -ENOMEM;
	if (nresv) {
		e->resv = ctx_zalloc(v->ctx, nresv * sizeof(*e->resv));
		if (!e->resv) {
			ctx_free(v->ctx, e, sizeof(*e));
			return -ENOMEM;
		}
		memcpy(e->resv, resv, nresv * sizeof(*e->resv));
	}
	e->id = id;
	e->nresv = (uint32_t)nresv;
	for (size_t i = 0; i < nresv; i++)
		if (resv[i].type == IOAS_VIOMMU_RESV_MSI)
			e->msi[e->nmsi++] = resv[i].range;
	memset(&dc, 0, sizeof(dc));
	dc.size = sizeof(dc);
	dc.id = id;
	dc.group_id = id;
	dc.resv = nresv ? rr : NULL;
	dc.nr_resv = (uint32_t)nresv;
	dc.atc_entries = VIOMMU_ATC_ENTRIES;
	ret = ioas_iommu_dev_add(v->mmu, &dc, &e->dev);
	if (ret) {
		ctx_free(v->ctx, e->resv, nresv * sizeof(*e->resv));
		ctx_free(v->ctx, e, sizeof(*e));
		return ret == -ENOSPC ? -ENOSPC : ret;
	}
	e->grp = ioas_iommu_dev_group(e->dev);
	for (slot = ep_hash(id) & v->eph_mask;
	     atomic_load_explicit(&v->eph[slot], memory_order_relaxed);
	     slot = (slot + 1) & v->eph_mask)
		;
	atomic_store_explicit(&v->eph[slot], e, memory_order_release);
	v->nep++;
	return 0;
}

/* ---- transport --------------------------------------------------------------------- */

uint64_t ioas_viommu_features(const struct ioas_viommu *v)
{
	return v ? v->features : 0;
}

int ioas_viommu_set_features(struct ioas_viommu *v, uint64_t f)
{
	if (!v || (f & ~v->features) || !(f & IOAS_VIRTIO_F_VERSION_1))
		return -EINVAL;
	v->driver_features = f;
	update_bypass(v);
	return 0;
}

static void config_image(const struct ioas_viommu *v, uint8_t *c)
{
	memset(c, 0, VIOMMU_CFG_SIZE);
	vq_st64(c + VIOMMU_CFG_PAGE_SIZE_MASK, v->page_size_mask);
	vq_st64(c + VIOMMU_CFG_INPUT_START, v->in_start);
	vq_st64(c + VIOMMU_CFG_INPUT_END, v->in_last);
	vq_st32(c + VIOMMU_CFG_DOMAIN_START, v->dom_start);
	vq_st32(c + VIOMMU_CFG_DOMAIN_END, v->dom_last);
	vq_st32(c + VIOMMU_CFG_PROBE_SIZE,
		(v->features & IOAS_VIOMMU_F_PROBE) ? v->probe_size : 0);
	c[VIOMMU_CFG_BYPASS] =
		(v->features & IOAS_VIOMMU_F_BYPASS_CONFIG) ? v->bypass : 0;
}

int ioas_viommu_config_read(const struct ioas_viommu *v, uint32_t offset,
			    void *buf, uint32_t len)
{
	uint8_t c[VIOMMU_CFG_SIZE];

	if (!v || (len && !buf) || offset > VIOMMU_CFG_SIZE ||
	    len > VIOMMU_CFG_SIZE - offset)
		return -EINVAL;
	config_image(v, c);
	memcpy(buf, c + offset, len);
	return 0;
}

int ioas_viommu_config_write(struct ioas_viommu *v, uint32_t offset,
			     const void *buf, uint32_t len)
{
	uint8_t b;

	if (!v || (len && !buf) || offset > VIOMMU_CFG_SIZE ||
	    len > VIOMMU_CFG_SIZE - offset)
		return -EINVAL;
	/* only bypass is driver-writable, and only with BYPASS_CONFIG
	 * negotiated; values other than 0 and 1 are ignored */
	if (offset > VIOMMU_CFG_BYPASS || offset + len <= VIOMMU_CFG_BYPASS ||
	    !negotiated(v, IOAS_VIOMMU_F_BYPASS_CONFIG))
		return 0;
	b = ((const uint8_t *)buf)[VIOMMU_CFG_BYPASS - offset];
	if (b > 1)
		return 0;
	if (b != v->bypass) {
		v->bypass = b;
		update_bypass(v);
	}
	return 0;
}

int ioas_viommu_queue_setup(struct ioas_viommu *v, unsigned int q,
			    const struct ioas_viommu_queue *qc)
{
	struct vq_config c;
	int ret;

	if (!v || q > 1 || !qc || qc->size < sizeof(*qc) ||
	    !is_pow2_u64(qc->num) || qc->num > v->queue_size_max)
		return -EINVAL;
	memset(&c, 0, sizeof(c));
	c.size = qc->num;
	c.desc = qc->desc;
	c.avail = qc->avail;
	c.used = qc->used;
	c.features = v->driver_features;
	if (q == 0)
		return vq_setup(v->rq, &c);
	pthread_mutex_lock(&v->ev_lock);
	ret = vq_setup(v->eq, &c);
	pthread_mutex_unlock(&v->ev_lock);
	return ret;
}

void ioas_viommu_reset(struct ioas_viommu *v)
{
	if (!v)
		return;
	drop_domains(v);
	vq_reset(v->rq);
	pthread_mutex_lock(&v->ev_lock);
	vq_reset(v->eq);
	pthread_mutex_unlock(&v->ev_lock);
	v->driver_features = 0;
	update_bypass(v); /* bypass itself survives a device reset */
}

void ioas_viommu_system_reset(struct ioas_viommu *v)
{
	if (!v)
		return;
	v->bypass = v->bypass_init;
	ioas_viommu_reset(v);
}

void ioas_viommu_get_stats(const struct ioas_viommu *v,
			   struct ioas_viommu_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (!v)
		return;
	memcpy(out->requests, v->requests, sizeof(out->requests));
	memcpy(out->status, v->status, sizeof(out->status));
	out->malformed = v->malformed;
	out->faults_reported = atomic_load_explicit(&v->faults_reported,
						    memory_order_relaxed);
	out->faults_dropped = atomic_load_explicit(&v->faults_dropped,
						   memory_order_relaxed);
	out->domains = v->ndom;
	out->endpoints = v->nep;
	out->mappings = v->mappings;
	out->mappings_peak = v->mappings_peak;
	out->translations = atomic_load_explicit(&v->translations,
						 memory_order_relaxed);
	out->translation_faults =
		atomic_load_explicit(&v->translation_faults,
				     memory_order_relaxed);
}

struct ioas_iommu *ioas_viommu_iommu(const struct ioas_viommu *v)
{
	return v ? v->mmu : NULL;
}
