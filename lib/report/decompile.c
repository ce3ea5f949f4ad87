// SPDX-License-Identifier: Apache-2.0
/*
 * "Code:" line -> "Code disassembly (best guess)" (crash-report spec §13).
 *
 * The reference implementation pipes the bytes through GNU objdump; we link
 * capstone instead (no subprocess, no per-arch binutils) and render its
 * decoded instructions the way objdump prints them, so that listings stay
 * comparable with the ones in existing bug reports.  The x86 renderer works
 * from capstone's operand details (AT&T order) rather than from its text,
 * because objdump's AT&T dialect differs in many small ways: suffixes only
 * when the size is ambiguous, hex immediates, explicit zero displacements,
 * ",1" scales, 32-bit branch targets.  The ARM renderers patch capstone's
 * text, as the differences there are few and regular.
 */
#include <capstone/capstone.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include "report/decompile.h"
#include "util/error.h"

/* A Code: line holds 64 bytes on x86; leave room for longer dumps. */
#define MAX_CODE 512

struct insn {
	size_t off, size;
	bool bad; /* undecodable: "(bad)" */
	bool bugtrap; /* ud2 / brk #0x800 */
	bool dots; /* a run of zero bytes objdump prints as "..." */
	struct kb_buf text; /* mnemonic, operands and comment, objdump style */
};

struct disasm {
	csh h; /* detail on; AT&T on x86 */
	csh intel; /* x86 only: Intel syntax, used for the suffix-less mnemonic */
	enum kb_disasm_arch arch;
};

static void disasm_close(struct disasm *d)
{
	if (d->h)
		cs_close(&d->h);
	if (d->intel)
		cs_close(&d->intel);
}

static int disasm_open(struct disasm *d, enum kb_disasm_arch arch)
{
	cs_arch a;
	cs_mode m;

	memset(d, 0, sizeof(*d));
	d->arch = arch;
	switch (arch) {
	case KB_DISASM_AMD64:
		a = CS_ARCH_X86;
		m = CS_MODE_64;
		break;
	case KB_DISASM_ARM64:
		a = CS_ARCH_ARM64;
		m = CS_MODE_ARM;
		break;
	case KB_DISASM_ARM:
		a = CS_ARCH_ARM;
		m = CS_MODE_ARM;
		break;
	case KB_DISASM_THUMB:
		a = CS_ARCH_ARM;
		m = CS_MODE_THUMB;
		break;
	default:
		return kb_error_set(-EINVAL, "unknown disassembler architecture %d", (int)arch);
	}
	if (cs_open(a, m, &d->h) != CS_ERR_OK)
		return kb_error_set(-EINVAL, "capstone cannot open architecture %d", (int)arch);
	cs_option(d->h, CS_OPT_DETAIL, CS_OPT_ON);
	if (arch == KB_DISASM_AMD64) {
		cs_option(d->h, CS_OPT_SYNTAX, CS_OPT_SYNTAX_ATT);
		if (cs_open(a, m, &d->intel) != CS_ERR_OK) {
			disasm_close(d);
			return kb_error_set(-EINVAL, "capstone cannot open x86-64");
		}
	}
	return 0;
}

static uint64_t mask_size(int64_t v, unsigned size)
{
	if (size == 0 || size >= 8)
		return (uint64_t)v;
	return (uint64_t)v & ((UINT64_C(1) << (size * 8)) - 1);
}

static void add_signed_hex(struct kb_buf *b, int64_t v)
{
	if (v < 0)
		kb_buf_addf(b, "-0x%" PRIx64, -(uint64_t)v);
	else
		kb_buf_addf(b, "0x%" PRIx64, (uint64_t)v);
}

/* Does the ModRM/SIB encoding carry a displacement (objdump prints 0x0 then)? */
static bool x86_has_disp(const cs_x86 *x)
{
	unsigned mod = x->modrm >> 6, rm = x->modrm & 7;

	if (mod == 1 || mod == 2)
		return true;
	if (mod == 0 && rm == 5)
		return true;
	return mod == 0 && rm == 4 && (x->sib & 7) == 5;
}

static bool is_string_op(const char *m)
{
	static const char *const ops[] = { "stos", "lods", "scas", "movs", "cmps", "ins", "outs" };

	for (size_t i = 0; i < KB_ARRAY_SIZE(ops); i++) {
		size_t l = strlen(ops[i]);

		if (!strncmp(m, ops[i], l) && (m[l] == '\0' || (strchr("bwlq", m[l]) && !m[l + 1])))
			return true;
	}
	return false;
}

static void x86_mem(struct kb_buf *b, csh h, const cs_insn *in, const cs_x86_op *o, bool string_op,
		    bool omit_seg, struct kb_buf *comment)
{
	const cs_x86 *x = &in->detail->x86;
	unsigned seg = o->mem.segment, base = o->mem.base, idx = o->mem.index;

	/* objdump names the implicit segments of string instructions */
	if (string_op && !seg) {
		if (base == X86_REG_RDI || base == X86_REG_EDI)
			seg = X86_REG_ES;
		else if (base == X86_REG_RSI || base == X86_REG_ESI)
			seg = X86_REG_DS;
	}
	if (seg && !omit_seg)
		kb_buf_addf(b, "%%%s:", cs_reg_name(h, seg));
	if (base == X86_REG_RIP || base == X86_REG_EIP) {
		add_signed_hex(b, o->mem.disp);
		kb_buf_addf(b, "(%%%s)", cs_reg_name(h, base));
		kb_buf_reset(comment);
		kb_buf_addf(comment, "        # 0x%" PRIx64,
			    (uint64_t)(in->address + in->size + (uint64_t)o->mem.disp));
		return;
	}
	if (!base && !idx) {
		kb_buf_addf(b, "0x%" PRIx64, (uint64_t)o->mem.disp);
		return;
	}
	if (x86_has_disp(x) || !base)
		add_signed_hex(b, o->mem.disp);
	kb_buf_addch(b, '(');
	if (base)
		kb_buf_addf(b, "%%%s", cs_reg_name(h, base));
	if (idx)
		kb_buf_addf(b, ",%%%s,%d", cs_reg_name(h, idx), o->mem.scale);
	else if (base && (x->modrm >> 6) != 3 && (x->modrm & 7) == 4 && ((x->sib >> 3) & 7) == 4 &&
		 !(x->rex & 2) && base != X86_REG_RSP && base != X86_REG_R12 &&
		 base != X86_REG_ESP && base != X86_REG_R12D)
		/* a SIB byte without index: objdump shows the pseudo register */
		kb_buf_addf(b, ",%%%s,%d", x->addr_size == 4 ? "eiz" : "riz", 1 << (x->sib >> 6));
	kb_buf_addch(b, ')');
}

/*
 * objdump drops the AT&T size suffix when a register operand already tells
 * the size, and always for the stack/branch instructions whose size is the
 * 64-bit default.  Capstone always prints it; its Intel mnemonic is the
 * suffix-less name, which tells a suffix ("movl") from a name ("call").
 */
static void x86_mnemonic(char *m, size_t cap, const char *att, const char *intel, const cs_x86 *x)
{
	static const char *const q_default[] = { "callq", "jmpq",   "retq",   "pushq",
						 "popq",  "leaveq", "pushfq", "popfq" };
	const char *last = strrchr(att, ' ');
	size_t plen = last ? (size_t)(last + 1 - att) : 0;
	char base[32];
	size_t bl;
	const char *il = strrchr(intel, ' ');

	il = il ? il + 1 : intel;
	snprintf(base, sizeof(base), "%s", att + plen);
	bl = strlen(base);
	for (size_t i = 0; i < KB_ARRAY_SIZE(q_default); i++)
		if (!strcmp(base, q_default[i]))
			base[--bl] = '\0';
	if (!strcmp(base, "lretl"))
		base[--bl] = '\0';
	/* objdump calls the /4 and /6 shifts shl; capstone says sal */
	if (!strncmp(base, "sal", 3))
		base[1] = 'h';
	if (bl > 1 && strchr("bwlq", base[bl - 1])) {
		unsigned sz = base[bl - 1] == 'b' ? 1 :
			      base[bl - 1] == 'w' ? 2 :
			      base[bl - 1] == 'l' ? 4 :
						    8;
		bool reg = false, is_suffix;

		is_suffix = strlen(il) == bl - 1 && !strncmp(il, base, bl - 1);
		if (!strncmp(base, "stos", 4) || !strncmp(base, "lods", 4) ||
		    !strncmp(base, "scas", 4))
			is_suffix = bl == 5;
		for (unsigned i = 0; i < x->op_count; i++)
			if (x->operands[i].type == X86_OP_REG && x->operands[i].size == sz)
				reg = true;
		if (is_suffix && reg)
			base[bl - 1] = '\0';
	}
	/* movd with a 64-bit general register is movq for objdump */
	if (!strcmp(base, "movd"))
		for (unsigned i = 0; i < x->op_count; i++)
			if (x->operands[i].type == X86_OP_REG && x->operands[i].size == 8)
				base[3] = 'q';
	/* objdump spells the string-compare prefixes repz/repnz */
	if (plen == 5 && !strncmp(att, "repe ", 5))
		snprintf(m, cap, "repz %s", base);
	else if (plen == 6 && !strncmp(att, "repne ", 6))
		snprintf(m, cap, "repnz %s", base);
	else
		snprintf(m, cap, "%.*s%s", (int)plen, att, base);
}

static const char *x86_rex_name(uint8_t c)
{
	static const char *const rex[16] = { "rex",    "rex.B",	  "rex.X",   "rex.XB",
					     "rex.R",  "rex.RB",  "rex.RX",  "rex.RXB",
					     "rex.W",  "rex.WB",  "rex.WX",  "rex.WXB",
					     "rex.WR", "rex.WRB", "rex.WRX", "rex.WRXB" };

	return rex[c & 0xf];
}

static bool reg_extended(csh h, unsigned reg)
{
	const char *n;

	if (!reg)
		return false;
	n = cs_reg_name(h, reg);
	if (!n)
		return false;
	if (n[0] == 'r' && isdigit((unsigned char)n[1]))
		return atoi(n + 1) >= 8;
	if (!strncmp(n, "xmm", 3) || !strncmp(n, "ymm", 3))
		return atoi(n + 3) >= 8;
	return !strcmp(n, "cr8");
}

/*
 * Does the REX prefix carry bits the instruction does not use?  objdump then
 * prints it by name ("rex.RB fadds ...").  Approximation: W must come with a
 * 64-bit operand, X with an extended index, and R+B with as many extended
 * registers; a bare REX must select spl/bpl/sil/dil.
 */
static bool rex_unused(csh h, const cs_insn *in)
{
	const cs_x86 *x = &in->detail->x86;
	unsigned ext = 0, need_rb = !!(x->rex & 4) + !!(x->rex & 1);
	bool w64 = false, idx = false, byte_reg = false;

	for (unsigned k = 0; k < x->op_count; k++) {
		const cs_x86_op *o = &x->operands[k];

		if (o->size == 8)
			w64 = true;
		if (o->type == X86_OP_REG) {
			const char *n = cs_reg_name(h, o->reg);

			ext += reg_extended(h, o->reg);
			if (n && (!strcmp(n, "spl") || !strcmp(n, "bpl") || !strcmp(n, "sil") ||
				  !strcmp(n, "dil")))
				byte_reg = true;
		} else if (o->type == X86_OP_MEM) {
			ext += reg_extended(h, o->mem.base);
			idx |= reg_extended(h, o->mem.index);
		}
	}
	if (in->mnemonic[0] && in->mnemonic[strlen(in->mnemonic) - 1] == 'q')
		w64 = true;
	/* implicit operands (cqto, cltq, ...): cannot tell, assume used */
	if (!x->op_count)
		return !strcmp(in->mnemonic, "nop");
	if ((x->rex & 8) && !w64)
		return true;
	if ((x->rex & 2) && !idx)
		return true;
	if (need_rb > ext)
		return true;
	return x->rex == 0x40 && !byte_reg;
}

/*
 * Prefixes the instruction does not use: objdump names them ("repz ret",
 * "data16 cmp"), capstone silently drops them.  Returns them as a
 * mnemonic prefix in @pre.
 */
static void x86_prefixes(csh h, const uint8_t *code, size_t size, const cs_insn *in,
			 const char *extra, char *pre, size_t cap)
{
	const cs_x86 *x = &in->detail->x86;
	bool has16 = false, rep_used = strstr(in->mnemonic, "rep") || strstr(in->mnemonic, "bnd");
	size_t len = 0, first = 0, n66 = 0, nrep = 0;
	bool esc, has_mem = false;
	bool branch = cs_insn_group(h, in, CS_GRP_JUMP) || cs_insn_group(h, in, CS_GRP_CALL);

	len = (size_t)snprintf(pre, cap, "%s", extra);
	if (len >= cap)
		len = cap - 1;
	for (unsigned k = 0; k < x->op_count; k++) {
		if (x->operands[k].size == 2)
			has16 = true;
		if (x->operands[k].type == X86_OP_MEM)
			has_mem = true;
	}
	while (first < size &&
	       (strchr("\xf2\xf3\x66\x2e\x3e\x26\x36\x64\x65\x67\xf0", code[first]) ||
		(code[first] & 0xf0) == 0x40))
		first++;
	esc = first < size && (code[first] == 0x0f || code[first] == 0x90);
	for (size_t i = 0; i < size; i++) {
		if (code[i] == 0x66)
			n66++;
		else if (code[i] == 0xf2 || code[i] == 0xf3)
			nrep++;
		else if (!strchr("\x2e\x3e\x26\x36\x64\x65\x67\xf0", code[i]))
			break;
	}
	for (size_t i = 0; i < size; i++) {
		uint8_t c = code[i];
		const char *name = NULL;

		if (c == 0xf2 || c == 0xf3) {
			/* the last one is the instruction's when it takes one */
			if (!(--nrep == 0 && (rep_used || esc)))
				name = c == 0xf3 ? "repz" : "repnz";
		} else if (c == 0x66) {
			if (!(--n66 == 0 && (esc || !x->op_count || has16)))
				name = "data16";
		} else if (c == 0x2e || c == 0x3e || c == 0x26 || c == 0x36 || c == 0x64 ||
			   c == 0x65) {
			if (!has_mem && !branch)
				name = c == 0x2e ? "cs" :
				       c == 0x3e ? "ds" :
				       c == 0x26 ? "es" :
				       c == 0x36 ? "ss" :
				       c == 0x64 ? "fs" :
						   "gs";
		} else if (c != 0x67 && c != 0xf0) {
			break;
		}
		if (name && len + strlen(name) + 2 < cap)
			len += (size_t)snprintf(pre + len, cap - len, "%s ", name);
	}
	/* VEX-encoded instructions carry no REX (capstone reports the VEX bits) */
	if (x->rex && !(first < size && (code[first] == 0xc4 || code[first] == 0xc5)) &&
	    rex_unused(h, in) && len + 10 < cap)
		snprintf(pre + len, cap - len, "%s ", x86_rex_name(x->rex));
}

/*
 * x87 register forms: capstone lists only %st(i); objdump names both
 * operands, %st first for the "to st(i)" arithmetic (dc, de) and last for
 * the compares and moves into st (d8, da, db, df e8-f7).
 */
static void x87_operands(const cs_x86 *x, struct kb_buf *ops)
{
	uint8_t op = x->opcode[0], m = x->modrm;
	char reg[16];

	if (op < 0xd8 || op > 0xdf || m < 0xc0 || x->op_count != 1 ||
	    x->operands[0].type != X86_OP_REG || strncmp(ops->buf, "%st(", 4) || ops->len > 8)
		return;
	snprintf(reg, sizeof(reg), "%s", ops->buf);
	kb_buf_reset(ops);
	if (op == 0xdc || op == 0xde)
		kb_buf_addf(ops, "%%st,%s", reg);
	else if (op == 0xd8 || op == 0xda || op == 0xdb || (op == 0xdf && m >= 0xe8 && m < 0xf8))
		kb_buf_addf(ops, "%s,%%st", reg);
	else
		kb_buf_addstr(ops, reg);
}

static void x86_render(struct disasm *d, const cs_insn *in, const uint8_t *code, const char *extra,
		       struct kb_buf *out)
{
	const cs_x86 *x = &in->detail->x86;
	cs_insn *ii = NULL;
	char mnem[64], pre[32];
	bool branch, indirect, string_op, seg_prefix = false;
	struct kb_buf ops = KB_BUF_INIT, comment = KB_BUF_INIT;
	const char *last;

	if (cs_disasm(d->intel, code, in->size, in->address, 1, &ii) == 1) {
		x86_mnemonic(mnem, sizeof(mnem), in->mnemonic, ii->mnemonic, x);
		cs_free(ii, 1);
	} else {
		snprintf(mnem, sizeof(mnem), "%s", in->mnemonic);
	}
	last = strrchr(mnem, ' ');
	last = last ? last + 1 : mnem;
	branch = cs_insn_group(d->h, in, CS_GRP_JUMP) || cs_insn_group(d->h, in, CS_GRP_CALL) ||
		 !strncmp(last, "loop", 4) || !strcmp(last, "jrcxz") || !strcmp(last, "jecxz");
	indirect = branch && (!strncmp(last, "call", 4) || !strncmp(last, "jmp", 3) ||
			      !strncmp(last, "ljmp", 4) || !strncmp(last, "lcall", 5));
	string_op = is_string_op(last);
	/*
	 * es/cs/ss/ds overrides do nothing in 64-bit mode: objdump shows them
	 * as prefixes ("cs nopw 0x0(%rax,%rax,1)"), not in the operand.
	 */
	for (unsigned k = 0; k < x->op_count && !string_op; k++) {
		const cs_x86_op *o = &x->operands[k];
		const char *seg;
		size_t sl, ml;

		if (o->type != X86_OP_MEM ||
		    (o->mem.segment != X86_REG_CS && o->mem.segment != X86_REG_DS &&
		     o->mem.segment != X86_REG_ES && o->mem.segment != X86_REG_SS))
			continue;
		seg = cs_reg_name(d->h, o->mem.segment);
		sl = strlen(seg);
		ml = strlen(mnem);
		if (sl + 1 + ml < sizeof(mnem)) {
			seg_prefix = true;
			memmove(mnem + sl + 1, mnem, ml + 1);
			memcpy(mnem, seg, sl);
			mnem[sl] = ' ';
		}
		break;
	}
	/* capstone leaves out the accumulator of stos */
	if (!strncmp(last, "stos", 4) && x->op_count == 1) {
		static const char *const acc[] = { "", "%al,", "%ax,", "",     "%eax,",
						   "", "",     "",     "%rax," };
		unsigned sz = x->operands[0].size;

		if (sz < KB_ARRAY_SIZE(acc))
			kb_buf_addstr(&ops, acc[sz]);
		if (last[4])
			mnem[strlen(mnem) - 1] = '\0';
	}
	if (!strcmp(last, "wait")) {
		memmove(mnem + (last - mnem) + 1, last, strlen(last) + 1);
		mnem[last - mnem] = 'f';
	}
	if (in->size == 2 && code[0] == 0x66 && code[1] == 0x90) {
		kb_buf_addstr(out, "xchg   %ax,%ax");
		kb_buf_release(&ops);
		return;
	}
	if ((x->opcode[0] == 0xd2 || x->opcode[0] == 0xd3) && !x->opcode[1] && x->op_count == 1)
		kb_buf_addstr(&ops, "%cl,"); /* implicit count capstone leaves out */
	x86_prefixes(d->h, code, in->size, in, extra, pre, sizeof(pre));
	if (pre[0] && strlen(pre) + strlen(mnem) < sizeof(mnem)) {
		memmove(mnem + strlen(pre), mnem, strlen(mnem) + 1);
		memcpy(mnem, pre, strlen(pre));
	}
	if (x->op_count == 0 && in->op_str[0]) {
		/* nothing in the details: fall back to capstone's text */
		for (const char *p = in->op_str; *p; p++)
			if (!(*p == ' ' && p > in->op_str && p[-1] == ','))
				kb_buf_addch(&ops, *p);
	}
	for (unsigned k = 0; k < x->op_count; k++) {
		/* "xchg %eax,%esp": objdump lists the accumulator first */
		unsigned i = (x->opcode[0] >= 0x91 && x->opcode[0] <= 0x97 && x->op_count == 2 &&
			      !x->opcode[1]) ?
				     1 - k :
				     k;
		const cs_x86_op *o = &x->operands[i];

		/* shift-by-one forms (d0/d1) have no immediate in objdump */
		if (o->type == X86_OP_IMM && (x->opcode[0] == 0xd0 || x->opcode[0] == 0xd1) &&
		    !x->opcode[1])
			continue;
		if (ops.len && (ops.buf[ops.len - 1] != ','))
			kb_buf_addch(&ops, ',');
		switch (o->type) {
		case X86_OP_REG: {
			const char *rn = cs_reg_name(d->h, o->reg);

			if (o->reg == X86_REG_DX &&
			    (!strncmp(last, "in", 2) || !strncmp(last, "out", 3)))
				kb_buf_addstr(&ops, "(%dx)");
			else if (!strncmp(rn, "dr", 2))
				kb_buf_addf(&ops, "%%db%s", rn + 2);
			else
				kb_buf_addf(&ops, "%s%%%s", indirect ? "*" : "", rn);
			break;
		}
		case X86_OP_IMM:
			if (branch)
				kb_buf_addf(&ops, "0x%" PRIx64, (uint64_t)o->imm & 0xffffffffu);
			else
				kb_buf_addf(&ops, "$0x%" PRIx64, mask_size(o->imm, o->size));
			break;
		case X86_OP_MEM:
			if (indirect)
				kb_buf_addch(&ops, '*');
			x86_mem(&ops, d->h, in, o, string_op, seg_prefix, &comment);
			break;
		default:
			break;
		}
	}
	x87_operands(x, &ops);
	if (ops.len)
		kb_buf_addf(out, "%-6s %s%s", mnem, ops.buf, comment.buf);
	else
		kb_buf_addstr(out, mnem);
	kb_buf_release(&ops);
	kb_buf_release(&comment);
}

/* Parse "#[-]0x1f" / "#[-]31" at @p; returns the length consumed (0: none). */
static size_t parse_imm(const char *p, int64_t *v)
{
	const char *s = p + 1;
	bool neg = false;
	char *end;
	uint64_t u;

	if (*p != '#')
		return 0;
	if (*s == '-') {
		neg = true;
		s++;
	}
	if (!isdigit((unsigned char)*s))
		return 0;
	errno = 0;
	u = strtoull(s, &end, 0);
	if (errno)
		return 0;
	*v = neg ? -(int64_t)u : (int64_t)u;
	return (size_t)(end - p);
}

static bool is_shift_before(const char *start, const char *p)
{
	static const char *const shifts[] = { "lsl ",  "lsr ",	"asr ",	 "ror ",  "msl ",
					      "uxtw ", "sxtw ", "uxtx ", "sxtx ", "uxtb ",
					      "uxth ", "sxtb ", "sxth " };

	for (size_t i = 0; i < KB_ARRAY_SIZE(shifts); i++) {
		size_t l = strlen(shifts[i]);

		if ((size_t)(p - start) >= l && !strncmp(p - l, shifts[i], l))
			return true;
	}
	return false;
}

/*
 * AArch64: objdump shows "mov" for movz/movn with the full value and a
 * decimal comment, hex immediates outside brackets, decimal offsets inside,
 * and branch targets as bare addresses.
 */
/* AArch64 condition names as objdump spells them, and its alias comments. */
static const struct {
	const char *cs, *od, *branch_alias, *cond_alias;
} a64_conds[] = {
	{ "eq", "eq", "b.none", "none" },
	{ "ne", "ne", "b.any", "any" },
	{ "hs", "cs", "b.hs, b.nlast", "hs, nlast" },
	{ "lo", "cc", "b.lo, b.ul, b.last", "lo, ul, last" },
	{ "mi", "mi", "b.first", "first" },
	{ "pl", "pl", "b.nfrst", "nfrst" },
	{ "hi", "hi", "b.pmore", "pmore" },
	{ "ls", "ls", "b.plast", "plast" },
	{ "ge", "ge", "b.tcont", "tcont" },
	{ "lt", "lt", "b.tstop", "tstop" },
};

static bool is_a64_cond_insn(const char *m)
{
	static const char *const ops[] = { "csel",  "csinc", "csinv", "csneg", "cset",
					   "csetm", "cinc",  "cinv",  "cneg",  "ccmp",
					   "ccmn",  "fcsel", "fccmp", "fccmpe" };

	for (size_t i = 0; i < KB_ARRAY_SIZE(ops); i++)
		if (!strcmp(m, ops[i]))
			return true;
	return false;
}

/* Mnemonics whose immediates objdump prints in decimal (bit numbers, shifts). */
static bool a64_decimal_imm(const char *m)
{
	static const char *const ops[] = {
		"lsl",	  "lsr",    "asr",     "ror",	  "tbz",    "tbnz",  "ubfx",
		"sbfx",	  "ubfiz",  "sbfiz",   "bfi",	  "bfxil",  "extr",  "ubfm",
		"sbfm",	  "bfm",    "bfc",     "ext",	  "shl",    "sshr",  "ushr",
		"srshr",  "urshr",  "ssra",    "usra",	  "sli",    "sri",   "shrn",
		"shrn2",  "rshrn",  "rshrn2",  "sshll",	  "sshll2", "ushll", "ushll2",
		"sqshrn", "uqshrn", "sqrshrn", "uqrshrn", "sqshl",  "uqshl",
	};

	for (size_t i = 0; i < KB_ARRAY_SIZE(ops); i++)
		if (!strcmp(m, ops[i]))
			return true;
	return false;
}

/*
 * AArch64: objdump shows "mov" for movz/movn with the full value and a
 * decimal comment, hex immediates outside brackets (decimal for shifts and
 * bit numbers), decimal offsets inside, bare branch/adr targets, and names
 * the condition aliases in comments ("b.ne 0x1dc  // b.any").
 */
static void arm64_render(struct disasm *d, const cs_insn *in, struct kb_buf *out)
{
	const cs_arm64 *a = &in->detail->arm64;
	bool branch = cs_insn_group(d->h, in, CS_GRP_JUMP) ||
		      cs_insn_group(d->h, in, CS_GRP_CALL) || !strcmp(in->mnemonic, "adr") ||
		      !strcmp(in->mnemonic, "adrp");
	bool decimal = a64_decimal_imm(in->mnemonic);
	struct kb_buf ops = KB_BUF_INIT;
	const char *p = in->op_str, *comment = NULL;
	char mnem[32];
	int depth = 0;

	snprintf(mnem, sizeof(mnem), "%s", in->mnemonic);
	if ((!strcmp(in->mnemonic, "movz") || !strcmp(in->mnemonic, "movn")) && a->op_count >= 2 &&
	    a->operands[0].type == ARM64_OP_REG && a->operands[1].type == ARM64_OP_IMM) {
		bool w = in->op_str[0] == 'w';
		unsigned sh =
			a->operands[1].shift.type == ARM64_SFT_LSL ? a->operands[1].shift.value : 0;
		uint64_t v = (uint64_t)a->operands[1].imm << sh;
		char reg[16];

		if (!strcmp(in->mnemonic, "movn"))
			v = ~v;
		if (w)
			v &= 0xffffffffu;
		snprintf(reg, sizeof(reg), "%.*s", (int)strcspn(in->op_str, ","), in->op_str);
		kb_buf_addf(&ops, "#0x%" PRIx64, v);
		/* objdump pads the immediate operand to 23 columns before the comment */
		kb_buf_addf(out, "mov\t%s, %-23s\t// #%" PRId64, reg, ops.buf,
			    w ? (int64_t)(int32_t)(uint32_t)v : (int64_t)v);
		kb_buf_release(&ops);
		return;
	}
	if (!strncmp(mnem, "b.", 2)) {
		for (size_t i = 0; i < KB_ARRAY_SIZE(a64_conds); i++) {
			if (!strcmp(mnem + 2, a64_conds[i].cs)) {
				snprintf(mnem, sizeof(mnem), "b.%s", a64_conds[i].od);
				comment = a64_conds[i].branch_alias;
			}
		}
	}
	while (*p) {
		int64_t v;
		size_t l;

		if (*p == '[')
			depth++;
		else if (*p == ']')
			depth--;
		l = parse_imm(p, &v);
		if (!l) {
			kb_buf_addch(&ops, *p++);
			continue;
		}
		if (branch && !p[l])
			kb_buf_addf(&ops, "0x%" PRIx64, (uint64_t)v);
		else if (depth > 0 || decimal || is_shift_before(in->op_str, p) ||
			 memchr(in->op_str, ']', (size_t)(p - in->op_str)))
			kb_buf_addf(&ops, "#%" PRId64, v); /* offsets, also post-index */
		else if (v < 0 && in->op_str[0] == 'w')
			kb_buf_addf(&ops, "#0x%" PRIx32, (uint32_t)v);
		else
			kb_buf_addf(&ops, "#0x%" PRIx64, (uint64_t)v);
		p += l;
	}
	/* "cset x0, eq	// eq = none": the condition is the last operand */
	if (is_a64_cond_insn(mnem) && ops.len > 2) {
		const char *c = strrchr(ops.buf, ' ');

		c = c ? c + 1 : ops.buf;
		for (size_t i = 0; i < KB_ARRAY_SIZE(a64_conds); i++) {
			if (!strcmp(c, a64_conds[i].cs)) {
				kb_buf_setlen(&ops, (size_t)(c - ops.buf));
				kb_buf_addf(&ops, "%s\t// %s = %s", a64_conds[i].od,
					    a64_conds[i].od, a64_conds[i].cond_alias);
				break;
			}
		}
	}
	if (ops.len)
		kb_buf_addf(out, "%s\t%s", mnem, ops.buf);
	else
		kb_buf_addstr(out, mnem);
	if (comment)
		kb_buf_addf(out, "  // %s", comment);
	kb_buf_release(&ops);
}

static bool is_cond(const char *c)
{
	static const char conds[] = "eqnecshsccloplmivsvchilsgeltgtleal";

	for (size_t i = 0; i + 1 < sizeof(conds); i += 2)
		if (c[0] == conds[i] && c[1] == conds[i + 1] && !c[2])
			return true;
	return false;
}

/* 32-bit Thumb-2 forms objdump marks ".w" (a 16-bit form of the op exists). */
static bool thumb_wide_op(const char *m)
{
	static const char *const ops[] = { "and",  "orr",  "eor",  "bic",   "adc",   "sbc",  "mvn",
					   "ands", "orrs", "eors", "bics",  "adcs",  "sbcs", "mvns",
					   "ldr",  "ldrb", "ldrh", "ldrsb", "ldrsh", "str",  "strb",
					   "strh", "tst",  "teq",  "cmn",   "mul" };

	for (size_t i = 0; i < KB_ARRAY_SIZE(ops); i++) {
		size_t l = strlen(ops[i]);

		/* the op, optionally followed by a condition (IT block) */
		if (!strncmp(m, ops[i], l) && (!m[l] || is_cond(m + l)))
			return true;
	}
	return false;
}

/*
 * ARM/Thumb mnemonics as objdump spells them: "cs"/"cc" for hs/lo,
 * "stmia"/"ldmia" for Thumb stm/ldm (and ARM stm with writeback), ".n" on
 * 16-bit conditional/unconditional branches, ".w" on 32-bit forms that have
 * a 16-bit sibling, "negs", "mov.w rd, rm, lsl #n" for immediate shifts,
 * "stmdb sp!"/"ldmia.w sp!" for 32-bit push/pop.  May prefix @ops and skip
 * part of the operand text (*p).
 */
static void arm_mnemonic(struct disasm *d, const cs_insn *in, bool branch, char *mnem, size_t cap,
			 struct kb_buf *ops, const char **p)
{
	const cs_arm *a = &in->detail->arm;
	bool thumb = d->arch == KB_DISASM_THUMB;
	char base[32], suffix[8] = "";
	const char *dot = strchr(in->mnemonic, '.');
	size_t bl = dot ? (size_t)(dot - in->mnemonic) : strlen(in->mnemonic);

	snprintf(base, sizeof(base), "%.*s", (int)bl, in->mnemonic);
	if (dot)
		snprintf(suffix, sizeof(suffix), "%s", dot);
	/* condition spelling */
	if ((a->cc == ARM_CC_HS || a->cc == ARM_CC_LO) && bl >= 2) {
		const char *want = a->cc == ARM_CC_HS ? "hs" : "lo";

		for (size_t i = bl - 2;; i--) {
			if (!strncmp(base + i, want, 2)) {
				memcpy(base + i, a->cc == ARM_CC_HS ? "cs" : "cc", 2);
				break;
			}
			if (!i)
				break;
		}
	}
	if (!strncmp(base, "stm", 3) || !strncmp(base, "ldm", 3)) {
		bool plain = !base[3] || is_cond(base + 3);

		if (plain && (thumb || (base[0] == 's' && strchr(in->op_str, '!')))) {
			memmove(base + 5, base + 3, strlen(base + 3) + 1);
			memcpy(base + 3, "ia", 2);
		}
	}
	if (thumb && in->size == 2 && base[0] == 'b' && (!base[1] || is_cond(base + 1)) && branch &&
	    !dot)
		snprintf(suffix, sizeof(suffix), ".n");
	if (thumb && in->size == 4 && !dot && thumb_wide_op(base) && !strstr(in->op_str, "pc"))
		snprintf(suffix, sizeof(suffix), ".w");
	if (thumb && (!strcmp(base, "rsb") || !strcmp(base, "rsbs")) && !strcmp(suffix, ".w"))
		suffix[0] = '\0';
	/* 16-bit "muls rd, rn, rd": objdump shows the two-operand form */
	if (thumb && in->size == 2 && !strncmp(base, "mul", 3) && strrchr(in->op_str, ',')) {
		kb_buf_add(ops, in->op_str, (size_t)(strrchr(in->op_str, ',') - in->op_str));
		*p = in->op_str + strlen(in->op_str);
	}
	/* 16-bit "rsbs rd, rm, #0" is negs */
	if (thumb && in->size == 2 && !strncmp(base, "rsb", 3) && strstr(in->op_str, ", #0") &&
	    strlen(strstr(in->op_str, ", #0")) == 4) {
		memcpy(base, "neg", 3);
		kb_buf_add(ops, in->op_str, (size_t)(strstr(in->op_str, ", #0") - in->op_str));
		*p = in->op_str + strlen(in->op_str);
	}
	/* Thumb-2 immediate shifts: "lsl.w r1, r2, #4" -> "mov.w r1, r2, lsl #4" */
	if (thumb && in->size == 4 && a->op_count == 3 && a->operands[2].type == ARM_OP_IMM &&
	    (!strncmp(base, "lsl", 3) || !strncmp(base, "lsr", 3) || !strncmp(base, "asr", 3) ||
	     !strncmp(base, "ror", 3))) {
		const char *last = strrchr(in->op_str, ',');
		char shift[4];

		if (last) {
			snprintf(shift, sizeof(shift), "%.3s", base);
			memmove(base, "mov", 3);
			kb_buf_add(ops, in->op_str, (size_t)(last - in->op_str));
			kb_buf_addf(ops, ", %s", shift);
			*p = last + 1;
			snprintf(suffix, sizeof(suffix), ".w");
		}
	}
	/* 32-bit Thumb push/pop are printed as the underlying stmdb/ldmia */
	if (thumb && in->size == 4 && (!strcmp(base, "push") || !strcmp(base, "pop"))) {
		snprintf(base, sizeof(base), "%s", base[1] == 'u' ? "stmdb" : "ldmia");
		snprintf(suffix, sizeof(suffix), "%s", base[0] == 's' ? "" : ".w");
		kb_buf_addstr(ops, "sp!, ");
	}
	/* ARM ldrd/strd: objdump leaves out the implied second register */
	if (!thumb && (!strncmp(base, "ldrd", 4) || !strncmp(base, "strd", 4))) {
		const char *c1 = strchr(in->op_str, ','), *c2 = c1 ? strchr(c1 + 1, ',') : NULL;

		if (c2) {
			kb_buf_add(ops, in->op_str, (size_t)(c1 - in->op_str));
			*p = c2;
		}
	}
	snprintf(mnem, cap, "%.24s%.7s", base, suffix);
}

/*
 * ARM/Thumb: immediates as signed decimals, r9 instead of "sb", bare branch
 * targets, "stmia" spelled out, "nop" forms, and objdump's
 * "\t@ 0x.." comment for values above 32 or below -16, or the target of a
 * pc-relative load.
 */
static void arm_render(struct disasm *d, const cs_insn *in, struct kb_buf *out)
{
	bool branch = cs_insn_group(d->h, in, CS_GRP_JUMP) || cs_insn_group(d->h, in, CS_GRP_CALL);
	struct kb_buf ops = KB_BUF_INIT;
	const char *p = in->op_str;
	bool have_comment = false, pc_rel = false;
	int64_t comment = 0;
	char mnem[32];
	int depth = 0;

	/* Thumb "udf #imm8" (0xdeXX): capstone calls 0xdefe "trap" */
	if (d->arch == KB_DISASM_THUMB && in->size == 2 && in->bytes[1] == 0xde) {
		kb_buf_addf(out, "udf\t#%u", in->bytes[0]);
		if (in->bytes[0] > 32)
			kb_buf_addf(out, "\t@ 0x%x", in->bytes[0]);
		return;
	}
	if (d->arch == KB_DISASM_ARM && !strcmp(in->mnemonic, "nop")) {
		kb_buf_addstr(out, "nop\t{0}");
		return;
	}
	if (d->arch == KB_DISASM_ARM && !strcmp(in->mnemonic, "mov") &&
	    !strcmp(in->op_str, "r0, r0")) {
		kb_buf_addstr(out, "nop\t\t\t@ (mov r0, r0)");
		return;
	}
	arm_mnemonic(d, in, branch, mnem, sizeof(mnem), &ops, &p);
	/* IT blocks: "it lo" is "it cc" */
	if (!strncmp(mnem, "it", 2) && (!strcmp(p, "hs") || !strcmp(p, "lo"))) {
		kb_buf_addstr(&ops, p[0] == 'h' ? "cs" : "cc");
		p += 2;
	}
	while (*p) {
		int64_t v;
		size_t l;

		if (*p == '[')
			depth++;
		else if (*p == ']')
			depth--;
		if (!strncmp(p, "sb", 2) && (p == in->op_str || !isalnum((unsigned char)p[-1])) &&
		    !isalnum((unsigned char)p[2])) {
			kb_buf_addstr(&ops, "r9");
			p += 2;
			continue;
		}
		l = parse_imm(p, &v);
		if (!l) {
			kb_buf_addch(&ops, *p++);
			continue;
		}
		/* ARM prints modified immediates signed, Thumb-2 unsigned; offsets signed */
		if (d->arch == KB_DISASM_ARM || depth > 0)
			v = (int32_t)(uint32_t)v;
		else
			v = (uint32_t)v;
		if (branch && !p[l]) {
			kb_buf_addf(&ops, "0x%" PRIx32, (uint32_t)v);
		} else {
			kb_buf_addf(&ops, "#%" PRId64, v);
			if (!is_shift_before(in->op_str, p)) {
				if (p - in->op_str >= 5 && !strncmp(p - 5, "[pc, ", 5)) {
					uint64_t pc = d->arch == KB_DISASM_THUMB ?
							      ((in->address + 4) & ~UINT64_C(3)) :
							      in->address + 8;
					comment = (int64_t)(pc + (uint64_t)v);
					have_comment = true;
					pc_rel = d->arch == KB_DISASM_THUMB;
				} else if ((v > 32 || v < -16) &&
					   !(d->arch == KB_DISASM_THUMB && depth > 0 &&
					     (v < 0 || strstr(p, "]!")))) {
					/* (Thumb: none for negative or pre-indexed offsets) */
					comment = v;
					have_comment = true;
				}
			}
		}
		p += l;
	}
	/* Thumb 16-bit immediate-offset loads/stores show the zero offset */
	if (d->arch == KB_DISASM_THUMB && in->size == 2 && in->bytes[1] >= 0x60 &&
	    in->bytes[1] < 0xa0 && ops.len && ops.buf[ops.len - 1] == ']' &&
	    !strchr(strrchr(ops.buf, '['), ',')) {
		kb_buf_setlen(&ops, ops.len - 1);
		kb_buf_addstr(&ops, ", #0]");
	}
	if (ops.len)
		kb_buf_addf(out, "%s\t%s", mnem, ops.buf);
	else
		kb_buf_addstr(out, mnem);
	if (have_comment)
		kb_buf_addf(out, pc_rel ? "\t@ (0x%" PRIx32 ")" : "\t@ 0x%" PRIx32,
			    (uint32_t)comment);
	kb_buf_release(&ops);
}

static bool is_bugtrap(struct disasm *d, const cs_insn *in)
{
	if (d->arch == KB_DISASM_AMD64)
		return !strcmp(in->mnemonic, "ud2");
	if (d->arch == KB_DISASM_ARM64)
		return !strcmp(in->mnemonic, "brk") && in->detail->arm64.op_count == 1 &&
		       in->detail->arm64.operands[0].imm == 0x800;
	return false;
}

/* Is the undecodable tail at @off cut short (objdump: ".byte") or garbage ("(bad)")? */
static bool truncated_at(struct disasm *d, const uint8_t *b, size_t n, size_t off)
{
	uint8_t pad[32] = { 0 };
	size_t rest = n - off;
	cs_insn *in;
	bool r = false;

	if (d->arch != KB_DISASM_AMD64 || rest >= 16)
		return false;
	/* a VEX/EVEX/XOP escape needs at least 3 more bytes */
	if (rest < 4 && (b[off] == 0xc4 || b[off] == 0xc5 || b[off] == 0x62 || b[off] == 0x8f))
		return true;
	memcpy(pad, b + off, rest);
	if (cs_disasm(d->h, pad, sizeof(pad), off, 1, &in) == 1) {
		r = in->size > rest;
		cs_free(in, 1);
	}
	return r;
}

static size_t insn_width(enum kb_disasm_arch arch)
{
	return arch == KB_DISASM_AMD64 ? 1 : arch == KB_DISASM_THUMB ? 2 : 4;
}

static const char *x86_prefix_name(struct disasm *d, uint8_t c)
{
	if (d->arch != KB_DISASM_AMD64)
		return NULL;
	if ((c & 0xf0) == 0x40)
		return x86_rex_name(c);
	switch (c) {
	case 0xf0:
		return "lock";
	case 0xf2:
		return "repnz";
	case 0xf3:
		return "repz";
	case 0x26:
		return "es";
	case 0x2e:
		return "cs";
	case 0x36:
		return "ss";
	case 0x3e:
		return "ds";
	case 0x64:
		return "fs";
	case 0x65:
		return "gs";
	case 0x66:
		return "data16";
	case 0x67:
		return "addr32";
	case 0x9b:
		return "fwait";
	default:
		return NULL;
	}
}

/*
 * objdump skips zero bytes: a run of 8 or more anywhere, or a run of one or
 * two that ends the buffer, is listed as a single "\t..." line.  Returns
 * the length of the skipped run, 0 when the bytes are disassembled.
 */
static size_t zero_run(struct disasm *d, const uint8_t *b, size_t n, size_t off)
{
	size_t z = off, w = insn_width(d->arch);

	while (z < n && !b[z])
		z++;
	if (z - off >= 8 || (z == n && z > off && z - off < 3)) {
		if (z < n)
			z = off + (z - off) / w * w;
		return z - off;
	}
	return 0;
}

/*
 * capstone 4 decodes "0f b9" as a 2-byte "ud2b"; it is ud1 with a ModRM
 * operand (used as a trap by newer kernels).  Decode the operands as those of
 * "8b" (mov r/m -> reg), which has the same ModRM form.
 */
static bool x86_ud1(struct disasm *d, const uint8_t *b, size_t n, size_t off, struct kb_buf *text,
		    size_t *size)
{
	uint8_t tmp[32];
	size_t p = off, len;
	cs_insn *in;
	bool ok = false;

	while (p < n && (strchr("\xf2\xf3\x66\x2e\x3e\x26\x36\x64\x65\x67\xf0", b[p]) ||
			 (b[p] & 0xf0) == 0x40))
		p++;
	if (p + 2 >= n || b[p] != 0x0f || b[p + 1] != 0xb9)
		return false;
	len = KB_MIN(n - off - 1, sizeof(tmp));
	memcpy(tmp, b + off, p - off);
	tmp[p - off] = 0x8b;
	memcpy(tmp + (p - off) + 1, b + p + 2, len - (p - off) - 1);
	if (cs_disasm(d->h, tmp, len, off, 1, &in) == 1) {
		struct kb_buf mov = KB_BUF_INIT;
		const char *ops;

		x86_render(d, in, tmp, "", &mov);
		ops = strchr(mov.buf, ' ');
		while (ops && *ops == ' ')
			ops++;
		kb_buf_addf(text, "ud1    %s", ops ? ops : "");
		*size = in->size + 1;
		ok = true;
		kb_buf_release(&mov);
		cs_free(in, 1);
	}
	return ok;
}

/*
 * capstone 4 does not know pclmulqdq (66 0f 3a 44 /r ib).  Its operands are
 * those of palignr (66 0f 3a 0f /r ib); objdump names the four common
 * immediates (pclmullqlqdq, ...).
 */
static bool x86_pclmul(struct disasm *d, const uint8_t *b, size_t n, size_t off,
		       struct kb_buf *text, size_t *size)
{
	static const char *const names[] = { "pclmullqlqdq", "pclmulhqlqdq", "pclmullqhqdq",
					     "pclmulhqhqdq" };
	uint8_t tmp[32];
	size_t p = off, len;
	cs_insn *in;
	bool ok = false, has66 = false;

	while (p < n && (b[p] == 0x66 || (b[p] & 0xf0) == 0x40)) {
		has66 |= b[p] == 0x66;
		p++;
	}
	if (!has66 || p + 3 >= n || b[p] != 0x0f || b[p + 1] != 0x3a || b[p + 2] != 0x44)
		return false;
	len = KB_MIN(n - off, sizeof(tmp));
	memcpy(tmp, b + off, len);
	tmp[p + 2 - off] = 0x0f;
	if (cs_disasm(d->h, tmp, len, off, 1, &in) == 1) {
		const cs_x86 *x = &in->detail->x86;
		struct kb_buf ops = KB_BUF_INIT;
		const char *c;
		int imm = x->op_count && x->operands[0].type == X86_OP_IMM ?
				  (int)x->operands[0].imm :
				  -1;

		x86_render(d, in, tmp, "", &ops);
		c = strchr(ops.buf, ',');
		if (c && (imm == 0x00 || imm == 0x01 || imm == 0x10 || imm == 0x11))
			kb_buf_addf(text, "%s %s", names[(imm & 1) | (imm >> 4) << 1], c + 1);
		else if ((c = strchr(ops.buf, ' ')))
			kb_buf_addf(text, "pclmulqdq %s", c + strspn(c, " "));
		*size = in->size;
		ok = c != NULL;
		kb_buf_release(&ops);
		cs_free(in, 1);
	}
	return ok;
}

/* What objdump prints for bytes that decode to nothing. */
static void bad_insn(struct disasm *d, const uint8_t *b, size_t n, struct insn *ins)
{
	size_t w = insn_width(d->arch);
	uint32_t word = 0;

	/* a Thumb halfword 0b11101/0b11110/0b11111... starts a 32-bit instruction */
	if (d->arch == KB_DISASM_THUMB && n >= 4 && (b[1] >> 3) >= 0x1d)
		w = 4;
	/*
	 * objdump's "(bad)" covers the bytes it read before giving up: a VEX
	 * prefix with its opcode, or an escape with its opcode.
	 */
	if (d->arch == KB_DISASM_AMD64) {
		if (b[0] == 0xc5 && n >= 3)
			w = 3;
		else if (b[0] == 0xc4 && n >= 4 && (b[1] & 0x1f) >= 1 && (b[1] & 0x1f) <= 3)
			w = 4; /* (an invalid opcode map fails right after c4) */
		else if (b[0] == 0x0f && n >= 3 && (b[1] == 0x38 || b[1] == 0x3a))
			w = 3;
		else if (b[0] == 0x0f && n >= 2)
			w = 2;
	}
	w = KB_MIN(w, n);
	ins->size = w;
	ins->bad = true;
	for (size_t i = 0; i < w && i < 4; i++)
		word |= (uint32_t)b[i] << (8 * i);
	if (d->arch == KB_DISASM_AMD64 || w < insn_width(d->arch))
		kb_buf_addstr(&ins->text, "(bad)");
	else if (d->arch == KB_DISASM_ARM64)
		kb_buf_addf(&ins->text, ".inst\t0x%08x ; undefined", word);
	else if (d->arch == KB_DISASM_THUMB && w == 4)
		kb_buf_addf(&ins->text, "\t\t@ <UNDEFINED> instruction: 0x%04x%04x", word & 0xffff,
			    word >> 16);
	else if (d->arch == KB_DISASM_THUMB)
		kb_buf_addf(&ins->text, "\t\t@ <UNDEFINED> instruction: 0x%04x", word);
	else
		kb_buf_addf(&ins->text, "\t\t@ <UNDEFINED> instruction: 0x%08x", word);
}

/*
 * Instructions are decoded in runs (one cs_disasm() call until it fails):
 * capstone tracks Thumb IT blocks only within a call, and the conditions of
 * the instructions in an IT block depend on it.
 */
struct batch {
	cs_insn *insn;
	size_t n, i;
};

static const cs_insn *next_insn(struct disasm *d, struct batch *bt, const uint8_t *b, size_t n,
				size_t off)
{
	while (bt->i < bt->n && bt->insn[bt->i].address < off)
		bt->i++;
	if (bt->i < bt->n && bt->insn[bt->i].address == off)
		return &bt->insn[bt->i++];
	if (bt->insn)
		cs_free(bt->insn, bt->n);
	bt->insn = NULL;
	bt->i = 0;
	bt->n = cs_disasm(d->h, b + off, n - off, off, 0, &bt->insn);
	return bt->n ? &bt->insn[bt->i++] : NULL;
}

/* Decode @n bytes into *ret (one entry per listed line group). */
static size_t decode_all(struct disasm *d, const uint8_t *b, size_t n, struct insn **ret)
{
	struct insn *v = kb_xcalloc(n + 1, sizeof(*v));
	size_t cnt = 0, off = 0;
	struct batch bt = { 0 };

	while (off < n) {
		struct insn *ins = &v[cnt++];
		const cs_insn *cur;
		cs_insn *in;
		size_t zeros;
		const char *prefix;

		kb_buf_init(&ins->text, 64);
		ins->off = off;
		zeros = zero_run(d, b, n, off);
		if (zeros) {
			ins->size = zeros;
			ins->dots = true;
		} else if (d->arch == KB_DISASM_AMD64 &&
			   (x86_ud1(d, b, n, off, &ins->text, &ins->size) ||
			    x86_pclmul(d, b, n, off, &ins->text, &ins->size))) {
			/* rendered */
		} else if (d->arch == KB_DISASM_AMD64 && (b[off] & 0xf0) == 0x40 && off + 1 < n &&
			   x86_prefix_name(d, b[off + 1])) {
			/* a REX not right before the opcode is ignored, and listed alone */
			ins->size = 1;
			kb_buf_addstr(&ins->text, x86_prefix_name(d, b[off]));
		} else if ((cur = next_insn(d, &bt, b, n, off))) {
			ins->size = cur->size;
			ins->bugtrap = is_bugtrap(d, cur);
			if (d->arch == KB_DISASM_AMD64)
				x86_render(d, cur, b + off, "", &ins->text);
			else if (d->arch == KB_DISASM_ARM64)
				arm64_render(d, cur, &ins->text);
			else
				arm_render(d, cur, &ins->text);
		} else if ((prefix = x86_prefix_name(d, b[off]))) {
			/*
			 * A prefix capstone rejects together with its instruction
			 * ("lock add %bl,%ch"): objdump prints it with the rest,
			 * or with "(bad)"; at the very end it stands alone.
			 */
			ins->size = 1;
			kb_buf_addstr(&ins->text, prefix);
			if (truncated_at(d, b, n, off) ||
			    (off + 1 < n && (b[off + 1] & 0xf0) == 0x40 &&
			     (b[off] & 0xf0) == 0x40)) {
				/* alone */
			} else if (off + 1 < n && cs_disasm(d->h, b + off + 1, n - off - 1, off + 1,
							    1, &in) == 1) {
				char pre[16];

				snprintf(pre, sizeof(pre), "%s ", prefix);
				kb_buf_reset(&ins->text);
				ins->size += in->size;
				x86_render(d, in, b + off + 1, pre, &ins->text);
				cs_free(in, 1);
			} else if (off + 1 < n && !truncated_at(d, b, n, off + 1)) {
				ins->size++;
				kb_buf_addstr(&ins->text, " (bad)");
			}
		} else if (truncated_at(d, b, n, off)) {
			ins->size = 1;
			kb_buf_addf(&ins->text, ".byte 0x%x", b[off]);
		} else {
			bad_insn(d, b + off, n - off, ins);
		}
		off += ins->size;
	}
	if (bt.insn)
		cs_free(bt.insn, bt.n);
	*ret = v;
	return cnt;
}

static void free_insns(struct insn *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		kb_buf_release(&v[i].text);
	free(v);
}

static void add_bytes(struct kb_buf *out, enum kb_disasm_arch arch, const uint8_t *b, size_t n)
{
	size_t start = out->len;

	if (arch == KB_DISASM_AMD64) {
		for (size_t i = 0; i < n && i < 7; i++)
			kb_buf_addf(out, "%02x ", b[i]);
		while (out->len - start < 21)
			kb_buf_addch(out, ' ');
	} else if (arch == KB_DISASM_THUMB) {
		for (size_t i = 0; i + 1 < n + 1 && i < n; i += 2)
			kb_buf_addf(out, "%04x ",
				    i + 1 < n ? (unsigned)(b[i] | b[i + 1] << 8) : b[i]);
		while (out->len - start < 10)
			kb_buf_addch(out, ' ');
	} else if (n >= 4) {
		kb_buf_addf(out, "%08x ",
			    (unsigned)(b[0] | b[1] << 8 | b[2] << 16 | (uint32_t)b[3] << 24));
	} else {
		for (size_t i = 0; i < n; i++)
			kb_buf_addf(out, "%02x", b[n - 1 - i]);
		kb_buf_addch(out, ' ');
	}
}

int kb_disasm_listing(const uint8_t *bytes, size_t n, enum kb_disasm_arch arch, size_t trap,
		      struct kb_buf *out, struct kb_disasm_info *info)
{
	struct disasm d;
	struct insn *v;
	size_t cnt;
	int r, aw;

	memset(info, 0, sizeof(*info));
	r = disasm_open(&d, arch);
	if (r < 0)
		return r;
	cnt = decode_all(&d, bytes, n, &v);
	/* objdump drops leading zeros of the addresses in groups of four */
	aw = n >= 0x1000 ? 8 : 4;
	for (size_t i = 0; i < cnt; i++) {
		const struct insn *ins = &v[i];
		size_t line = out->len;
		bool is_trap = ins->off == trap;

		if (ins->off < trap && ins->bad)
			info->bad_before_trap = true;
		if (is_trap) {
			info->trap_aligned = true;
			info->trap_is_bugtrap = ins->bugtrap;
		}
		if (ins->dots) {
			kb_buf_addstr(out, "\t...\n");
			continue;
		}
		kb_buf_addf(out, "%*zx:\t", aw, ins->off);
		if (is_trap)
			out->buf[line] = '*';
		add_bytes(out, arch, bytes + ins->off, ins->size);
		kb_buf_addch(out, '\t');
		kb_buf_add(out, ins->text.buf, ins->text.len);
		if (is_trap)
			kb_buf_addstr(out, " <-- trapping instruction");
		kb_buf_addch(out, '\n');
		/* objdump wraps long x86 encodings, 7 bytes per line */
		for (size_t k = 7; arch == KB_DISASM_AMD64 && k < ins->size; k += 7) {
			kb_buf_addf(out, "%*zx:\t", aw, ins->off + k);
			for (size_t j = k; j < ins->size && j < k + 7; j++)
				kb_buf_addf(out, j > k ? " %02x" : "%02x", bytes[ins->off + j]);
			kb_buf_addch(out, '\n');
		}
	}
	free_insns(v, cnt);
	disasm_close(&d);
	return 0;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int kb_disasm_parse_code(const char *s, size_t len, uint8_t *bytes, size_t cap, size_t *n,
			 size_t *trap, size_t *token_width)
{
	size_t width = 0, cnt = 0, ntrap = 0;

	while (len && isspace((unsigned char)*s)) {
		s++;
		len--;
	}
	while (len && isspace((unsigned char)s[len - 1]))
		len--;
	if (!len)
		return -EINVAL;
	*trap = 0;
	for (size_t i = 0; i <= len;) {
		size_t j = i, tl;
		const char *t;
		bool mark = false;

		while (j < len && s[j] != ' ')
			j++;
		t = s + i;
		tl = j - i;
		if (tl >= 2 &&
		    ((t[0] == '<' && t[tl - 1] == '>') || (t[0] == '(' && t[tl - 1] == ')'))) {
			mark = true;
			t++;
			tl -= 2;
		}
		if (tl == 0 || tl % 2 || tl > 16)
			return -EINVAL;
		if (!width)
			width = tl / 2;
		if (tl / 2 != width || (width != 1 && width != 2 && width != 4 && width != 8))
			return -EINVAL;
		if (cnt + width > cap)
			return -EINVAL;
		if (mark) {
			*trap = cnt;
			ntrap++;
		}
		/* the token is a number in little-endian target order */
		for (size_t k = 0; k < width; k++) {
			int hi = hexval(t[tl - 2 * k - 2]), lo = hexval(t[tl - 2 * k - 1]);

			if (hi < 0 || lo < 0)
				return -EINVAL;
			bytes[cnt++] = (uint8_t)(hi << 4 | lo);
		}
		i = j + 1;
	}
	if (ntrap != 1)
		return -EINVAL;
	*n = cnt;
	*token_width = width;
	return 0;
}

/* The spec's Code: regex: "Code:", whitespace, runs of >= 2 of [0-9a-fA-F()<>]. */
static bool code_line(const char *l, size_t len, const char **body, size_t *blen)
{
	size_t i = 0, run = 0;

	while (i < len && isspace((unsigned char)l[i]))
		i++;
	if (len - i < 6 || strncmp(l + i, "Code:", 5) || !isspace((unsigned char)l[i + 5]))
		return false;
	i += 5;
	*body = l + i;
	*blen = len - i;
	for (; i < len; i++) {
		unsigned char c = (unsigned char)l[i];

		if (isspace(c)) {
			if (run == 1)
				return false;
			run = 0;
		} else if (isxdigit(c) || strchr("()<>", c)) {
			run++;
		} else {
			return false;
		}
	}
	return run != 1;
}

static bool user_rip(const char *l, size_t len)
{
	size_t i = 4;

	if (len < 5 || strncmp(l, "RIP:", 4))
		return false;
	if (!isspace((unsigned char)l[i]))
		return false;
	while (i < len && isspace((unsigned char)l[i]))
		i++;
	return len - i >= 5 && !strncmp(l + i, "0033:", 5);
}

/* Try one Code: line; on success append the trailer and return 1. */
static int try_code(const char *body, size_t blen, enum kb_disasm_arch arch, struct kb_buf *out)
{
	uint8_t bytes[MAX_CODE];
	size_t n, trap, width, best = SIZE_MAX, max_cut;
	struct kb_buf listing = KB_BUF_INIT;

	if (kb_disasm_parse_code(body, blen, bytes, sizeof(bytes), &n, &trap, &width) < 0)
		return 0;
	if (arch == KB_DISASM_ARM && width == 2)
		arch = KB_DISASM_THUMB;
	max_cut = KB_MIN(trap, (size_t)7);
	for (size_t cut = 0; cut <= max_cut; cut++) {
		struct kb_disasm_info info;

		kb_buf_reset(&listing);
		if (kb_disasm_listing(bytes + cut, n - cut, arch, trap - cut, &listing, &info) < 0)
			break;
		if (!info.trap_aligned)
			continue;
		if (best == SIZE_MAX)
			best = cut;
		if (!info.bad_before_trap) {
			best = cut;
			break;
		}
	}
	if (best != SIZE_MAX) {
		struct kb_disasm_info info;

		kb_buf_reset(&listing);
		kb_disasm_listing(bytes + best, n - best, arch, trap - best, &listing, &info);
		if (info.trap_is_bugtrap) {
			kb_buf_release(&listing);
			return 0;
		}
		kb_buf_addstr(out, "----------------\n");
		if (best)
			kb_buf_addf(out, "Code disassembly (best guess), %zu bytes skipped:\n",
				    best);
		else
			kb_buf_addstr(out, "Code disassembly (best guess):\n");
		kb_buf_add(out, listing.buf, listing.len);
	}
	kb_buf_release(&listing);
	return best != SIZE_MAX;
}

int kb_report_decompile(const char *report, size_t len, const char *arch, struct kb_buf *out)
{
	enum kb_disasm_arch a;
	const char *prev = NULL, *p = report, *end = report + len;
	size_t prev_len = 0;

	if (!strcmp(arch, "amd64"))
		a = KB_DISASM_AMD64;
	else if (!strcmp(arch, "arm64"))
		a = KB_DISASM_ARM64;
	else if (!strcmp(arch, "arm"))
		a = KB_DISASM_ARM;
	else
		return 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
		const char *body;
		size_t blen;

		if (code_line(p, l, &body, &blen) && !(prev && user_rip(prev, prev_len)) &&
		    try_code(body, blen, a, out))
			return 1;
		prev = p;
		prev_len = l;
		p += l + 1;
	}
	return 0;
}
