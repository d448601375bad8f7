/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ioas: run virtio-iommu scripts and replay QEMU virtio-iommu traces
 * through the library's device.
 */
#include <stdio.h>
#include <string.h>

#include <ioas/ioas.h>

#include "cli.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ioas COMMAND [ARGS]\n"
		"  run SCRIPT|-                      run a virtio-iommu script, "
		"one JSON object per operation\n"
		"  replay [--check] [--format F] [--json] TRACE...\n"
		"                                    replay QEMU virtio-iommu "
		"traces through the device\n"
		"  version                           print the library version\n"
		"Run 'ioas COMMAND --help' for a command's options.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "run"))
		return cmd_run(argc - 1, argv + 1);
	if (!strcmp(argv[1], "replay"))
		return cmd_replay(argc - 1, argv + 1);
	if (!strcmp(argv[1], "version") || !strcmp(argv[1], "--version")) {
		printf("ioas %s\n", ioas_version_string());
		return 0;
	}
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "--help")) {
		usage(stdout);
		return 0;
	}
	fprintf(stderr, "ioas: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
