/* SPDX-License-Identifier: BSD-2-Clause */
/* The ioas command's subcommands and what they share. */
#ifndef IOAS_TOOLS_CLI_H
#define IOAS_TOOLS_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

int cmd_run(int argc, char **argv);
int cmd_replay(int argc, char **argv);

/* "host" or a page-table format name ("x86_64", "vtd_ss", "arm_s1",
 * "arm_s2", "amd_v1", "tce") -> enum ioas_viommu_domain_format; -1 when
 * unknown. */
int cli_domain_format(const char *name);
const char *cli_domain_format_name(uint32_t fmt);

double cli_now(void);

/* Replay of one trace file, for the command and the benchmark. */
struct replay_opts {
	bool check;
	bool json;
	bool progress;            /* to stderr (the caller checks for a TTY) */
	bool quiet;               /* no summary (benchmark) */
	uint32_t domain_format;
	unsigned max_report;      /* mismatches printed in full */
	bool skip_translations;   /* benchmark: requests only */
};

struct replay_result {
	uint64_t lines, events;
	uint64_t req[6], req_ok[6];      /* by request type (0 unused) */
	uint64_t status[10];             /* by status; [9] = no status */
	uint64_t translations, translated, passthrough, faults;
	uint64_t mismatches, req_mismatches, probe_mismatches,
		 config_mismatches;
	uint64_t qemu_partial_unmaps, qemu_failed_attaches, qemu_faults;
	uint64_t adjacent_quirks;
	uint64_t device_resets, system_resets;
	uint64_t mappings_peak, bytes_peak;
	uint64_t iova_min, iova_max;
	/* the caches, over the whole replay: the replay's own per-endpoint
	 * caches (ioas_viommu_translate_cached), then the software IOMMU's */
	uint64_t dev_cache_hits;
	uint64_t atc_hits, iotlb_hits, iotlb_misses, walks;
	double seconds;
};

/* 0 (mismatches are in *res), or -errno with a message on stderr. */
int replay_file(const char *path, const struct replay_opts *o,
		struct replay_result *res);

/* The same over events already parsed (the benchmark). */
struct tev;
int replay_events(const struct tev *ev, size_t n, const struct replay_opts *o,
		  struct replay_result *res);

#endif
