// SPDX-License-Identifier: Apache-2.0
/* Code: bytes -> disassembly.  Not implemented yet. */
#include "report/report.h"
int kb_report_decompile(const char *report, size_t len, const char *arch, struct kb_buf *out)
{
	(void)report;
	(void)len;
	(void)arch;
	(void)out;
	return 0;
}
