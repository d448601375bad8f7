/* SPDX-License-Identifier: BSD-2-Clause */
/* The generic algorithm (pt_algo.h) compiled for the vtd_ss format. */
#include "fmt_vtd_ss.h"
#include "pt_algo.h"
