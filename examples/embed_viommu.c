/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Embedding the virtio-iommu device in a VMM (docs/embedding.md): guest
 * RAM in an ioas_phys, the device with its callbacks, endpoints with an MSI
 * window, feature negotiation and queue setup as a transport would do
 * them, a kick, translate for another emulated device's DMA, reset and
 * destroy. The "guest" here is a few lines that write a split virtqueue
 * in guest RAM by hand, as a guest driver would.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ioas/ioas.h>

#define RAM_GPA 0x40000000ull
#define RAM_SIZE (16ull << 20)
#define QSZ 8
/* guest layout of the request queue (a real guest picks these) */
#define DESC_GPA RAM_GPA
#define AVAIL_GPA (RAM_GPA + 16 * QSZ)
#define USED_GPA (RAM_GPA + 0x1000)
#define REQ_GPA (RAM_GPA + 0x2000)
#define EP_NET 0x28   /* requester ID 00:05.0 */

static uint8_t *ram;  /* the VMM's guest RAM */

static uint8_t *gpa(uint64_t a)
{
	return ram + (a - RAM_GPA);
}

static void st16(uint64_t a, uint16_t v) { memcpy(gpa(a), &v, 2); } /* LE host */
static void st32(uint64_t a, uint32_t v) { memcpy(gpa(a), &v, 4); }
static void st64(uint64_t a, uint64_t v) { memcpy(gpa(a), &v, 8); }

/* Interrupt callback: a real VMM raises the queue's MSI-X vector. */
static void notify(void *opaque, unsigned int q)
{
	(void)opaque;
	printf("interrupt: queue %u\n", q);
}

static const struct ioas_viommu_ops ops = { .notify = notify };

/* The guest: put a request (readable part) and its 4-byte tail (writable)
 * in descriptor slot `n`, publish it. */
static void guest_post(uint16_t n, const uint8_t *req, uint32_t len)
{
	uint64_t buf = REQ_GPA + n * 128u;
	uint64_t d0 = DESC_GPA + 32u * n, d1 = d0 + 16;

	memcpy(gpa(buf), req, len);
	st64(d0, buf);
	st32(d0 + 8, len);
	st16(d0 + 12, 1 /* NEXT */);
	st16(d0 + 14, (uint16_t)(2 * n + 1));
	st64(d1, buf + 64);
	st32(d1 + 8, 4);
	st16(d1 + 12, 2 /* WRITE */);
	st16(AVAIL_GPA + 4 + 2 * (n % QSZ), (uint16_t)(2 * n));
	st16(AVAIL_GPA + 2, (uint16_t)(n + 1)); /* avail idx */
}

static uint8_t guest_status(uint16_t n)
{
	return *gpa(REQ_GPA + n * 128u + 64);
}

int main(void)
{
	struct ioas_ctx *ctx;
	struct ioas_phys *phys;
	struct ioas_viommu *v;
	struct ioas_viommu_dma dma;
	uint8_t req[64];
	int ret;

	/* 1. guest RAM: the VMM's own memory, borrowed by the phys space */
	ram = calloc(1, RAM_SIZE);
	if (!ram || ioas_ctx_create(NULL, &ctx) || ioas_phys_create(ctx, &phys))
		return 1;
	struct ioas_phys_region r = { .size = sizeof(r), .kind = IOAS_PHYS_RAM,
				      .base = RAM_GPA, .length = RAM_SIZE,
				      .host = ram };
	if (ioas_phys_add(phys, &r))
		return 1;

	/* 2. the device: default features (QEMU's set), HOST domains */
	struct ioas_viommu_config cfg = { .size = sizeof(cfg), .ops = &ops };
	if (ioas_viommu_create(ctx, phys, &cfg, &v))
		return 1;

	/* 3. endpoints behind it, with the x86 MSI window as a region */
	struct ioas_viommu_resv msi = { .range = { 0xfee00000, 0xfeefffff },
					.type = IOAS_VIOMMU_RESV_MSI };
	if (ioas_viommu_endpoint_add(v, EP_NET, &msi, 1))
		return 1;

	/* 4. the transport: FEATURES_OK with what the guest accepted, then
	 *    the queue addresses the guest wrote, then DRIVER_OK */
	if (ioas_viommu_set_features(v, ioas_viommu_features(v)))
		return 1;
	struct ioas_viommu_queue q = { .size = sizeof(q), .num = QSZ,
				       .desc = DESC_GPA, .avail = AVAIL_GPA,
				       .used = USED_GPA };
	if (ioas_viommu_queue_setup(v, 0, &q))
		return 1;

	/* 5. the guest attaches endpoint 0x28 to domain 1 and maps
	 *    IOVA [0x10000, 0x1ffff] -> GPA 0x40100000, read/write */
	memset(req, 0, sizeof(req));
	req[0] = 1;                                   /* ATTACH */
	memcpy(req + 4, &(uint32_t){ 1 }, 4);         /* domain */
	memcpy(req + 8, &(uint32_t){ EP_NET }, 4);    /* endpoint */
	guest_post(0, req, 20);
	memset(req, 0, sizeof(req));
	req[0] = 3;                                   /* MAP */
	memcpy(req + 4, &(uint32_t){ 1 }, 4);
	memcpy(req + 8, &(uint64_t){ 0x10000 }, 8);   /* virt_start */
	memcpy(req + 16, &(uint64_t){ 0x1ffff }, 8);  /* virt_end */
	memcpy(req + 24, &(uint64_t){ 0x40100000 }, 8); /* phys_start */
	memcpy(req + 32, &(uint32_t){ 3 }, 4);        /* READ | WRITE */
	guest_post(1, req, 36);

	/* 6. the guest's notify write reaches the VMM: kick queue 0 */
	ret = ioas_viommu_kick(v, 0);
	printf("kick: %d requests, status %u %u\n", ret, guest_status(0),
	       guest_status(1));

	/* 7. another emulated device (the NIC) does DMA through the IOMMU */
	ret = ioas_viommu_translate(v, EP_NET, 0x10800, 256, IOAS_PROT_WRITE,
				    &dma);
	printf("dma 0x10800: %d -> 0x%" PRIx64 " (%" PRIu64 " bytes)\n", ret,
	       dma.pa, dma.length);
	if (ret || dma.pa != 0x40100800)
		return 1;
	ret = ioas_viommu_translate(v, EP_NET, 0xfee00000, 4, IOAS_PROT_WRITE,
				    &dma);
	printf("msi write: %d, untranslated %d\n", ret,
	       !!(dma.flags & IOAS_VIOMMU_DMA_BYPASS));
	ret = ioas_viommu_translate(v, EP_NET, 0x90000, 4, IOAS_PROT_READ, &dma);
	printf("unmapped: %d (fault; with an event queue set up a record goes there)\n",
	       ret);
	if (ret != -EFAULT)
		return 1;

	/* 8. the guest resets the device (status 0): all domains go */
	ioas_viommu_reset(v);
	ret = ioas_viommu_translate(v, EP_NET, 0x10800, 4, IOAS_PROT_READ, &dma);
	printf("after reset: %d\n", ret);

	ioas_viommu_destroy(v);
	ioas_phys_destroy(phys);
	ioas_ctx_destroy(ctx);
	free(ram);
	return ret == -EFAULT ? 0 : 1;
}
