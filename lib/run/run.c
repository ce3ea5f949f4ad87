// SPDX-License-Identifier: Apache-2.0
/* Run results: ownership and the reference-log wording of each outcome. */
#include "run/run.h"

#include <string.h>

void kb_run_result_clear(struct kb_run_result *r)
{
	free(r->title);
	free(r->console_path);
	memset(r, 0, sizeof(*r));
	r->exit_status = -1;
}

char *kb_run_result_describe(const struct kb_run_result *r)
{
	const char *what = "failed";

	switch (r->outcome) {
	case KB_RUN_OK:
		return kb_xstrdup("OK");
	case KB_RUN_CRASH:
		what = "crashed";
		break;
	case KB_RUN_BOOT_FAIL:
		what = "boot failed";
		break;
	case KB_RUN_TEST_FAIL:
		what = "basic kernel testing failed";
		break;
	case KB_RUN_SKIP:
		what = "skipped";
		break;
	case KB_RUN_INFRA:
		what = "infra problem";
		break;
	}
	if (!r->title || !*r->title)
		return kb_xstrdup(what);
	return kb_xasprintf("%s: %s", what, r->title);
}
