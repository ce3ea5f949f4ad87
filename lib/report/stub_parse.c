// SPDX-License-Identifier: Apache-2.0
/* Temporary stand-in so the tree links until the parser lands; delete it then. */
#include "report/report.h"
void kb_report_free(struct kb_report *r)
{
	(void)r;
}

int kb_report_parse_all(const char *out, size_t len, struct kb_report ***ret, size_t *n)
{
	(void)out;
	(void)len;
	*ret = NULL;
	*n = 0;
	return 0;
}

void kb_report_free_all(struct kb_report **v, size_t n)
{
	(void)v;
	(void)n;
}
