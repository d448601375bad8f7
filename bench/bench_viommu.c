/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * virtio-iommu on the shared QEMU traces (../shared/traces/): the same
 * pre-parsed events replayed
 *   - through the device: requests as request bytes on the request queue
 *     (descriptor parse, map/unmap, used ring), translations through
 *     ioas_viommu_translate;
 *   - through a baseline kept the way QEMU's device keeps mappings: a glib
 *     GTree per domain of inclusive intervals with an overlap comparator,
 *     endpoints and domains in GTrees, one recursive mutex (GRecMutex)
 *     taken per request and per translation (when glib is available);
 * and the whole-file `ioas replay --check` (decompression included).
 * Translation cost = the median over paired runs of (replay with
 * translations - replay without) / count, for the device in the baseline's
 * own loop (dev_replay: the ratio), for `ioas replay`'s loop and for the
 * baseline. Two more pairs bound what a faster cache could gain there: each
 * access asked twice (the repeat: the cache's cost when it holds the page)
 * and the loop with QEMU's own answer in place of a translation (the
 * loop's share, paid by the baseline too). The baseline's MAP/UNMAP figure
 * is a replay of the request events alone (bl_requests).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_interval.h"
#include "bench_sort.h"
#include "cli.h"
#include "trace.h"
#include "vdev.h"
#include "virtio/viommu_driver.h"

#ifdef HAVE_GLIB
#include <glib.h>
#endif

#define REPS 11

struct evs {
	struct tev *v;
	size_t n, cap;
	uint64_t translations, maps, unmaps;
};

static int load(const char *path, struct evs *e)
{
	struct trace_reader *r;
	struct tev ev;
	int ret = trace_open(path, 0, &r);

	if (ret)
		return ret;
	memset(e, 0, sizeof(*e));
	while ((ret = trace_next(r, &ev, NULL)) > 0) {
		if (e->n == e->cap) {
			size_t nc = e->cap ? e->cap * 2 : 65536;
			struct tev *nv = realloc(e->v, nc * sizeof(*nv));
			if (!nv) {
				ret = -ENOMEM;
				break;
			}
			e->v = nv;
			e->cap = nc;
		}
		e->v[e->n++] = ev;
		e->translations += ev.type == TEV_TRANSLATE;
		e->maps += ev.type == TEV_MAP;
		e->unmaps += ev.type == TEV_UNMAP;
	}
	trace_close(r);
	return ret < 0 ? ret : 0;
}

/* One replay through the device, with or without its translations. */
static double one_device(const struct evs *e, bool with, uint64_t *mism)
{
	struct replay_opts o = { .check = true, .quiet = true,
				 .skip_translations = !with };
	struct replay_result res;

	if (replay_events(e->v, e->n, &o, &res)) {
		fprintf(stderr, "replay failed\n");
		exit(1);
	}
	*mism = res.mismatches;
	return res.seconds;
}

static double best_device(const struct evs *e, bool skip, uint64_t *mism)
{
	double best = 1e30;

	for (int i = 0; i < REPS; i++) {
		double t = one_device(e, !skip, mism);

		if (t < best)
			best = t;
	}
	return best;
}

/*
 * Seconds the translations of a replay cost: the median over REPS of
 * (replay with them - replay without), each pair run back to back so this
 * VM's slow spells weigh on both alike (a difference of two best-of-N
 * figures from separate series was often noise, even negative). *without:
 * the best replay without translations; *mism: the mismatches of the
 * replays with them (the most any had). run(e, with_translations, mism) is
 * one replay.
 */
static double translate_cost(const struct evs *e,
			     double (*run)(const struct evs *, bool,
					   uint64_t *),
			     double *without, uint64_t *mism)
{
	double d[REPS];

	*without = 1e30;
	*mism = 0;
	for (int i = 0; i < REPS; i++) {
		uint64_t m_full, m_none;
		double full = run(e, true, &m_full);
		double none = run(e, false, &m_none);

		if (m_full > *mism)
			*mism = m_full;

		d[i] = full - none;
		if (none < *without)
			*without = none;
	}
	sort_doubles(d, REPS);
	return d[REPS / 2];
}


/*
 * The device side alone: the trace's ATTACH/DETACH/MAP/UNMAP requests
 * written by the driver into guest memory and posted, untimed, as the
 * guest would; then one timed ioas_viommu_kick per batch (descriptor
 * parse, request, used ring) and an untimed reap. A batch is what the
 * request queue holds (two descriptors a request); translations are left
 * out. Returns the seconds spent in the kicks.
 */
struct dev_run {
	struct vdev *d;
	struct viod *drv;
	double secs;
	uint64_t reqs, ok;
	uint32_t eps[64];
	unsigned neps;
	unsigned queued;          /* requests posted since the last kick */
	/* dev_replay: one translation cache per endpoint, as a VMM gives each
	 * emulated device */
	struct ioas_viommu_tcache *tc;
	/* the floor: each MAP and UNMAP sent with an unknown request type,
	 * which the device pops and returns with nothing done or written */
	bool floor;
};

#define DEV_FLOOR_TYPE 0x7f /* no request type */

static void dev_done(void *opaque, const struct viod_result *r)
{
	struct dev_run *x = opaque;

	x->ok += r->status == VIOMMU_S_OK;
}

static void dev_flush(struct dev_run *x)
{
	double t0;

	/* publish whatever is posted; the device processes it whether or
	 * not the ring asks for a notification */
	(void)vqd_kick(viod_rq(x->drv));
	t0 = cli_now();
	(void)ioas_viommu_kick(vdev_dev(x->d), 0);
	x->secs += cli_now() - t0;
	x->queued = 0;
	if (viod_sync(x->drv) < 0) {
		fprintf(stderr, "device requests: sync failed\n");
		exit(1);
	}
}

static void dev_driver(struct dev_run *x)
{
	if (vdev_driver_init(x->d)) {
		fprintf(stderr, "device requests: driver init failed\n");
		exit(1);
	}
	x->drv = vdev_driver(x->d);
	viod_set_done(x->drv, dev_done, x);
}

static void dev_queue(struct dev_run *x, const uint8_t *req, uint32_t len,
		      uint8_t type)
{
	if (vqd_num_free(viod_rq(x->drv)) < 2)
		dev_flush(x);
	if (viod_queue(x->drv, req, len, viod_write_len(x->drv, type), 0)) {
		fprintf(stderr, "device requests: queue failed\n");
		exit(1);
	}
	x->reqs++;
	x->queued++;
}

/* The index of endpoint ep in x->eps, added when new. */
static unsigned dev_endpoint(struct dev_run *x, uint32_t ep)
{
	/* QEMU's x86 virtio-iommu reports the MSI window on every endpoint */
	static const struct ioas_viommu_resv msi = {
		{ 0xfee00000, 0xfeefffff }, IOAS_VIOMMU_RESV_MSI, 0 };

	for (unsigned i = 0; i < x->neps; i++)
		if (x->eps[i] == ep)
			return i;
	if (x->neps == 64 ||
	    ioas_viommu_endpoint_add(vdev_dev(x->d), ep, &msi, 1) ||
	    (x->tc && ioas_viommu_tcache_init(&x->tc[x->neps], vdev_dev(x->d),
					      ep))) {
		fprintf(stderr, "device requests: endpoint %u\n", ep);
		exit(1);
	}
	x->eps[x->neps] = ep;
	return x->neps++;
}

/* The request of event i, if it is one, queued (a reset flushes the queue
 * and resets the device). */
static void dev_event(struct dev_run *x, const struct evs *e, size_t i)
{
	const struct tev *v = &e->v[i];
	uint8_t req[VIOD_REQ_MAX];
	uint32_t len;

	switch (v->type) {
	case TEV_ATTACH: {
		uint32_t flags = 0;
		/* a bypass domain when the next switch line says so */
		for (size_t j = i + 1; j < e->n && j < i + 8; j++)
			if (e->v[j].type == TEV_SWITCH_AS &&
			    e->v[j].ep == v->ep && e->v[j].flags == 0)
				flags = VIOMMU_ATTACH_F_BYPASS;
		(void)dev_endpoint(x, v->ep);
		len = viod_build_attach(req, v->dom, v->ep, flags);
		dev_queue(x, req, len, VIOMMU_T_ATTACH);
		break;
	}
	case TEV_DETACH:
		(void)dev_endpoint(x, v->ep);
		len = viod_build_detach(req, v->dom, v->ep);
		dev_queue(x, req, len, VIOMMU_T_DETACH);
		break;
	case TEV_MAP:
		len = viod_build_map(req, v->dom, v->a, v->b, v->c, v->flags);
		if (x->floor)
			req[0] = DEV_FLOOR_TYPE;
		dev_queue(x, req, len, VIOMMU_T_MAP);
		break;
	case TEV_UNMAP:
		len = viod_build_unmap(req, v->dom, v->a, v->b);
		if (x->floor)
			req[0] = DEV_FLOOR_TYPE;
		dev_queue(x, req, len, VIOMMU_T_UNMAP);
		break;
	case TEV_DEVICE_RESET:
	case TEV_SYSTEM_RESET:
		dev_flush(x);
		vdev_reset(x->d, true);
		dev_driver(x);
		break;
	default:
		break;
	}
}

static const struct ioas_viommu_config dev_config = {
	.size = sizeof(dev_config), .page_size_mask = ~0xfffull,
	.input_range = { 0, UINT64_MAX }, .domain_last = UINT32_MAX,
	.probe_size = 0x200, .bypass = 1,
};

static double device_requests(const struct evs *e, bool floor,
			      uint64_t *reqs, uint64_t *ok)
{
	struct dev_run x = { .floor = floor };

	if (vdev_create(&dev_config, &x.d)) {
		fprintf(stderr, "device requests: cannot create the device\n");
		exit(1);
	}
	dev_driver(&x);
	for (size_t i = 0; i < e->n; i++)
		dev_event(&x, e, i);
	dev_flush(&x);
	vdev_destroy(x.d);
	*reqs = x.reqs;
	*ok = x.ok;
	return x.secs;
}

static volatile uint64_t dev_sink;

/* What dev_replay_loop does with each translation when asked to. */
enum dr_mode {
	DR_ORACLE, /* takes QEMU's recorded answer: the loop's own share */
	DR_ONCE,   /* asks the device */
	DR_TWICE,  /* asks the device, then asks again at once */
};

/*
 * A replay through the device in the baseline's loop (bl_run): requests
 * queued as the guest posts them, kicked before the next translation needs
 * them (with translations or without, so a pair of runs differs only in
 * the translations), and translations through one cache per endpoint,
 * checked against QEMU's answer the way bl_run checks its own. The whole
 * loop is timed. DR_TWICE's repeat of the same access must give the same
 * answer (else a mismatch); it finds what the first left in the cache: the
 * page's entry, or the run that answered it.
 */
static inline __attribute__((always_inline)) double
dev_replay_loop(const struct evs *e, enum dr_mode mode, bool translations,
		uint64_t *mism)
{
	struct ioas_viommu_tcache tc[64];
	struct dev_run x = { .tc = tc };
	uint64_t bad = 0, sink = 0;
	uint64_t last_ep = UINT64_MAX; /* no endpoint yet */
	unsigned k = 0;
	double t0;

	if (vdev_create(&dev_config, &x.d)) {
		fprintf(stderr, "device replay: cannot create the device\n");
		exit(1);
	}
	dev_driver(&x);
	t0 = cli_now();
	for (size_t i = 0; i < e->n; i++) {
		const struct tev *v = &e->v[i];
		struct ioas_viommu_dma dma;
		uint32_t access;
		int ret;

		if (v->type != TEV_TRANSLATE) {
			dev_event(&x, e, i);
			continue;
		}
		if (x.queued)
			dev_flush(&x);
		if (!translations)
			continue;
		/* a VMM's emulated device holds its own cache: the search
		 * for it is the replay's, not the device's, so a run of
		 * translations of one endpoint pays it once */
		if (v->ep != last_ep) {
			k = dev_endpoint(&x, v->ep);
			last_ep = v->ep;
		}
		access = (v->flags & 1 ? IOAS_PROT_READ : 0) |
			 (v->flags & 2 ? IOAS_PROT_WRITE : 0);
		if (!access)
			access = IOAS_PROT_READ;
		if (mode == DR_ORACLE) {
			/* QEMU's answer; it passed what it did not translate
			 * (no _out) */
			bool tr = i + 1 < e->n &&
				  e->v[i + 1].type == TEV_TRANSLATE_OUT;

			ret = 0;
			dma.flags = tr ? 0 : IOAS_VIOMMU_DMA_BYPASS;
			dma.pa = tr ? e->v[i + 1].b : v->a;
		} else {
			ret = ioas_viommu_translate_cached(&tc[k], v->a, 1,
							   access, &dma);
		}
		if (mode == DR_TWICE) {
			struct ioas_viommu_dma d2;

			if (ioas_viommu_translate_cached(&tc[k], v->a, 1,
							 access, &d2) != ret ||
			    (!ret && (d2.pa != dma.pa || d2.flags != dma.flags)))
				bad++;
			sink += d2.pa;
		}
		if (ret == 0 && !(dma.flags & IOAS_VIOMMU_DMA_BYPASS)) {
			if (i + 1 < e->n && e->v[i + 1].type == TEV_TRANSLATE_OUT &&
			    e->v[i + 1].b != dma.pa)
				bad++;
			sink += dma.pa;
		}
	}
	dev_flush(&x);
	t0 = cli_now() - t0;
	vdev_destroy(x.d);
	dev_sink = sink; /* keep the answers live */
	*mism = bad;
	return t0;
}

/* Pairs for translate_cost: with minus without is the cost of the
 * device's translations, of asking each again, of the loop's own share.
 * The loop is inlined with its mode as a constant, so the timed loop
 * holds no test of it; with is a test in both runs of a pair, as in the
 * baseline's loop (bl_run). */
static double dev_replay(const struct evs *e, bool with, uint64_t *mism)
{
	return dev_replay_loop(e, DR_ONCE, with, mism);
}

static double dev_replay_repeat(const struct evs *e, bool with,
				uint64_t *mism)
{
	return with ? dev_replay_loop(e, DR_TWICE, true, mism)
		    : dev_replay_loop(e, DR_ONCE, true, mism);
}

static double dev_replay_oracle(const struct evs *e, bool with,
				uint64_t *mism)
{
	return dev_replay_loop(e, DR_ORACLE, with, mism);
}

static double best_device_requests(const struct evs *e, bool floor,
				   uint64_t *reqs, uint64_t *ok)
{
	double best = 1e30;

	for (int i = 0; i < REPS; i++) {
		double t = device_requests(e, floor, reqs, ok);
		if (t < best)
			best = t;
	}
	return best;
}

#ifdef HAVE_GLIB
/* ---- the baseline --------------------------------------------------------------- */

struct bl_map {
	uint64_t phys;
	uint32_t flags;
};
struct bl_dom {
	uint32_t id;
	bool bypass;
	int nep;
	GTree *mappings;
};
struct bl_ep {
	uint32_t id;
	struct bl_dom *dom;
};
struct bl {
	GRecMutex mu;
	GTree *domains, *endpoints;
	uint64_t msi_lo, msi_hi;
	bool bypass;
	uint64_t sink;
};

static gint id_cmp(gconstpointer a, gconstpointer b, gpointer u)
{
	guint x = GPOINTER_TO_UINT(a), y = GPOINTER_TO_UINT(b);

	(void)u;
	return x < y ? -1 : x > y;
}

static void dom_free(gpointer p)
{
	struct bl_dom *d = p;

	g_tree_destroy(d->mappings);
	g_free(d);
}

static void bl_init(struct bl *b)
{
	memset(b, 0, sizeof(*b));
	g_rec_mutex_init(&b->mu);
	b->domains = g_tree_new_full(id_cmp, NULL, NULL, dom_free);
	b->endpoints = g_tree_new_full(id_cmp, NULL, NULL, g_free);
	b->msi_lo = 0xfee00000;
	b->msi_hi = 0xfeefffff;
	b->bypass = true;
}

static void bl_fini(struct bl *b)
{
	g_tree_destroy(b->endpoints);
	g_tree_destroy(b->domains);
	g_rec_mutex_clear(&b->mu);
}

static void bl_detach_ep(struct bl *b, struct bl_ep *ep)
{
	struct bl_dom *d = ep->dom;

	if (!d)
		return;
	ep->dom = NULL;
	if (--d->nep == 0)
		g_tree_remove(b->domains, GUINT_TO_POINTER(d->id));
}

static void bl_attach(struct bl *b, uint32_t dom, uint32_t epid, bool bypass)
{
	struct bl_ep *ep;
	struct bl_dom *d;

	g_rec_mutex_lock(&b->mu);
	ep = g_tree_lookup(b->endpoints, GUINT_TO_POINTER(epid));
	if (!ep) {
		ep = g_new0(struct bl_ep, 1);
		ep->id = epid;
		g_tree_insert(b->endpoints, GUINT_TO_POINTER(epid), ep);
	}
	bl_detach_ep(b, ep);
	d = g_tree_lookup(b->domains, GUINT_TO_POINTER(dom));
	if (!d) {
		d = g_new0(struct bl_dom, 1);
		d->id = dom;
		d->bypass = bypass;
		d->mappings = g_tree_new_full(interval_cmp, NULL, g_free, g_free);
		g_tree_insert(b->domains, GUINT_TO_POINTER(dom), d);
	}
	d->nep++;
	ep->dom = d;
	g_rec_mutex_unlock(&b->mu);
}

static void bl_detach(struct bl *b, uint32_t dom, uint32_t epid)
{
	struct bl_ep *ep;

	g_rec_mutex_lock(&b->mu);
	ep = g_tree_lookup(b->endpoints, GUINT_TO_POINTER(epid));
	if (ep && ep->dom && ep->dom->id == dom)
		bl_detach_ep(b, ep);
	g_rec_mutex_unlock(&b->mu);
}

static void bl_map(struct bl *b, const struct tev *e)
{
	struct bl_dom *d;

	g_rec_mutex_lock(&b->mu);
	d = g_tree_lookup(b->domains, GUINT_TO_POINTER(e->dom));
	if (d && !d->bypass) {
		struct interval *k = g_new(struct interval, 1);
		struct bl_map *v = g_new(struct bl_map, 1);

		k->low = e->a;
		k->high = e->b;
		v->phys = e->c;
		v->flags = e->flags;
		if (g_tree_lookup(d->mappings, k)) {
			g_free(k);
			g_free(v);
		} else {
			g_tree_insert(d->mappings, k, v);
		}
	}
	g_rec_mutex_unlock(&b->mu);
}

static void bl_unmap(struct bl *b, const struct tev *e)
{
	struct interval iv = { e->a, e->b };
	struct bl_dom *d;
	gpointer k, v;

	g_rec_mutex_lock(&b->mu);
	d = g_tree_lookup(b->domains, GUINT_TO_POINTER(e->dom));
	while (d && g_tree_lookup_extended(d->mappings, &iv, &k, &v)) {
		const struct interval *m = k;
		if (m->low < iv.low || m->high > iv.high)
			break; /* would split: RANGE */
		g_tree_remove(d->mappings, k);
	}
	g_rec_mutex_unlock(&b->mu);
}

/* 0 with *pa, 1 passed through, -1 fault. */
static int bl_translate(struct bl *b, uint32_t epid, uint64_t addr,
			uint32_t flag, uint64_t *pa)
{
	struct interval iv = { addr, addr + 1 };
	struct bl_ep *ep;
	gpointer k, v;
	int ret = -1;

	g_rec_mutex_lock(&b->mu);
	ep = g_tree_lookup(b->endpoints, GUINT_TO_POINTER(epid));
	if (!ep) {
		ret = b->bypass ? 1 : -1;
	} else if (addr >= b->msi_lo && addr <= b->msi_hi) {
		ret = 1;
	} else if (!ep->dom) {
		ret = b->bypass ? 1 : -1;
	} else if (ep->dom->bypass) {
		ret = 1;
	} else if (g_tree_lookup_extended(ep->dom->mappings, &iv, &k, &v)) {
		const struct interval *m = k;
		const struct bl_map *mv = v;
		if (!((flag & 1) && !(mv->flags & 1)) &&
		    !((flag & 2) && !(mv->flags & 2))) {
			*pa = addr - m->low + mv->phys;
			ret = 0;
		}
	}
	g_rec_mutex_unlock(&b->mu);
	return ret;
}

/* An ATTACH of a requests-only list (bl_requests) carries what the
 * switch line after it in the whole trace said. */
#define BL_ATTACH_DECIDED 1u
#define BL_ATTACH_BYPASS 2u

/* The baseline's reading of ATTACH event i: a bypass domain when the last
 * switch line of its endpoint within the next few events says so. */
static bool bl_attach_bypass(const struct evs *e, size_t i)
{
	bool byp = false;

	for (size_t j = i + 1; j < e->n && j < i + 8; j++)
		if (e->v[j].type == TEV_SWITCH_AS && e->v[j].ep == e->v[i].ep)
			byp = e->v[j].flags == 0;
	return byp;
}

static double bl_run(const struct evs *e, bool translations, uint64_t *mism)
{
	struct bl b;
	double t0;
	uint64_t bad = 0;

	bl_init(&b);
	t0 = cli_now();
	for (size_t i = 0; i < e->n; i++) {
		const struct tev *x = &e->v[i];
		uint64_t pa = 0;

		switch (x->type) {
		case TEV_ATTACH:
			bl_attach(&b, x->dom, x->ep,
				  x->flags & BL_ATTACH_DECIDED
					  ? x->flags & BL_ATTACH_BYPASS
					  : bl_attach_bypass(e, i));
			break;
		case TEV_DETACH:
			bl_detach(&b, x->dom, x->ep);
			break;
		case TEV_MAP:
			bl_map(&b, x);
			break;
		case TEV_UNMAP:
			bl_unmap(&b, x);
			break;
		case TEV_DEVICE_RESET:
		case TEV_SYSTEM_RESET:
			g_rec_mutex_lock(&b.mu);
			g_tree_destroy(b.endpoints);
			g_tree_destroy(b.domains);
			b.domains = g_tree_new_full(id_cmp, NULL, NULL, dom_free);
			b.endpoints = g_tree_new_full(id_cmp, NULL, NULL, g_free);
			g_rec_mutex_unlock(&b.mu);
			break;
		case TEV_TRANSLATE:
			if (!translations)
				break;
			if (bl_translate(&b, x->ep, x->a, x->flags, &pa) == 0) {
				if (i + 1 < e->n &&
				    e->v[i + 1].type == TEV_TRANSLATE_OUT &&
				    e->v[i + 1].b != pa)
					bad++;
				b.sink += pa;
			}
			break;
		default:
			break;
		}
	}
	t0 = cli_now() - t0;
	bl_fini(&b);
	*mism = bad;
	return t0;
}

/*
 * Seconds of the baseline's requests alone: the best of REPS replays of
 * the trace's request events only (ATTACH, DETACH, MAP, UNMAP, resets),
 * each ATTACH carrying the bypass decision of the whole trace. The
 * device's figure times only its kicks; a replay of the whole trace would
 * add the baseline's loop over ~7 other events a request (~20-30 ns, its
 * switch mispredicted).
 */
static double bl_requests(const struct evs *e)
{
	struct evs r = { .v = malloc((e->n + 1) * sizeof(*e->v)) };
	double best = 1e30;

	if (!r.v) {
		fprintf(stderr, "baseline: out of memory\n");
		exit(1);
	}
	for (size_t i = 0; i < e->n; i++) {
		struct tev x = e->v[i];

		if (x.type == TEV_ATTACH) {
			x.flags = BL_ATTACH_DECIDED |
				  (bl_attach_bypass(e, i) ? BL_ATTACH_BYPASS : 0);
		} else if (x.type != TEV_DETACH && x.type != TEV_MAP &&
			   x.type != TEV_UNMAP && x.type != TEV_DEVICE_RESET &&
			   x.type != TEV_SYSTEM_RESET) {
			continue;
		}
		r.v[r.n++] = x;
	}
	for (int i = 0; i < REPS; i++) {
		uint64_t mism;
		double t = bl_run(&r, false, &mism);

		if (t < best)
			best = t;
	}
	free(r.v);
	return best;
}

#endif

static void bench_trace(const char *dir, const char *name)
{
	char path[1024];
	struct evs e;
	struct replay_opts ro = { .check = true, .quiet = true };
	struct replay_result rr;
	uint64_t mism = 0, dmism = 0, rmism = 0, omism = 0, reqs, dreqs, dok;
	uint64_t freqs, fok;
	double floor_ns;
	double full, req, ns_tr, dev, dev_ns, whole = 1e30, dfull, dnone, ns_dtr;
	double rfull, ronce, ns_rep, ofull, onone, ns_loop;
	int ret;

	snprintf(path, sizeof(path), "%s/%s.trace.zst", dir, name);
	ret = load(path, &e);
	if (ret) {
		printf("%-20s skipped (%s)\n", name, strerror(-ret));
		return;
	}
	reqs = e.maps + e.unmaps;
	full = translate_cost(&e, one_device, &req, &mism);
	ns_tr = e.translations ? full / (double)e.translations * 1e9 : 0;
	dfull = translate_cost(&e, dev_replay, &dnone, &dmism);
	ns_dtr = e.translations ? dfull / (double)e.translations * 1e9 : 0;
	rfull = translate_cost(&e, dev_replay_repeat, &ronce, &rmism);
	ns_rep = e.translations ? rfull / (double)e.translations * 1e9 : 0;
	ofull = translate_cost(&e, dev_replay_oracle, &onone, &omism);
	ns_loop = e.translations ? ofull / (double)e.translations * 1e9 : 0;
	for (int i = 0; i < 3; i++) {
		if (replay_file(path, &ro, &rr))
			exit(1);
		if (rr.seconds < whole)
			whole = rr.seconds;
	}
	printf("%s: %zu events, %" PRIu64 " translations, %" PRIu64
	       " MAP + %" PRIu64 " UNMAP\n", name, e.n, e.translations, e.maps,
	       e.unmaps);
	dev = best_device_requests(&e, false, &dreqs, &dok);
	dev_ns = dreqs ? dev / (double)dreqs * 1e9 : 0;
	floor_ns = best_device_requests(&e, true, &freqs, &fok);
	floor_ns = freqs ? floor_ns / (double)freqs * 1e9 : 0;
	printf("  ioas device   translate %6.1f ns (%6.2f M/s; the baseline's "
	       "loop, a cache per endpoint)\n", ns_dtr,
	       ns_dtr > 0 ? 1e3 / ns_dtr : 0);
	printf("  ioas device   repeat    %6.1f ns (each access asked again "
	       "at once, the same answer: the cache's own cost when it "
	       "holds the page)\n", ns_rep);
	printf("  the loop's own share %6.1f ns (QEMU's answer taken from "
	       "the trace: part of the translate line and of the baseline's)\n",
	       ns_loop);
	if (dmism || rmism || omism)
		printf("  (device disagreed with QEMU on %" PRIu64
		       " translations; with itself or QEMU on %" PRIu64
		       " when asked twice; the oracle loop on %" PRIu64 ")\n",
		       dmism, rmism, omism);
	printf("  ioas device   requests %6.0f ns (%5.2f M req/s; %" PRIu64
	       " requests, %" PRIu64 " OK; descriptor parse to used ring, "
	       "queue-full batches)\n", dev_ns, dev_ns > 0 ? 1e3 / dev_ns : 0,
	       dreqs, dok);
	printf("  ioas device   floor    %6.0f ns (the same requests with an "
	       "unknown type: pop, head and used ring, nothing done)\n",
	       floor_ns);
	printf("  replay        MAP/UNMAP %6.0f ns (%5.2f M req/s; with the "
	       "guest driver, one kick a request, replay bookkeeping)\n",
	       req / (double)reqs * 1e9, (double)reqs / req / 1e6);
	printf("  replay        translate %6.1f ns (%6.2f M/s; ioas replay's "
	       "loop: its checks and statistics)\n", ns_tr,
	       ns_tr > 0 ? 1e3 / ns_tr : 0);
	if (mism)
		printf("  (ioas replay's loop found %" PRIu64 " mismatches)\n",
		       mism);
	printf("  replay --check whole file: %.3f s (%" PRIu64 " lines, %"
	       PRIu64 " mismatches)\n", whole, rr.lines, rr.mismatches);
#ifdef HAVE_GLIB
	{
		uint64_t bm = 0;
		double breq, bfull = translate_cost(&e, bl_run, &breq, &bm);
		double bns = e.translations ? bfull / (double)e.translations *
						      1e9 : 0;
		double bmap = bl_requests(&e) / (double)reqs * 1e9;

		printf("  GTree+GRecMutex baseline translate %6.1f ns   "
		       "MAP/UNMAP %6.0f ns (data structure only)\n", bns, bmap);
		printf("  ratios        translate %.1fx   requests (device) "
		       "%.2fx   MAP/UNMAP (replay) %.2fx\n",
		       ns_dtr > 0 ? bns / ns_dtr : 0,
		       dev_ns > 0 ? bmap / dev_ns : 0,
		       req > 0 ? bmap / (req / (double)reqs * 1e9) : 0);
		if (bm)
			printf("  (baseline disagreed with QEMU on %" PRIu64
			       " translations)\n", bm);
	}
#else
	printf("  (glib not found: no GTree baseline)\n");
#endif
	free(e.v);
}

/* For profilers: only the device replay of one trace, n times over. */
static int profile(const char *dir, const char *name, int n, bool skip,
		   bool requests, bool loop)
{
	char path[1024];
	struct evs e;
	uint64_t mism = 0;
	double best = 1e30;

	snprintf(path, sizeof(path), "%s/%s.trace.zst", dir, name);
	if (load(path, &e))
		return 1;
	for (int i = 0; i < n; i++) {
		uint64_t r, ok;
		double t = requests ? device_requests(&e, false, &r, &ok)
			   : loop   ? dev_replay(&e, !skip, &mism)
				    : best_device(&e, skip, &mism);
		if (t < best)
			best = t;
	}
	printf("%s: best %.4f s (%s%s)\n", name, best,
	       requests ? "device requests" : skip ? "without translations"
						    : "with translations",
	       loop ? ", the baseline's loop" : "");
	free(e.v);
	return 0;
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : IOAS_TRACE_DIR;

	/* bench_viommu DIR --profile NAME N [skip|requests] [loop] */
	if (argc > 4 && !strcmp(argv[2], "--profile")) {
		bool loop = !strcmp(argv[argc - 1], "loop");
		int extra = argc - 5 - loop;
		return profile(dir, argv[3], atoi(argv[4]),
			       extra > 0 && !strcmp(argv[5], "skip"),
			       extra > 0 && !strcmp(argv[5], "requests"), loop);
	}

	printf("bench_viommu: traces from %s (best of %d runs)\n", dir, REPS);
	bench_trace(dir, "viommu-boot-strict");
	bench_trace(dir, "viommu-blk-strict");
	bench_trace(dir, "viommu-net-lazy");
	return 0;
}
