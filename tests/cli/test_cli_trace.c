/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The trace reader and parser of the ioas CLI (tools/ioas/trace.c): every
 * event form of QEMU 7.2's virtio-iommu trace, malformed arguments, lines
 * that straddle buffer refills, plain / zstd / truncated zstd input, the
 * asynchronous reader, and the bundled real trace.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zstd.h>

#include "test.h"
#include "trace.h"

static int parse(const char *s, struct tev *ev)
{
	return trace_parse_line(s, s + strlen(s), ev);
}

#define P "12698@1795271602.204057:virtio_iommu_"

TEST(parse_requests)
{
	struct tev e;

	CHECK_EQ(parse(P "attach domain=0 endpoint=32", &e), 0);
	CHECK_EQ(e.type, TEV_ATTACH);
	CHECK_EQ(e.dom, 0);
	CHECK_EQ(e.ep, 32);
	CHECK_EQ(parse(P "detach domain=7 endpoint=40", &e), 0);
	CHECK_EQ(e.type, TEV_DETACH);
	CHECK_EQ(e.dom, 7);
	CHECK_EQ(parse(P "map domain=0 virt_start=0xffffe000 virt_end=0xffffffff "
		       "phys_start=0x1ad8000 flags=3", &e), 0);
	CHECK_EQ(e.type, TEV_MAP);
	CHECK_EQ(e.a, 0xffffe000);
	CHECK_EQ(e.b, 0xffffffff);
	CHECK_EQ(e.c, 0x1ad8000);
	CHECK_EQ(e.flags, 3);
	CHECK_EQ(parse(P "unmap domain=0 virt_start=0xffff8000 "
		       "virt_end=0xffff8fff", &e), 0);
	CHECK_EQ(e.type, TEV_UNMAP);
	CHECK_EQ(e.b, 0xffff8fff);
	CHECK_EQ(parse(P "unmap_done domain=-1 virt_start=0x0 "
		       "virt_end=0xffffffffffffffff", &e), 0);
	CHECK_EQ(e.type, TEV_UNMAP_DONE);
	CHECK_EQ(e.dom, 0xffffffffu);
	CHECK_EQ(e.b, UINT64_MAX);
	CHECK_EQ(parse(P "fill_resv_property dev= 32, type=1 start=0xfee00000 "
		       "end=0xfeefffff", &e), 0);
	CHECK_EQ(e.type, TEV_RESV);
	CHECK_EQ(e.ep, 32);
	CHECK_EQ(e.flags, 1);
	CHECK_EQ(e.a, 0xfee00000);
	CHECK_EQ(e.b, 0xfeefffff);
}

TEST(parse_translate)
{
	struct tev e;

	CHECK_EQ(parse(P "translate mr=virtio-iommu-memory-region-2-32 rid=32 "
		       "addr=0xffffd002 flag=1", &e), 0);
	CHECK_EQ(e.type, TEV_TRANSLATE);
	CHECK_EQ(e.ep, 32);
	CHECK_EQ(e.a, 0xffffd002);
	CHECK_EQ(e.flags, 1);
	CHECK_EQ(parse(P "translate_out 0xffffd002 -> 0x1adb002 for sid=32", &e),
		 0);
	CHECK_EQ(e.type, TEV_TRANSLATE_OUT);
	CHECK_EQ(e.a, 0xffffd002);
	CHECK_EQ(e.b, 0x1adb002);
	CHECK_EQ(e.ep, 32);
	CHECK_EQ(parse(P "report_fault FAULT reason=2 flags=258 endpoint=32 "
		       "address =0xdead000", &e), 0);
	CHECK_EQ(e.type, TEV_REPORT_FAULT);
	CHECK_EQ(e.flags, 2);
	CHECK_EQ(e.extra, 258);
	CHECK_EQ(e.a, 0xdead000);
}

TEST(parse_device)
{
	struct tev e;

	CHECK_EQ(parse(P "get_config page_size_mask=0xfffffffffffff000 input "
		       "range start=0x0 input range end=0xffffffffffffffff domain "
		       "range start=0 domain range end=-1 probe_size=0x200 "
		       "bypass=0x1", &e), 0);
	CHECK_EQ(e.type, TEV_GET_CONFIG);
	CHECK_EQ(e.a, 0xfffffffffffff000ull);
	CHECK_EQ(e.b, 0);
	CHECK_EQ(e.c, UINT64_MAX);
	CHECK_EQ(e.dom, 0);
	CHECK_EQ(e.ep, 0xffffffffu);
	CHECK_EQ(e.flags, 0x200);
	CHECK_EQ(e.extra, 1);
	CHECK_EQ(parse(P "get_features device supports features=0x10179000077",
		       &e), 0);
	CHECK_EQ(e.type, TEV_GET_FEATURES);
	CHECK_EQ(e.a, 0x10179000077ull);
	CHECK_EQ(parse(P "set_config bypass=0x0", &e), 0);
	CHECK_EQ(e.type, TEV_SET_CONFIG);
	CHECK_EQ(parse(P "device_status driver status = 15", &e), 0);
	CHECK_EQ(e.type, TEV_DEVICE_STATUS);
	CHECK_EQ(e.flags, 15);
	CHECK_EQ(parse(P "device_reset reset!", &e), 0);
	CHECK_EQ(e.type, TEV_DEVICE_RESET);
	CHECK_EQ(parse(P "system_reset system reset!", &e), 0);
	CHECK_EQ(e.type, TEV_SYSTEM_RESET);
	CHECK_EQ(parse(P "switch_address_space Device 00:1f.2 switching address "
		       "space (iommu enabled=1)", &e), 0);
	CHECK_EQ(e.type, TEV_SWITCH_AS);
	CHECK_EQ(e.ep, 0xfa);
	CHECK_EQ(e.flags, 1);
	CHECK_EQ(parse(P "get_endpoint Alloc endpoint=32", &e), 0);
	CHECK_EQ(e.type, TEV_GET_ENDPOINT);
	CHECK_EQ(parse(P "put_domain Free domain=3", &e), 0);
	CHECK_EQ(e.type, TEV_PUT_DOMAIN);
	CHECK_EQ(e.dom, 3);
	CHECK_EQ(parse(P "init_iommu_mr init virtio-iommu-memory-region-7-251",
		       &e), 0);
	CHECK_EQ(e.type, TEV_INIT_MR);
	CHECK_EQ(e.ep, 251);
	CHECK_EQ(parse(P "notify_flag_add mr=x", &e), 0);
	CHECK_EQ(e.type, TEV_OTHER);
}

TEST(parse_forms)
{
	struct tev e;

	/* No timestamp prefix, CRLF, unrelated lines. */
	CHECK_EQ(parse("virtio_iommu_attach domain=1 endpoint=2\r", &e), 0);
	CHECK_EQ(e.type, TEV_ATTACH);
	CHECK_EQ(e.ep, 2);
	CHECK_EQ(parse("", &e), 0);
	CHECK_EQ(e.type, TEV_IGNORED);
	CHECK_EQ(parse("qemu-system-x86_64: warning: something", &e), 0);
	CHECK_EQ(e.type, TEV_IGNORED);
	CHECK_EQ(parse("1@2.3:vfio_region_read x", &e), 0);
	CHECK_EQ(e.type, TEV_IGNORED);
}

TEST(parse_malformed)
{
	struct tev e;

	CHECK_EQ(parse(P "attach domain=x endpoint=2", &e), -EINVAL);
	CHECK_EQ(parse(P "attach domain=1", &e), -EINVAL);
	CHECK_EQ(parse(P "attach domain=99999999999 endpoint=1", &e), -EINVAL);
	CHECK_EQ(parse(P "map domain=0 virt_start=0x virt_end=0x1 "
		       "phys_start=0x0 flags=1", &e), -EINVAL);
	CHECK_EQ(parse(P "map domain=0 virt_start=0x10000000000000000 "
		       "virt_end=0x1 phys_start=0x0 flags=1", &e), -EINVAL);
	CHECK_EQ(parse(P "translate mr=x rid=1 addr=1000 flag=1", &e), -EINVAL);
	CHECK_EQ(parse(P "translate_out 0x1 => 0x2 for sid=1", &e), -EINVAL);
	CHECK_EQ(parse(P "switch_address_space Device 00:20.0 switching "
		       "address space (iommu enabled=1)", &e), -EINVAL);
	CHECK_EQ(parse(P "unmap", &e), -EINVAL);
}

/* ---- reader ---------------------------------------------------------------------- */

static const char *tmpdir(void)
{
	const char *t = getenv("TMPDIR");
	return t && *t ? t : "/tmp";
}

static void write_file(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");

	CHECK(f != NULL);
	CHECK_EQ(fwrite(p, 1, n, f), n);
	CHECK_EQ(fclose(f), 0);
}

/* A synthetic trace: n map/translate/translate_out triples. */
static char *synth(unsigned n, size_t *len)
{
	size_t cap = (size_t)n * 400 + 256, off = 0;
	char *s = malloc(cap);

	CHECK(s != NULL);
	off += (size_t)snprintf(s + off, cap - off, "unrelated line\n");
	for (unsigned i = 0; i < n; i++) {
		off += (size_t)snprintf(s + off, cap - off,
			"1@2.%u:virtio_iommu_map domain=%u virt_start=0x%x "
			"virt_end=0x%x phys_start=0x%x flags=3\n"
			"1@2.%u:virtio_iommu_translate mr=m-%u rid=%u addr=0x%x "
			"flag=2\n"
			"1@2.%u:virtio_iommu_translate_out 0x%x -> 0x%x for "
			"sid=%u\n", i, i % 7, i << 12, (i << 12) | 0xfff,
			i << 13, i, i, i, (i << 12) + 5, i, (i << 12) + 5,
			(i << 13) + 5, i);
	}
	/* The last line has no newline. */
	off += (size_t)snprintf(s + off, cap - off,
				"virtio_iommu_device_reset reset!");
	*len = off;
	return s;
}

static void read_all(const char *path, size_t buf, bool async, unsigned n)
{
	struct trace_reader *r;
	struct tev e;
	uint64_t line = 0;
	unsigned count = 0;
	int ret;

	CHECK_EQ(trace_open(path, buf, &r), 0);
	if (async)
		CHECK_EQ(trace_start_async(r), 0);
	while ((ret = trace_next(r, &e, &line)) > 0) {
		unsigned i = count / 3;

		if (count == 3 * n) {
			CHECK_EQ(e.type, TEV_DEVICE_RESET);
			CHECK_EQ(line, 3 * n + 2);
		} else if (count % 3 == 0) {
			CHECK_EQ(e.type, TEV_MAP);
			CHECK_EQ(e.dom, i % 7);
			CHECK_EQ(e.a, (uint64_t)i << 12);
			CHECK_EQ(e.c, (uint64_t)i << 13);
			CHECK_EQ(line, count + 2);
		} else if (count % 3 == 1) {
			CHECK_EQ(e.type, TEV_TRANSLATE);
			CHECK_EQ(e.ep, i);
		} else {
			CHECK_EQ(e.type, TEV_TRANSLATE_OUT);
			CHECK_EQ(e.b, ((uint64_t)i << 13) + 5);
		}
		count++;
	}
	CHECK_EQ(ret, 0);
	CHECK_EQ(count, 3 * n + 1);
	trace_close(r);
}

TEST(reader_plain_and_zstd)
{
	size_t len, zcap, zlen;
	unsigned n = 3000;
	char *s = synth(n, &len), plain[512], zst[512];
	void *z;

	snprintf(plain, sizeof(plain), "%s/ioas_trace_%d.trace", tmpdir(),
		 (int)getpid());
	snprintf(zst, sizeof(zst), "%s/ioas_trace_%d.trace.zst", tmpdir(),
		 (int)getpid());
	write_file(plain, s, len);
	zcap = ZSTD_compressBound(len);
	z = malloc(zcap);
	CHECK(z != NULL);
	zlen = ZSTD_compress(z, zcap, s, len, 3);
	CHECK(!ZSTD_isError(zlen));
	write_file(zst, z, zlen);

	/* Tiny buffers: every line straddles refills (and grows the buffer). */
	static const size_t sizes[] = { 0, 16, 37, 100, 4096 };
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		read_all(plain, sizes[i], false, n);
		read_all(zst, sizes[i], false, n);
	}
	read_all(plain, 0, true, n);
	read_all(zst, 0, true, n);
	read_all(zst, 64, true, n);

	/* A truncated zstd stream is an error, in both modes. */
	for (int async = 0; async < 2; async++) {
		struct trace_reader *r;
		struct tev e;
		int ret;

		write_file(zst, z, zlen / 2);
		CHECK_EQ(trace_open(zst, 0, &r), 0);
		if (async)
			CHECK_EQ(trace_start_async(r), 0);
		while ((ret = trace_next(r, &e, NULL)) > 0)
			;
		CHECK_EQ(ret, -EIO);
		CHECK(strstr(trace_error(r), "truncated") != NULL);
		trace_close(r);
	}
	/* Closing early stops the reader thread. */
	{
		struct trace_reader *r;
		struct tev e;

		write_file(zst, z, zlen);
		CHECK_EQ(trace_open(zst, 0, &r), 0);
		CHECK_EQ(trace_start_async(r), 0);
		CHECK_EQ(trace_next(r, &e, NULL), 1);
		trace_close(r);
	}
	unlink(plain);
	unlink(zst);
	free(z);
	free(s);
}

TEST(reader_malformed_line)
{
	static const char text[] =
		"virtio_iommu_attach domain=1 endpoint=2\n"
		"virtio_iommu_map domain=1 virt_start=0x1000\n";
	char path[512];
	struct trace_reader *r;
	struct tev e;

	snprintf(path, sizeof(path), "%s/ioas_trace_bad_%d.trace", tmpdir(),
		 (int)getpid());
	write_file(path, text, sizeof(text) - 1);
	CHECK_EQ(trace_open(path, 0, &r), 0);
	CHECK_EQ(trace_next(r, &e, NULL), 1);
	CHECK_EQ(trace_next(r, &e, NULL), -EINVAL);
	CHECK(strstr(trace_error(r), "line 2") != NULL);
	trace_close(r);
	unlink(path);
	CHECK_EQ(trace_open("/nonexistent/trace", 0, &r), -ENOENT);
}

TEST(reader_bundled_trace)
{
	struct trace_reader *r;
	struct tev e;
	uint64_t count[TEV__COUNT] = { 0 }, line = 0;
	int ret;

	CHECK_EQ(trace_open(IOAS_BUNDLED_TRACE, 0, &r), 0);
	while ((ret = trace_next(r, &e, &line)) > 0)
		count[e.type]++;
	CHECK_EQ(ret, 0);
	CHECK_EQ(line, 266);
	CHECK_EQ(count[TEV_TRANSLATE], 66);
	CHECK_EQ(count[TEV_TRANSLATE_OUT], 63);
	CHECK_EQ(count[TEV_MAP], 17);
	CHECK_EQ(count[TEV_UNMAP], 12);
	CHECK_EQ(count[TEV_UNMAP_DONE], 12);
	CHECK_EQ(count[TEV_ATTACH], 4);
	CHECK_EQ(count[TEV_RESV], 4);
	CHECK_EQ(count[TEV_GET_CONFIG], 9);
	CHECK_EQ(count[TEV_DEVICE_RESET], 3);
	CHECK_EQ(count[TEV_SYSTEM_RESET], 1);
	CHECK_EQ(count[TEV_SWITCH_AS], 24);
	CHECK_EQ(count[TEV_INIT_MR], 8);
	CHECK_EQ(count[TEV_OTHER], 0);
	trace_close(r);
}
