/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Symbolization of report frames (crash-report spec §12).
 *
 * Every line holding a frame "func+0xOFF/0xSIZE" (optionally followed by
 * " [module buildid]") is rewritten: without a kernel binary the name is
 * demangled and the build id dropped; with one, the frame gets its
 * "file:line" and one extra line per inlined call:
 *
 *     inlined_fn file.c:12 [inline]
 *     func+0xOFF/0xSIZE file.c:34
 *
 * Paths are made relative to the source directory.  The PC of a frame is
 * the symbol address plus the offset, minus 1 for return addresses (all
 * lines except "RIP:"/"PC is at"/"pc :" lines).
 */
#ifndef KB_REPORT_SYMBOLIZE_H
#define KB_REPORT_SYMBOLIZE_H

#include "report/report.h"

struct kb_symbolizer;

/*
 * Open @binary (vmlinux or any ELF with DWARF) for symbolization.  @src_dir
 * is stripped from the front of file names; NULL means each compilation
 * unit's own DW_AT_comp_dir.  Returns 0 and *ret, or -errno with a message.
 */
int kb_symbolizer_open(const char *binary, const char *src_dir, struct kb_symbolizer **ret);
void kb_symbolizer_free(struct kb_symbolizer *s);

/*
 * Append the symbolized form of the @len bytes of report text at @in to
 * @out.  @s may be NULL: then only demangling and build-id stripping are
 * done.  Lines that are not frames, unknown symbols and lookups without a
 * result pass through unchanged.  Returns 0 (never fails on bad input).
 */
int kb_symbolize_text(struct kb_symbolizer *s, const char *in, size_t len, struct kb_buf *out);

/*
 * Symbolize r->report in place.  @vmlinux may be NULL (no binary: demangle
 * and strip build ids only).  Returns 0 or -errno when @vmlinux cannot be
 * opened (the report is then left unchanged).
 */
int kb_report_symbolize(struct kb_report *r, const char *vmlinux, const char *src_dir);

#endif
