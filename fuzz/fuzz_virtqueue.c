/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libFuzzer target for the split virtqueue, device side (src/virtio).
 *
 * Input layout (little-endian):
 *   0      u8   queue size: 1 << (b % 11)  (1 .. 1024)
 *   1      u8   bit 0 INDIRECT_DESC, bit 1 EVENT_IDX, bit 2 keep ring
 *               addresses unaligned, bit 3 used ring in read-only RAM
 *   2      u16  avail_base / used_base of the device
 *   4      u16  desc, avail, used offsets in RAM0 (3 x u16)
 *   10     u8   number of steps S (each 4 bytes):
 *               u16 amount added to avail idx (written into guest memory),
 *               u8 bytes the device writes per chain, u8 used length
 *   11+4S  ...  RAM0 image (the rest, up to 64 KiB; zero beyond)
 *
 * Memory map: RAM0 [0, 0xffff] (borrowed, inspected), RAM1 [0x10000,
 * 0x10fff] adjacent to it, a hole, ROM [0x20000, 0x20fff] read-only.
 *
 * After every step the target checks that guest RAM changed only inside the
 * used ring and the writable segments of the chains popped in that step,
 * that each element obeys its invariants, and that no used length exceeds
 * what was written; a violation traps.
 *
 * fuzz/replay_main.c turns it into fuzz_virtqueue_replay, which replays the
 * committed corpus as an ordinary test.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <ioas/phys.h>

#include "core/ctx.h"
#include "mem/phys.h"
#include "virtio/virtqueue.h"

#define RAM0_SIZE 0x10000u
#define RAM1_BASE 0x10000u
#define ROM_BASE 0x20000u
#define PAGE 0x1000u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t ram0[RAM0_SIZE];
static uint8_t shadow[RAM0_SIZE];
static uint8_t ram1[PAGE];
static uint8_t rom[PAGE];

#define ENSURE(c)                    \
	do {                         \
		if (!(c))            \
			__builtin_trap(); \
	} while (0)

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

/* Bytes of RAM0 the device may write during a step: the used ring and the
 * writable segments of the chains it popped. One bit per byte. */
static uint8_t allowed[RAM0_SIZE / 8];

static void allow(uint64_t addr, uint64_t len)
{
	for (uint64_t i = 0; i < len && addr + i < RAM0_SIZE; i++)
		allowed[(addr + i) / 8] |= (uint8_t)(1u << ((addr + i) % 8));
}

static void allow_elem(const struct vq_elem *elem)
{
	for (unsigned s = 0; s < elem->nr_write; s++)
		allow(elem->seg[elem->nr_read + s].addr,
		      elem->seg[elem->nr_read + s].len);
}

/* RAM0 bytes changed since the snapshot must be allowed. */
static void check_writes(void)
{
	for (uint32_t i = 0; i < RAM0_SIZE; i += 64) {
		if (!memcmp(ram0 + i, shadow + i, 64))
			continue;
		for (uint32_t j = i; j < i + 64; j++)
			ENSURE(ram0[j] == shadow[j] ||
			       (allowed[j / 8] & (1u << (j % 8))));
	}
}

static void check_elem(const struct ioas_phys *phys, const struct vq_elem *e,
		       uint32_t qsize)
{
	uint64_t rl = 0, wl = 0;

	ENSURE(e->head < qsize);
	ENSURE((unsigned)e->nr_read + e->nr_write <= VQ_ELEM_SEGS);
	for (unsigned s = 0; s < (unsigned)e->nr_read + e->nr_write; s++) {
		const struct vq_seg *g = &e->seg[s];
		struct ioas_phys_info info;

		ENSURE(g->len >= 1);
		ENSURE(g->addr + (g->len - 1) >= g->addr);
		/* every byte is RAM: check both ends and region boundaries */
		for (uint64_t pa = g->addr;;) {
			ioas_phys_lookup(phys, pa, &info);
			ENSURE(info.kind == IOAS_PHYS_RAM);
			if (s >= e->nr_read)
				ENSURE(!(info.flags & IOAS_PHYS_F_READONLY));
			if (info.range.last >= g->addr + (g->len - 1))
				break;
			pa = info.range.last + 1;
		}
		if (s < e->nr_read)
			rl += g->len;
		else
			wl += g->len;
	}
	ENSURE(rl == e->read_len && wl == e->write_len);
	ENSURE(rl + wl <= (1ull << 32));
	ENSURE(e->written <= e->write_len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ioas_ctx *ctx = NULL;
	struct ioas_phys *phys = NULL;
	struct vq *vq = NULL;
	struct vq_config c;
	struct ioas_phys_region r = { .size = sizeof(r), .kind = IOAS_PHYS_RAM };
	static struct vq_elem elem;
	static uint8_t buf[8192];
	const uint8_t *steps;
	unsigned nsteps;
	size_t img;

	if (size < 11)
		return 0;
	nsteps = data[10];
	if (size < 11 + 4 * (size_t)nsteps)
		return 0;
	steps = data + 11;
	img = size - 11 - 4 * (size_t)nsteps;
	if (img > RAM0_SIZE)
		img = RAM0_SIZE;
	memset(ram0, 0, sizeof(ram0));
	memcpy(ram0, steps + 4 * nsteps, img);
	memset(ram1, 0, sizeof(ram1));
	memset(rom, 0, sizeof(rom));

	if (ioas_ctx_create(NULL, &ctx))
		return 0;
	if (ioas_phys_create(ctx, &phys))
		goto out;
	r.base = 0;
	r.length = RAM0_SIZE;
	r.host = ram0;
	if (ioas_phys_add(phys, &r))
		goto out;
	r.base = RAM1_BASE;
	r.length = PAGE;
	r.host = ram1;
	if (ioas_phys_add(phys, &r))
		goto out;
	r.base = ROM_BASE;
	r.host = rom;
	r.flags = IOAS_PHYS_F_READONLY;
	if (ioas_phys_add(phys, &r))
		goto out;
	if (vq_create(ctx, phys, NULL, NULL, &vq))
		goto out;

	memset(&c, 0, sizeof(c));
	c.size = 1u << (data[0] % 11);
	c.features = ((data[1] & 1) ? 1ull << VIRTIO_F_INDIRECT_DESC : 0) |
		     ((data[1] & 2) ? 1ull << VIRTIO_F_EVENT_IDX : 0);
	c.avail_base = c.used_base = get16(data + 2);
	c.desc = get16(data + 4);
	c.avail = get16(data + 6);
	c.used = get16(data + 8);
	if (!(data[1] & 4)) {
		c.desc &= ~15ull;
		c.avail &= ~1ull;
		c.used &= ~3ull;
	}
	if (data[1] & 8)
		c.used = ROM_BASE;
	if (vq_setup(vq, &c))
		goto out;

	for (unsigned s = 0; s < nsteps && !vq_broken(vq); s++) {
		const uint8_t *st = steps + 4 * s;
		uint16_t idx = (uint16_t)(vq_ld16(ram0 + c.avail + 2) + get16(st));
		uint64_t used_len = vq_used_bytes(c.size);

		vq_st16(ram0 + c.avail + 2, idx);
		memcpy(shadow, ram0, sizeof(ram0));
		memset(allowed, 0, sizeof(allowed));
		allow(c.used, used_len);
		/* bounded: a well-behaved ring empties in `size` pops; the
		 * device's own used-ring writes may feed an overlapping avail
		 * ring, so stop after a few rounds without judging */
		for (uint32_t n = 0; n < 4 * c.size + 4; n++) {
			int ret;
			int64_t got;

			ret = vq_pop(vq, &elem);
			ENSURE(ret == 0 || ret == 1 || ret == -EIO);
			if (ret != 1)
				break;
			check_elem(phys, &elem, c.size);
			allow_elem(&elem);
			got = vq_elem_read(vq, &elem, 0, buf, sizeof(buf));
			ENSURE(got >= 0 && (uint64_t)got <= elem.read_len);
			got = vq_elem_read(vq, &elem, st[2], buf, st[3]);
			ENSURE(got >= 0 && (uint64_t)got <= st[3]);
			memset(buf, 0xd5, sizeof(buf));
			got = vq_elem_write(vq, &elem, 0, buf, (size_t)st[2] * 16);
			ENSURE(got >= 0 && (uint64_t)got <= elem.write_len);
			ENSURE(elem.written == (uint64_t)got);
			ENSURE(vq_push(vq, &elem, st[3]) == 0);
			/* the used length never exceeds what was written */
			{
				uint16_t pos = (uint16_t)(vq_used_idx(vq) - 1);
				uint32_t len = vq_ld32(ram0 + c.used + 4 + 8 *
						       (pos & (c.size - 1)) + 4);

				ENSURE(len <= (uint64_t)got && len <= st[3]);
			}
			check_elem(phys, &elem, c.size);
		}
		check_writes();
		(void)vq_flush(vq);
	}
out:
	vq_destroy(vq);
	ioas_phys_destroy(phys);
	ioas_ctx_destroy(ctx);
	return 0;
}
