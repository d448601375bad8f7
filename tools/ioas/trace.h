/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Reader and parser of QEMU virtio-iommu trace logs (log backend; the
 * format of ../shared/traces/README.md). Input is a file, "-" for stdin,
 * plain or zstd-compressed (detected by its magic number, decompressed in a
 * stream with libzstd). Lines are parsed in place from a large buffer: no
 * allocation per line, no scanf.
 *
 * A line is `[<tid>@<sec>.<usec>:]virtio_iommu_<event> <arguments>`; lines
 * that are not virtio-iommu events are returned as TEV_IGNORED. A known
 * event whose arguments do not parse is an error (-EINVAL) that names the
 * line.
 */
#ifndef IOAS_TOOLS_TRACE_H
#define IOAS_TOOLS_TRACE_H

#include <stddef.h>
#include <stdint.h>

enum tev_type {
	TEV_IGNORED = 0,      /* not a virtio-iommu event (or empty line) */
	TEV_OTHER,            /* a virtio_iommu_ event we do not need */
	TEV_TRANSLATE,        /* ep=rid a=addr flags=flag */
	TEV_TRANSLATE_OUT,    /* a=iova b=pa ep=sid */
	TEV_MAP,              /* dom a=virt_start b=virt_end c=phys flags */
	TEV_UNMAP,            /* dom a b */
	TEV_UNMAP_DONE,       /* dom a b */
	TEV_ATTACH,           /* dom ep */
	TEV_DETACH,           /* dom ep */
	TEV_RESV,             /* fill_resv_property: ep=dev flags=type a b */
	TEV_GET_CONFIG,       /* a=page_size_mask b,c=input range dom,ep=
				 domain range flags=probe_size extra=bypass */
	TEV_SET_CONFIG,       /* extra=bypass */
	TEV_GET_FEATURES,     /* a=features */
	TEV_DEVICE_STATUS,    /* flags=status */
	TEV_DEVICE_RESET,
	TEV_SYSTEM_RESET,
	TEV_SWITCH_AS,        /* ep=rid flags=iommu enabled */
	TEV_GET_ENDPOINT,     /* ep */
	TEV_PUT_ENDPOINT,     /* ep */
	TEV_GET_DOMAIN,       /* dom */
	TEV_PUT_DOMAIN,       /* dom */
	TEV_REPORT_FAULT,     /* flags=reason extra=flags ep a=address */
	TEV_INIT_MR,          /* ep=devfn of the region name */
	TEV__COUNT
};

struct tev {
	uint8_t type;         /* enum tev_type */
	uint32_t dom, ep, flags, extra;
	uint64_t a, b, c;
};

/* Parse one line (without its newline). 0 with *ev filled, or -EINVAL for
 * a virtio-iommu event whose arguments are malformed. */
int trace_parse_line(const char *p, const char *end, struct tev *ev);

const char *tev_name(unsigned type);

struct trace_reader;

/* Open path ("-" = stdin). buf_size 0 = default (4 MiB); small sizes are
 * for tests of lines that straddle buffer refills. -errno on failure. */
int trace_open(const char *path, size_t buf_size, struct trace_reader **out);
void trace_close(struct trace_reader *r);

/* Decompress and parse in a reader thread from now on (trace_next then
 * hands out parsed batches). Falls back to reading in the caller's thread
 * when no thread can be started. -ENOMEM */
int trace_start_async(struct trace_reader *r);

/* Next event: 1 with *ev (and its 1-based line number), 0 at end, -errno
 * (-EINVAL: malformed line, see trace_error; -EIO: read or zstd error). */
int trace_next(struct trace_reader *r, struct tev *ev, uint64_t *lineno);

/* A description of the last error (line number and text). */
const char *trace_error(const struct trace_reader *r);

/* Input bytes consumed so far and the input size (0 when unknown: a pipe),
 * for progress. */
void trace_progress(const struct trace_reader *r, uint64_t *done,
		    uint64_t *total);
int trace_is_zstd(const struct trace_reader *r);

#endif
