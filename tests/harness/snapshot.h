/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Snapshot of everything a failed call must leave alone: per address space
 * its query (ranges included) and mapping list, the registrations with
 * their mapping counts, the physical regions, and locked/pinned bytes.
 * Take one before the call and one after; snap_eq() fails the case (via
 * CHECK, which longjmps) on the first difference.
 */
#ifndef IOAS_TEST_SNAPSHOT_H
#define IOAS_TEST_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

#include <ioas/ioas.h>

/* Room per list; a list that outgrows it fails the case, never truncates. */
#define SNAP_MAX 128
/* Address spaces one snapshot covers; missing ones (NULL) compare empty. */
#define SNAP_SPACES 3

struct snap_space {
	struct ioas_as_info info;
	struct ioas_range usable[SNAP_MAX], reserved[SNAP_MAX];
	struct ioas_range windows[SNAP_MAX], allowed[SNAP_MAX];
	struct ioas_mapping_info maps[SNAP_MAX];
	size_t nmaps;
};

struct snap {
	struct snap_space sp[SNAP_SPACES];
	struct ioas_reg_info regs[SNAP_MAX];
	size_t nregs;
	struct ioas_phys_info phys[SNAP_MAX];
	size_t nphys;
	/* user_locked is left 0 by snap_take(); a caller that accounts to an
	 * ioas_user fills it in, so it is compared too. */
	uint64_t locked, pinned, user_locked;
};

/* Gathers for_each items into a caller's array of cap elements. */
struct collect {
	void *arr;
	size_t n, cap, elem;
};

/* for_each callbacks; the opaque argument is a struct collect. */
int collect_map(void *opaque, const struct ioas_mapping_info *m);
int collect_reg(void *opaque, const struct ioas_reg_info *r);
int collect_phys(void *opaque, const struct ioas_phys_info *p);

/* Any of phys, mm and as[i] may be NULL; nas is at most SNAP_SPACES. */
void snap_take(struct snap *s, struct ioas_ctx *ctx, struct ioas_phys *phys,
	       struct ioas_mm *mm, struct ioas_as *const as[], size_t nas);
void snap_eq(const struct snap *a, const struct snap *b);

/* Scratch before/after pair: static storage, as a snapshot is too large
 * for the stack. */
extern struct snap snap_before, snap_after;

#endif
