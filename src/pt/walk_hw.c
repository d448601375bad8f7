/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The hardware-style walker's public entry. The walk itself is the
 * per-format instance in pt_algo.h (algo_hw_walk): it starts at the root's
 * physical address, reads each entry from the physical address space with
 * phys_ram_ptr (no allocation, no lock), decodes it as the hardware would
 * and narrows the permissions level by level.
 *
 * The software IOMMU prepares a struct pt_hw_walker once per domain
 * (pt_hw_prepare) and calls pt_hw_walk per translation; nested walks pass
 * a pt_hw_mem whose xlate hook translates each table address first.
 */
#include <errno.h>

#include "pt.h"

#define PT_HW_MIN_SIZE (offsetof(struct ioas_pt_hw, iova_offset) + 8)
#define PT_HW_KNOWN_FLAGS (IOAS_PT_HW_F_SET_AD | IOAS_PT_HW_F_DIRTY)

int pt_hw_prepare(struct pt_hw_walker *w, const struct ioas_pt_hw *uhw)
{
	struct ioas_pt_hw hw;
	struct ioas_pt_config cfg;
	int ret;

	ret = struct_copy_in(&hw, sizeof(hw), uhw, uhw->size, PT_HW_MIN_SIZE);
	if (ret)
		return ret;
	if (hw.flags & ~PT_HW_KNOWN_FLAGS)
		return -EOPNOTSUPP;
	w->ops = pt_fmt_ops_get(hw.format);
	if (!w->ops)
		return -EOPNOTSUPP;
	memset(&cfg, 0, sizeof(cfg));
	cfg.size = sizeof(cfg);
	cfg.format = hw.format;
	cfg.input_bits = hw.input_bits;
	cfg.output_bits = hw.output_bits;
	cfg.granule_lg2 = hw.granule_lg2;
	cfg.levels = hw.levels;
	cfg.iova_offset = hw.iova_offset;
	cfg.tce_level_lg2 = hw.tce_level_lg2;
	memset(&w->g, 0, sizeof(w->g));
	ret = w->ops->geom(&w->g, &cfg, true);
	if (ret)
		return ret == -EOPNOTSUPP ? -EINVAL : ret;
	if (hw.flags & IOAS_PT_HW_F_SET_AD)
		w->g.fflags |= PT_FF_SET_AD;
	if (hw.flags & IOAS_PT_HW_F_DIRTY)
		w->g.fflags |= PT_FF_DIRTY;
	w->root_pa = hw.root_pa;
	return 0;
}

int ioas_pt_hw_walk(struct ioas_phys *phys, const struct ioas_pt_hw *hw,
		    uint64_t iova, uint32_t access, struct ioas_pt_xlate *out)
{
	struct pt_hw_walker w;
	struct pt_hw_mem mem = { phys, NULL, NULL };
	int ret;

	if (!phys || !hw || !out)
		return -EINVAL;
	ret = pt_hw_prepare(&w, hw);
	if (ret)
		return ret;
	return pt_hw_walk(&w, &mem, iova, access, out);
}
