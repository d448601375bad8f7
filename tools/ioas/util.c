/* SPDX-License-Identifier: BSD-2-Clause */
/* Helpers shared by the subcommands: domain format names, the clock. */
#include <string.h>
#include <time.h>

#include <ioas/ioas.h>
#include <ioas/viommu.h>

#include "cli.h"

static const struct {
	const char *name;
	uint32_t fmt;
} formats[] = {
	{ "host", IOAS_VIOMMU_FMT_HOST },
	{ "x86_64", IOAS_VIOMMU_FMT_PT_BASE + IOAS_PT_FMT_X86_64 },
	{ "vtd_ss", IOAS_VIOMMU_FMT_PT_BASE + IOAS_PT_FMT_VTD_SS },
	{ "arm_s1", IOAS_VIOMMU_FMT_PT_BASE + IOAS_PT_FMT_ARM_S1 },
	{ "arm_s2", IOAS_VIOMMU_FMT_PT_BASE + IOAS_PT_FMT_ARM_S2 },
	{ "amd_v1", IOAS_VIOMMU_FMT_PT_BASE + IOAS_PT_FMT_AMD_V1 },
	{ "tce", IOAS_VIOMMU_FMT_PT_BASE + IOAS_PT_FMT_TCE },
};

int cli_domain_format(const char *name)
{
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
		if (!strcmp(name, formats[i].name))
			return (int)formats[i].fmt;
	return -1;
}

const char *cli_domain_format_name(uint32_t fmt)
{
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
		if (formats[i].fmt == fmt)
			return formats[i].name;
	return "?";
}

double cli_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}
