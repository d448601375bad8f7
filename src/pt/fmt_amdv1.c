/* SPDX-License-Identifier: BSD-2-Clause */
/* The generic algorithm (pt_algo.h) compiled for the amdv1 format. */
#include "fmt_amdv1.h"
#include "pt_algo.h"
