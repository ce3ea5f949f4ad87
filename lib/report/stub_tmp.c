#include "report/report.h"
void kb_report_free(struct kb_report *r) { (void)r; }
int kb_report_parse_all(const char *out, size_t len, struct kb_report ***ret, size_t *n) { (void)out; (void)len; *ret = NULL; *n = 0; return 0; }
void kb_report_free_all(struct kb_report **v, size_t n) { (void)v; (void)n; }
int kb_report_decompile(const char *report, size_t len, const char *arch, struct kb_buf *out) { (void)report; (void)len; (void)arch; (void)out; return 0; }
