/* SPDX-License-Identifier: BSD-2-Clause */
/* The generic algorithm (pt_algo.h) compiled for the x86_64 format. */
#include "fmt_x86_64.h"
#include "pt_algo.h"
