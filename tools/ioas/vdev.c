/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The CLI's guest side of a virtio-iommu device: request bytes on a real
 * split virtqueue in guest RAM (see vdev.h).
 */
#include "vdev.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "virtio/viommu_driver.h"

struct vdev {
	struct ioas_ctx *ctx;
	struct ioas_phys *phys;
	struct ioas_viommu *v;
	struct viod *drv;         /* the shared driver side */
	struct viod_config dcfg;
	uint32_t probe_size;
	bool ready;
};

static const char *const status_names[] = {
	"OK", "IOERR", "UNSUPP", "DEVERR", "INVAL", "RANGE", "NOENT",
	"FAULT", "NOMEM",
};

const char *vdev_status_name(unsigned status)
{
	return status < 9 ? status_names[status] : NULL;
}

const char *vdev_type_name(unsigned type)
{
	static const char *const n[] = { "unknown", "attach", "detach", "map",
					  "unmap", "probe" };
	return type < 6 ? n[type] : "unknown";
}

const char *vdev_fault_reason_name(unsigned reason)
{
	static const char *const n[] = { "UNKNOWN", "DOMAIN", "MAPPING" };
	return reason < 3 ? n[reason] : "?";
}

static uint16_t ld16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}
static uint32_t ld32(const uint8_t *p)
{
	return ld16(p) | (uint32_t)ld16(p + 2) << 16;
}
static uint64_t ld64(const uint8_t *p)
{
	return ld32(p) | (uint64_t)ld32(p + 4) << 32;
}

int vdev_create(const struct ioas_viommu_config *cfg, struct vdev **out)
{
	struct ioas_viommu_config c = *cfg;
	struct vdev *d = calloc(1, sizeof(*d));
	struct ioas_phys_region ram = {
		.size = sizeof(ram), .kind = IOAS_PHYS_RAM,
		.base = VDEV_CTL_BASE,
	};
	int ret;

	if (!d)
		return -ENOMEM;
	d->probe_size = cfg->probe_size ? cfg->probe_size : 512;
	d->dcfg.ram_base = VDEV_CTL_BASE;
	d->dcfg.rq_size = 64;
	d->dcfg.eq_size = 32;
	ram.length = (viod_ram_bytes(&d->dcfg, d->probe_size) + 0xffff) &
		     ~0xffffull;
	d->dcfg.ram_size = ram.length;
	ret = ioas_ctx_create(NULL, &d->ctx);
	if (!ret)
		ret = ioas_phys_create(d->ctx, &d->phys);
	if (!ret)
		ret = ioas_phys_add(d->phys, &ram);
	if (ret)
		goto fail;
	c.ops = NULL;
	c.opaque = NULL;
	ret = ioas_viommu_create(d->ctx, d->phys, &c, &d->v);
	if (ret)
		goto fail;
	*out = d;
	return 0;
fail:
	vdev_destroy(d);
	return ret;
}

void vdev_destroy(struct vdev *d)
{
	if (!d)
		return;
	viod_destroy(d->drv);
	ioas_viommu_destroy(d->v);
	ioas_phys_destroy(d->phys);
	ioas_ctx_destroy(d->ctx);
	free(d);
}

struct ioas_viommu *vdev_dev(const struct vdev *d)
{
	return d->v;
}

struct ioas_phys *vdev_phys(const struct vdev *d)
{
	return d->phys;
}

struct viod *vdev_driver(const struct vdev *d)
{
	return d->ready ? d->drv : NULL;
}

bool vdev_driver_ready(const struct vdev *d)
{
	return d->ready;
}

uint32_t vdev_max_write(const struct vdev *d)
{
	return d->probe_size + VIOMMU_TAIL_SIZE + VIOD_WRITE_EXTRA;
}

int vdev_driver_init(struct vdev *d)
{
	int ret;

	if (d->ready)
		return 0;
	/* Negotiate everything offered, set up both queues, post event
	 * buffers. */
	if (d->drv)
		ret = viod_restart(d->drv);
	else
		ret = viod_create(d->ctx, d->phys, d->v, &d->dcfg, &d->drv);
	if (ret)
		return ret;
	d->ready = true;
	return 0;
}

void vdev_reset(struct vdev *d, bool reinit)
{
	ioas_viommu_reset(d->v);
	d->ready = false;
	if (reinit)
		(void)vdev_driver_init(d);
}

void vdev_system_reset(struct vdev *d)
{
	ioas_viommu_system_reset(d->v);
	d->ready = false;
}

int vdev_request(struct vdev *d, const void *req, uint32_t rlen, void *reply,
		 uint32_t wlen, uint32_t *used)
{
	struct viod_result r;
	int ret = vdev_driver_init(d);

	if (ret)
		return ret;
	ret = viod_send(d->drv, req, rlen, wlen, &r, reply, reply ? wlen : 0);
	if (ret)
		return ret;
	*used = r.used_len;
	return 0;
}

static int typed(int ret, uint8_t *status)
{
	if (ret < 0)
		return ret;
	*status = (uint8_t)ret;
	return 0;
}

int vdev_attach(struct vdev *d, uint32_t dom, uint32_t ep, uint32_t flags,
		uint8_t *status)
{
	int ret = vdev_driver_init(d);

	return ret ? ret : typed(viod_attach(d->drv, dom, ep, flags), status);
}

int vdev_detach(struct vdev *d, uint32_t dom, uint32_t ep, uint8_t *status)
{
	int ret = vdev_driver_init(d);

	return ret ? ret : typed(viod_detach(d->drv, dom, ep), status);
}

int vdev_map(struct vdev *d, uint32_t dom, uint64_t start, uint64_t last,
	     uint64_t pa, uint32_t flags, uint8_t *status)
{
	int ret = vdev_driver_init(d);

	return ret ? ret : typed(viod_map(d->drv, dom, start, last, pa,
					     flags), status);
}

int vdev_unmap(struct vdev *d, uint32_t dom, uint64_t start, uint64_t last,
	       uint8_t *status)
{
	int ret = vdev_driver_init(d);

	return ret ? ret : typed(viod_unmap(d->drv, dom, start, last),
				 status);
}

int vdev_probe(struct vdev *d, uint32_t ep, uint8_t *props, uint32_t size,
	       uint32_t *used, uint8_t *status)
{
	uint8_t req[VIOMMU_REQ_MAX];
	struct viod_result r;
	uint8_t *reply;
	int ret = vdev_driver_init(d);

	if (ret)
		return ret;
	if (size != d->probe_size)
		return -EINVAL;
	reply = malloc((size_t)size + VIOMMU_TAIL_SIZE);
	if (!reply)
		return -ENOMEM;
	ret = viod_send(d->drv, req, viod_build_probe(req, ep),
			size + VIOMMU_TAIL_SIZE, &r, reply,
			size + VIOMMU_TAIL_SIZE);
	if (!ret) {
		memcpy(props, reply, size);
		*used = r.used_len;
		*status = r.status;
	}
	free(reply);
	return ret;
}

int vdev_probe_resv(const uint8_t *props, uint32_t size,
		    struct ioas_viommu_resv *out, int max)
{
	uint32_t off = 0;
	int n = 0;

	while (off + 4 <= size) {
		uint16_t type = ld16(props + off) & 0xfff;
		uint16_t len = ld16(props + off + 2);

		if (type == 0)
			break;
		if (off + 4 + len > size)
			return -EINVAL;
		if (type == VIOMMU_PROBE_T_RESV_MEM) {
			if (len < 20)
				return -EINVAL;
			if (n < max) {
				memset(&out[n], 0, sizeof(out[n]));
				out[n].type = props[off + 4];
				out[n].range.start = ld64(props + off + 8);
				out[n].range.last = ld64(props + off + 16);
			}
			n++;
		}
		off += 4 + len;
	}
	return n;
}

int vdev_set_bypass(struct vdev *d, uint8_t bypass)
{
	return ioas_viommu_config_write(d->v, VIOMMU_CFG_BYPASS, &bypass, 1);
}

int vdev_poll_events(struct vdev *d,
		     void (*fn)(void *opaque, const struct vdev_fault *f),
		     void *opaque)
{
	uint8_t rec[VIOMMU_FAULT_SIZE];
	uint32_t len;
	int n = 0, ret;

	if (!d->ready)
		return 0;
	while ((ret = viod_event_next(d->drv, rec, &len)) > 0) {
		struct vdev_fault f = {
			.reason = rec[0], .flags = ld32(rec + 4),
			.endpoint = ld32(rec + 8), .address = ld64(rec + 16),
			.len = len,
		};

		if (fn)
			fn(opaque, &f);
		n++;
	}
	return ret < 0 ? ret : n;
}
