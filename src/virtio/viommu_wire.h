/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * virtio-iommu wire layout (virtio 1.2+ "IOMMU Device"; the same values and
 * offsets as linux/virtio_iommu.h), shared by the device (viommu.c), the
 * driver side (viommu_driver.c), tests and the fuzz target. Everything on
 * the wire is little endian; we never overlay structs on guest bytes, we
 * load and store fields at these offsets.
 */
#ifndef IOAS_VIRTIO_VIOMMU_WIRE_H
#define IOAS_VIRTIO_VIOMMU_WIRE_H

#include <ioas/viommu.h>

/* Feature bit numbers. */
#define VIOMMU_F_INPUT_RANGE 0
#define VIOMMU_F_DOMAIN_RANGE 1
#define VIOMMU_F_MAP_UNMAP 2
#define VIOMMU_F_BYPASS 3
#define VIOMMU_F_PROBE 4
#define VIOMMU_F_MMIO 5
#define VIOMMU_F_BYPASS_CONFIG 6

/* Request types. */
#define VIOMMU_T_ATTACH 1
#define VIOMMU_T_DETACH 2
#define VIOMMU_T_MAP 3
#define VIOMMU_T_UNMAP 4
#define VIOMMU_T_PROBE 5

/* Status codes. */
#define VIOMMU_S_OK 0
#define VIOMMU_S_IOERR 1
#define VIOMMU_S_UNSUPP 2
#define VIOMMU_S_DEVERR 3
#define VIOMMU_S_INVAL 4
#define VIOMMU_S_RANGE 5
#define VIOMMU_S_NOENT 6
#define VIOMMU_S_FAULT 7
#define VIOMMU_S_NOMEM 8
/* Not a wire value: the request_done callback's status for a request
 * returned without a status (used length 0). */
#define VIOMMU_S_NONE 0xff

#define VIOMMU_ATTACH_F_BYPASS 1u
#define VIOMMU_MAP_F_READ 1u
#define VIOMMU_MAP_F_WRITE 2u
#define VIOMMU_MAP_F_MMIO 4u

#define VIOMMU_PROBE_T_NONE 0
#define VIOMMU_PROBE_T_RESV_MEM 1
#define VIOMMU_RESV_MEM_T_RESERVED 0
#define VIOMMU_RESV_MEM_T_MSI 1

#define VIOMMU_FAULT_R_UNKNOWN 0
#define VIOMMU_FAULT_R_DOMAIN 1
#define VIOMMU_FAULT_R_MAPPING 2
#define VIOMMU_FAULT_F_READ 1u
#define VIOMMU_FAULT_F_WRITE 2u
#define VIOMMU_FAULT_F_EXEC 4u
#define VIOMMU_FAULT_F_ADDRESS 0x100u

/*
 * Sizes: the device-readable part of each request (head and body, the
 * tail excluded) and the device-writable tail.
 *   head      u8 type, u8 reserved[3]                                  4
 *   ATTACH    head, le32 domain, le32 endpoint, le32 flags, u8 rsv[4]  20
 *   DETACH    head, le32 domain, le32 endpoint, u8 reserved[8]         20
 *   MAP       head, le32 domain, le64 virt_start, le64 virt_end,
 *             le64 phys_start, le32 flags                              36
 *   UNMAP     head, le32 domain, le64 virt_start, le64 virt_end,
 *             u8 reserved[4]                                           28
 *   PROBE     head, le32 endpoint, u8 reserved[64]                     72
 *             (writable: u8 properties[probe_size], then the tail)
 *   tail      u8 status, u8 reserved[3]                                4
 */
#define VIOMMU_HEAD_SIZE 4u
#define VIOMMU_TAIL_SIZE 4u
#define VIOMMU_ATTACH_SIZE 20u
#define VIOMMU_DETACH_SIZE 20u
#define VIOMMU_MAP_SIZE 36u
#define VIOMMU_UNMAP_SIZE 28u
#define VIOMMU_PROBE_SIZE 72u
#define VIOMMU_REQ_MAX 72u

/* PROBE property RESV_MEM: le16 type, le16 length (20), u8 subtype,
 * u8 reserved[3], le64 start, le64 end. */
#define VIOMMU_PROP_HEAD_SIZE 4u
#define VIOMMU_RESV_MEM_SIZE 24u

/* Fault record on the event queue: u8 reason, u8 reserved[3], le32 flags,
 * le32 endpoint, u8 reserved2[4], le64 address. */
#define VIOMMU_FAULT_SIZE 24u

/* struct virtio_iommu_config: le64 page_size_mask; le64 input_range.start,
 * .end; le32 domain_range.start, .end; le32 probe_size; u8 bypass;
 * u8 reserved[3]. */
#define VIOMMU_CFG_PAGE_SIZE_MASK 0u
#define VIOMMU_CFG_INPUT_START 8u
#define VIOMMU_CFG_INPUT_END 16u
#define VIOMMU_CFG_DOMAIN_START 24u
#define VIOMMU_CFG_DOMAIN_END 28u
#define VIOMMU_CFG_PROBE_SIZE 32u
#define VIOMMU_CFG_BYPASS 36u
#define VIOMMU_CFG_SIZE 40u

#endif
