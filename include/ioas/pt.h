/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Page tables in the real hardware encodings of ARM, Intel, AMD and POWER.
 *
 * An ioas_pt is one I/O page table: a root table and the tables below it,
 * all living in an ioas_phys physical address space at physical addresses
 * a hardware model can walk. The same map/unmap/walk algorithm serves every
 * format; only the entry encodings differ.
 *
 * Levels: level 0 holds the smallest pages; the root is level `levels - 1`.
 * Ranges are [start, last] inclusive. Sizes ending in _lg2 are log2.
 *
 * Table memory: by default the table takes RAM chunks of 2^chunk_lg2 bytes
 * (owned, zeroed host memory) and adds them to the physical address space
 * inside a window it reserves from a hole (the highest hole of up to 4 GiB
 * below 2^output_bits), or at table_base with IOAS_PT_F_TABLE_BASE. With
 * IOAS_PT_F_TABLES_IN_REGION it instead takes pages from the RAM region
 * that starts at table_base (e.g. guest RAM), which it pins against removal
 * while the table exists; the caller must not use those pages otherwise.
 *
 * Threads: calls on one table must be serialised by the caller; the
 * hardware walker may run concurrently with map (it sees each entry either
 * before or after it is written) but not with unmap or destroy.
 */
#ifndef IOAS_PT_H
#define IOAS_PT_H

#include "phys.h"

#ifdef __cplusplus
extern "C" {
#endif

struct ioas_pt;

enum ioas_pt_format {
	/* x86-64 4-/5-level paging, also the Intel VT-d first-stage table. */
	IOAS_PT_FMT_X86_64 = 1,
	/* Intel VT-d second-stage table (3-, 4- or 5-level). */
	IOAS_PT_FMT_VTD_SS = 2,
	/* ARM VMSAv8-64 long descriptors, stage 1 and stage 2. */
	IOAS_PT_FMT_ARM_S1 = 3,
	IOAS_PT_FMT_ARM_S2 = 4,
	/* AMD-Vi (AMD IOMMU) v1 host page table. */
	IOAS_PT_FMT_AMD_V1 = 5,
	/* IBM POWER TCE table (one DMA window, 1 to 5 levels). */
	IOAS_PT_FMT_TCE = 6,
};

/* ioas_pt_config.flags */
#define IOAS_PT_F_TABLE_BASE (1u << 0)       /* owned chunks at table_base */
#define IOAS_PT_F_TABLES_IN_REGION (1u << 1) /* pages of the region at table_base */
#define IOAS_PT_F_DIRTY (1u << 2)            /* encode for dirty tracking */

/* ioas_pt_config.quirks */
#define IOAS_PT_Q_NO_LARGE (1u << 0)  /* only the smallest page size */
#define IOAS_PT_Q_NO_CONTIG (1u << 1) /* ARM: no contiguous hint; AMD: no
				       * NextLevel=7 sizes */

struct ioas_pt_config {
	uint32_t size;         /* sizeof(struct ioas_pt_config) */
	uint32_t flags;        /* IOAS_PT_F_* */
	uint32_t format;       /* enum ioas_pt_format */
	uint32_t input_bits;   /* IOVA bits; 0 = the format's default; clamped */
	uint32_t output_bits;  /* PA bits; 0 = the format's maximum; clamped */
	uint32_t granule_lg2;  /* ARM: 12, 14 or 16; TCE: IOMMU page size 12,
				* 16, 21, 24, 28 or 30; others 12; 0 = 12 */
	uint32_t levels;       /* 0 = fewest that cover input_bits */
	uint32_t quirks;       /* IOAS_PT_Q_* */
	uint64_t table_base;   /* see IOAS_PT_F_TABLE_BASE / _TABLES_IN_REGION */
	uint64_t iova_offset;  /* TCE: bus address of the window; others 0 */
	uint32_t tce_level_lg2; /* TCE: bytes of one level's table (0 = chosen
				 * as Linux powernv does, min 4 KiB) */
	uint32_t chunk_lg2;    /* owned table memory chunk; 0 = 18 (256 KiB) */
	uint64_t reserved;     /* must be 0 */
};

/* What a table provides after clamping. */
struct ioas_pt_info {
	uint32_t size;          /* sizeof(struct ioas_pt_info), set by caller */
	uint32_t flags;         /* the config flags in effect */
	uint32_t format;
	uint32_t levels;        /* root is level levels - 1 */
	uint32_t input_bits;
	uint32_t output_bits;
	uint32_t granule_lg2;
	uint32_t table_lg2;     /* bytes of a (non-root) table */
	uint64_t pgsize_bitmap; /* bit n set: 2^n byte pages can be mapped */
	struct ioas_range aperture; /* IOVAs that can be mapped */
	uint64_t root_pa;       /* physical address of the root table */
	uint64_t root_bytes;
	uint64_t table_pages;   /* non-root tables in use */
	uint64_t table_bytes;   /* bytes of tables in use, root included */
	uint64_t reserved_bytes; /* RAM held for tables (chunks, root) */
};

/*
 * Create an empty table in phys (which must outlive it).
 * -EINVAL: size too small, reserved not zero, iova_offset for a non-TCE
 *          format or not aligned to the window, bad table region or base
 * -EOPNOTSUPP: unknown flag, quirk or format; granule or levels the format
 *          does not have
 * -E2BIG: unknown non-zero tail; -ENOSPC: no hole for table memory;
 * -EEXIST: table_base overlaps a region; -ENOMEM
 */
IOAS_EXPORT int ioas_pt_create(struct ioas_phys *phys,
			       const struct ioas_pt_config *cfg,
			       struct ioas_pt **out) IOAS_WARN_UNUSED;

/* Free every table and the table memory. Never fails; NULL is ignored. */
IOAS_EXPORT void ioas_pt_destroy(struct ioas_pt *pt);

/* Fill info (up to info->size bytes). -EINVAL: size too small. */
IOAS_EXPORT int ioas_pt_get_info(const struct ioas_pt *pt,
				 struct ioas_pt_info *info);

/*
 * Map [iova, last] to [pa, pa + last - iova] with prot (IOAS_PROT_*), using
 * the largest page sizes that the alignment of iova and pa allows.
 * -EINVAL: last < iova, iova/last+1/pa not aligned to the smallest page,
 *          no READ or WRITE in prot
 * -ERANGE: outside the aperture, or pa beyond output_bits
 * -EOPNOTSUPP: prot the format cannot express (write-only on x86, ARM S1)
 * -EEXIST: something is already mapped in the range
 * -ENOMEM: out of table memory
 * On failure the table is exactly as before.
 */
IOAS_EXPORT int ioas_pt_map(struct ioas_pt *pt, uint64_t iova, uint64_t last,
			    uint64_t pa, uint32_t prot) IOAS_WARN_UNUSED;

/*
 * Unmap every page in [iova, last]; tables that become empty are freed.
 * Never allocates. *unmapped (may be NULL) receives the bytes removed.
 * Unmapping nothing succeeds with 0.
 * -EINVAL: last < iova or not aligned to the smallest page
 * -ERANGE: outside the aperture
 * -ENOENT: a page (block, contiguous run, large page) is only partly
 *          inside the range; nothing is removed. Use ioas_pt_split first.
 */
IOAS_EXPORT int ioas_pt_unmap(struct ioas_pt *pt, uint64_t iova, uint64_t last,
			      uint64_t *unmapped);

/*
 * Make iova a page boundary: the page that contains both iova - 1 and iova
 * is replaced by smaller pages with the same translation and permissions
 * (dirty state kept). Nothing to do succeeds.
 * -EINVAL: iova not aligned to the smallest page; -ERANGE; -ENOMEM (the
 * table is unchanged).
 */
IOAS_EXPORT int ioas_pt_split(struct ioas_pt *pt, uint64_t iova)
	IOAS_WARN_UNUSED;

/* The physical address iova translates to. -ENOENT: not mapped; -ERANGE */
IOAS_EXPORT int ioas_pt_iova_to_phys(const struct ioas_pt *pt, uint64_t iova,
				     uint64_t *pa);

/* A mapped page, as walk and the dirty reader report it. */
struct ioas_pt_leaf {
	uint64_t iova;      /* first IOVA of the page */
	uint64_t pa;        /* its physical address */
	uint32_t size_lg2;  /* page size */
	uint32_t prot;      /* IOAS_PROT_* the entry grants */
	uint32_t level;     /* level of the entry */
	uint32_t dirty;     /* 1 if the entry is dirty */
};

/*
 * Visit, in IOVA order, every page that intersects [iova, last]. Stops
 * when fn returns non-zero and returns that value; 0 otherwise.
 * -EINVAL: last < iova.
 */
IOAS_EXPORT int ioas_pt_walk(const struct ioas_pt *pt, uint64_t iova,
			     uint64_t last,
			     int (*fn)(void *opaque,
				       const struct ioas_pt_leaf *leaf),
			     void *opaque);

/* ioas_pt_read_dirty flags */
#define IOAS_PT_DIRTY_NO_CLEAR (1u << 0) /* report without clearing */

/*
 * Report each dirty page intersecting [iova, last] to fn (which may be
 * NULL) and clear its dirty state unless IOAS_PT_DIRTY_NO_CLEAR.
 * Returns the number of dirty pages found, or:
 * -EOPNOTSUPP: the table was not created with IOAS_PT_F_DIRTY, the format
 *              has no dirty bit (TCE), or an unknown flag
 * -EINVAL: last < iova.
 */
IOAS_EXPORT int64_t ioas_pt_read_dirty(struct ioas_pt *pt, uint64_t iova,
				       uint64_t last, uint32_t flags,
				       int (*fn)(void *opaque,
						 const struct ioas_pt_leaf *leaf),
				       void *opaque);

/*
 * The hardware view: what a device/context entry, TTBR+TCR, DTE or TVE
 * would hold, enough for a hardware-style walk from the root's physical
 * address. ioas_pt_get_hw fills it for a table; a device model may also
 * fill it from guest-programmed registers.
 */
#define IOAS_PT_HW_F_SET_AD (1u << 0) /* set accessed/dirty bits like
				       * hardware with A/D update (HTTU) */
#define IOAS_PT_HW_F_DIRTY (1u << 1)  /* dirty tracking enabled (ARM DBM,
				       * VT-d SLADE, AMD HAD) */

struct ioas_pt_hw {
	uint32_t size;         /* sizeof(struct ioas_pt_hw) */
	uint32_t flags;        /* IOAS_PT_HW_F_* */
	uint32_t format;       /* enum ioas_pt_format */
	uint32_t levels;       /* root at level levels - 1 (x86 4/5, AMD mode,
				* ARM start level, TCE levels) */
	uint32_t input_bits;
	uint32_t output_bits;
	uint32_t granule_lg2;
	uint32_t tce_level_lg2;
	uint64_t root_pa;
	uint64_t iova_offset;  /* TCE window bus offset */
};

/* Fault reasons */
enum ioas_pt_fault {
	IOAS_PT_FAULT_NONE = 0,
	IOAS_PT_FAULT_TRANSLATION = 1, /* entry not present / invalid */
	IOAS_PT_FAULT_ADDR_SIZE = 2,   /* input beyond the table, or an output
					* or table address beyond output_bits */
	IOAS_PT_FAULT_RESERVED = 3,    /* reserved bits set / bad encoding */
	IOAS_PT_FAULT_ACCESS_FLAG = 4, /* ARM AF = 0 */
	IOAS_PT_FAULT_PERM = 5,        /* access not permitted */
	IOAS_PT_FAULT_BUS = 6,         /* table memory is not readable RAM */
};

struct ioas_pt_xlate {
	uint64_t pa;        /* output address of the walked iova */
	uint32_t size_lg2;  /* size of the page that maps it */
	uint32_t prot;      /* IOAS_PROT_* granted (hierarchical) */
	uint32_t level;     /* level of the leaf, or of the faulting entry */
	uint32_t fault;     /* enum ioas_pt_fault */
	uint64_t entry;     /* the leaf or faulting entry (as read) */
};

/* The hardware view of a table. -EINVAL: hw->size too small. */
IOAS_EXPORT int ioas_pt_get_hw(const struct ioas_pt *pt, struct ioas_pt_hw *hw);

/*
 * Walk like hardware from hw->root_pa, reading entries from phys. access
 * (IOAS_PROT_*, may be 0) is checked against the entries' permissions.
 * 0: translated, *out filled. -EFAULT: a fault, described in *out.
 * -EINVAL: a bad hw description; -EOPNOTSUPP: unknown format or flag.
 */
IOAS_EXPORT int ioas_pt_hw_walk(struct ioas_phys *phys,
				const struct ioas_pt_hw *hw, uint64_t iova,
				uint32_t access, struct ioas_pt_xlate *out);

#ifdef __cplusplus
}
#endif

#endif
