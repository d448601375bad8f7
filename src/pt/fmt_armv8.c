/* SPDX-License-Identifier: BSD-2-Clause */
/* The generic algorithm (pt_algo.h) compiled for the armv8 format. */
#include "fmt_armv8.h"
#include "pt_algo.h"
