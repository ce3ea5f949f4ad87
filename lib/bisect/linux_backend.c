// SPDX-License-Identifier: Apache-2.0
/* Kernel backend: not implemented yet (issue 4); the engine reports it as a config error. */
#include <errno.h>
#include "bisect/linux_backend.h"
#include "util/error.h"

int kb_linux_backend_new(const struct kb_config *cfg, const char *workdir, struct kb_backend *be)
{
	(void)workdir;
	(void)be;
	return kb_error_set(-ENOTSUP, "%s: \"kind\": \"linux\" is not supported by this build yet",
			    cfg->path);
}
