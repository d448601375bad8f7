/* SPDX-License-Identifier: BSD-2-Clause */
/* The generic algorithm (pt_algo.h) compiled for the tce format. */
#include "fmt_tce.h"
#include "pt_algo.h"
