/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Internals of the "Code:" disassembler, exposed for tests that compare the
 * capstone listing with GNU objdump's.
 */
#ifndef KB_REPORT_DECOMPILE_H
#define KB_REPORT_DECOMPILE_H

#include "report/report.h"

enum kb_disasm_arch {
	KB_DISASM_AMD64,
	KB_DISASM_ARM64,
	KB_DISASM_ARM,
	KB_DISASM_THUMB,
};

/* Result of scanning one listing, used to choose the alignment. */
struct kb_disasm_info {
	bool trap_aligned; /* an instruction starts exactly at the trap offset */
	bool bad_before_trap; /* an undecodable byte precedes the trap */
	bool trap_is_bugtrap; /* the trapping instruction is ud2 / brk #0x800 */
};

/*
 * Append an objdump-style listing of @n bytes at address 0 to @out, one
 * line per instruction, as "objdump -b binary -D" prints it (AT&T syntax on
 * x86).  @trap is the offset of the trapping instruction (marked with '*'
 * and " <-- trapping instruction"), or SIZE_MAX for none.  Returns 0 or
 * -EINVAL when capstone cannot be opened for @arch.
 */
int kb_disasm_listing(const uint8_t *bytes, size_t n, enum kb_disasm_arch arch, size_t trap,
		      struct kb_buf *out, struct kb_disasm_info *info);

/*
 * Decode the opcode tokens of one "Code:" line body (the text after "Code:").
 * Fills @bytes (at most @cap), *n, *trap (offset of the <..>/(..) token) and
 * *token_width.  Returns 0, or -EINVAL when the line is not decodable.
 */
int kb_disasm_parse_code(const char *s, size_t len, uint8_t *bytes, size_t cap, size_t *n,
			 size_t *trap, size_t *token_width);

#endif
