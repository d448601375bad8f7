/* SPDX-License-Identifier: BSD-2-Clause */
/* Umbrella header: everything ioas offers. */
#ifndef IOAS_IOAS_H
#define IOAS_IOAS_H

#include "version.h"
#include "base.h"
#include "ctx.h"
#include "phys.h"
#include "mm.h"
#include "as.h"
#include "pt.h"
#include "iommu.h"
#include "viommu.h"

#endif
