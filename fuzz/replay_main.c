/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The main() of every fuzz target's replay build (<name>_replay): runs
 * LLVMFuzzerTestOneInput over each file named, or each file of each
 * directory named, so the committed corpus is an ordinary CTest test with
 * any compiler. libFuzzer builds link libFuzzer's own main instead.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *in;
	long n;

	if (!f)
		return -1;
	if (fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET)) {
		fclose(f);
		return -1;
	}
	in = malloc((size_t)n + 1);
	if (!in || fread(in, 1, (size_t)n, f) != (size_t)n) {
		free(in);
		fclose(f);
		return -1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(in, (size_t)n);
	free(in);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned files = 0;

	for (int a = 1; a < argc; a++) {
		struct stat sb;
		DIR *d;
		struct dirent *de;

		if (stat(argv[a], &sb)) {
			fprintf(stderr, "%s: cannot stat\n", argv[a]);
			return 1;
		}
		if (!S_ISDIR(sb.st_mode)) {
			if (run_file(argv[a]))
				return 1;
			files++;
			continue;
		}
		d = opendir(argv[a]);
		if (!d)
			return 1;
		while ((de = readdir(d))) {
			char path[4096];

			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", argv[a],
				 de->d_name);
			if (run_file(path)) {
				fprintf(stderr, "%s: cannot read\n", path);
				closedir(d);
				return 1;
			}
			files++;
		}
		closedir(d);
	}
	printf("replayed %u inputs\n", files);
	return files ? 0 : 1;
}
