/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The real backend of a Linux kernel bisection ("kind": "linux"): kernel
 * builds out of tree in a persistent build directory, runs in QEMU VMs.
 */
#ifndef KB_BISECT_LINUX_BACKEND_H
#define KB_BISECT_LINUX_BACKEND_H

#include "bisect/config.h"
#include "bisect/ops.h"

/* Fill @be for @cfg (kind linux), working in @workdir.  0 or -errno (message set). */
int kb_linux_backend_new(const struct kb_config *cfg, const char *workdir,
			 struct kb_backend *be) KB_MUST_CHECK;

#endif
