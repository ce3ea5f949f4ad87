/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The real backend of a generic bisection: private clones of the user's
 * repository under the workdir (one, or up to build.slots + 2 so that
 * commits build while another is tested; the user's checkout is never
 * touched), the config's build command, and the local process test backend.
 */
#ifndef KB_BISECT_LOCAL_BACKEND_H
#define KB_BISECT_LOCAL_BACKEND_H

#include "bisect/config.h"
#include "bisect/ops.h"

/*
 * Fill @be for @cfg, working in @workdir.  0 or -errno (message set).
 * be->close frees it.
 */
int kb_local_backend_new(const struct kb_config *cfg, const char *workdir,
			 struct kb_backend *be) KB_MUST_CHECK;

#endif
