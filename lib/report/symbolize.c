// SPDX-License-Identifier: Apache-2.0
/*
 * Frame symbolization (crash-report spec §12), see symbolize.h.
 *
 * The reference pipes PCs through a long-lived "addr2line -afi"; we read
 * the DWARF in-process with libdw instead: the symbol table gives the
 * function address (and the kallsyms-style size, used to pick among
 * same-named local symbols), the line table the innermost file:line, and
 * the chain of DW_TAG_inlined_subroutine scopes around the PC the inlined
 * functions with their call sites, innermost first, as addr2line -i does.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <dwarf.h>
#include <elfutils/libdwfl.h>
#include <errno.h>
#include <inttypes.h>
#include <pcre2.h>
#include <string.h>
#include "report/demangle.h"
#include "report/symbolize.h"
#include "util/error.h"

static const char frame_re[] =
	"(?:\\[\\<(?:(?:0x)?[0-9a-f]+)\\>\\])?[ \\t]+\\(?(?:[0-9]+:)?([a-zA-Z0-9_.]+)\\+0x([0-9a-f]+)"
	"/0x([0-9a-f]+)( ?\\[([a-zA-Z0-9_.]+)( .*)?\\])?\\)?";

struct sym {
	const char *name; /* owned by libdw's string table */
	uint64_t addr, size;
};

struct frame {
	char *func, *file;
	int line;
	bool inlined;
};

struct cache_entry {
	uint64_t pc;
	struct frame *frames;
	size_t n;
};

#define CACHE_MAX 4096

struct kb_symbolizer {
	Dwfl *dwfl;
	Dwfl_Module *mod;
	char *src_dir;
	struct sym *by_name; /* sorted by name, then address */
	size_t nsyms;
	struct cache_entry *cache;
	size_t ncache;
};

static const Dwfl_Callbacks callbacks = {
	.find_debuginfo = dwfl_standard_find_debuginfo,
	.section_address = dwfl_offline_section_address,
};

static int cmp_addr(const void *a, const void *b)
{
	const struct sym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static int cmp_name(const void *a, const void *b)
{
	const struct sym *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : cmp_addr(a, b);
}

/* Function symbols with the size the kernel prints: distance to the next one. */
static int load_symbols(struct kb_symbolizer *s)
{
	int n = dwfl_module_getsymtab(s->mod);
	size_t cnt = 0;

	if (n <= 0)
		return kb_error_set(-ENOENT, "no symbol table");
	s->by_name = kb_xcalloc((size_t)n, sizeof(*s->by_name));
	for (int i = 1; i < n; i++) {
		GElf_Sym sym;
		GElf_Addr addr;
		const char *name =
			dwfl_module_getsym_info(s->mod, i, &sym, &addr, NULL, NULL, NULL);
		int type = GELF_ST_TYPE(sym.st_info);

		if (!name || !*name || sym.st_shndx == SHN_UNDEF ||
		    (type != STT_FUNC && type != STT_NOTYPE))
			continue;
		s->by_name[cnt++] = (struct sym){ .name = name, .addr = addr, .size = sym.st_size };
	}
	qsort(s->by_name, cnt, sizeof(*s->by_name), cmp_addr);
	for (size_t i = 0; i < cnt; i++) {
		size_t j = i + 1;

		/* aliases at the same address share the size */
		while (j < cnt && s->by_name[j].addr == s->by_name[i].addr)
			j++;
		if (j < cnt)
			s->by_name[i].size = s->by_name[j].addr - s->by_name[i].addr;
	}
	qsort(s->by_name, cnt, sizeof(*s->by_name), cmp_name);
	s->nsyms = cnt;
	return 0;
}

int kb_symbolizer_open(const char *binary, const char *src_dir, struct kb_symbolizer **ret)
{
	struct kb_symbolizer *s;
	int r;

	if (access(binary, R_OK) < 0)
		return kb_error_set(-errno, "cannot read kernel binary '%s': %s", binary,
				    strerror(errno));
	s = kb_xcalloc(1, sizeof(*s));
	s->dwfl = dwfl_begin(&callbacks);
	if (!s->dwfl) {
		free(s);
		return kb_error_set(-ENOMEM, "libdw: %s", dwfl_errmsg(-1));
	}
	s->mod = dwfl_report_offline(s->dwfl, "kernel", binary, -1);
	if (!s->mod || dwfl_report_end(s->dwfl, NULL, NULL) != 0) {
		r = kb_error_set(-EINVAL, "cannot load '%s': %s", binary, dwfl_errmsg(-1));
		kb_symbolizer_free(s);
		return r;
	}
	r = load_symbols(s);
	if (r < 0) {
		kb_error_wrap(r, "'%s'", binary);
		kb_symbolizer_free(s);
		return r;
	}
	if (src_dir) {
		size_t l = strlen(src_dir);

		while (l > 1 && src_dir[l - 1] == '/')
			l--;
		s->src_dir = kb_xstrndup(src_dir, l);
	}
	*ret = s;
	return 0;
}

static void free_frames(struct frame *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(f[i].func);
		free(f[i].file);
	}
	free(f);
}

void kb_symbolizer_free(struct kb_symbolizer *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->ncache; i++)
		free_frames(s->cache[i].frames, s->cache[i].n);
	free(s->cache);
	free(s->by_name);
	free(s->src_dir);
	if (s->dwfl)
		dwfl_end(s->dwfl);
	free(s);
}

/* The symbol called @name, preferring one of the printed @size. */
static const struct sym *find_symbol(struct kb_symbolizer *s, const char *name, uint64_t size)
{
	size_t lo = 0, hi = s->nsyms;
	const struct sym *first = NULL;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(s->by_name[mid].name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i < s->nsyms && !strcmp(s->by_name[i].name, name); i++) {
		if (!first)
			first = &s->by_name[i];
		if (s->by_name[i].size == size)
			return &s->by_name[i];
	}
	return first;
}

/* @path relative to the source dir (or the CU's compilation dir). */
static char *relative(struct kb_symbolizer *s, Dwarf_Die *cu, const char *path)
{
	Dwarf_Attribute a;
	const char *dir = s->src_dir;
	size_t dl;

	if (!dir && cu)
		dir = dwarf_formstring(dwarf_attr(cu, DW_AT_comp_dir, &a));
	if (dir) {
		dl = strlen(dir);
		if (!strncmp(path, dir, dl) && path[dl] == '/')
			path += dl + 1;
	}
	while (!strncmp(path, "./", 2))
		path += 2;
	return kb_xstrdup(path);
}

static const char *scope_name(Dwarf_Die *die)
{
	Dwarf_Attribute a;
	const char *n = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_linkage_name, &a));

	if (!n)
		n = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_name, &a));
	return n;
}

static void add_frame(struct frame **v, size_t *n, const char *func, char *file, int line,
		      bool inlined)
{
	if (!func || !*func || !file || !*file || strstr(func, "??") || strstr(file, "??")) {
		free(file);
		return;
	}
	*v = kb_xrealloc(*v, (*n + 1) * sizeof(**v));
	(*v)[*n] = (struct frame){
		.func = kb_demangle(func, strlen(func)),
		.file = file,
		.line = line ? line : -1,
		.inlined = inlined,
	};
	if (!(*v)[*n].func)
		(*v)[*n].func = kb_xstrdup(func);
	(*n)++;
}

/* addr2line -fi for one PC: innermost inlined function first, real function last. */
static size_t lookup_pc(struct kb_symbolizer *s, uint64_t pc, struct frame **ret)
{
	struct frame *v = NULL;
	size_t n = 0;
	Dwarf_Addr bias = 0;
	Dwarf_Die *cu = dwfl_module_addrdie(s->mod, pc, &bias), *scopes = NULL;
	Dwfl_Line *line = dwfl_module_getsrc(s->mod, pc);
	const char *file = NULL;
	int lineno = 0, nscopes;
	Dwarf_Files *files = NULL;
	size_t nfiles = 0;
	char *cur_file;

	*ret = NULL;
	if (!cu || !line)
		return 0;
	file = dwfl_lineinfo(line, NULL, &lineno, NULL, NULL, NULL);
	if (!file)
		return 0;
	cur_file = relative(s, cu, file);
	/*
	 * dwarf_getscopes() stops at the innermost function instance (its
	 * abstract origin's scopes follow); the physical nesting of the
	 * inline instances comes from dwarf_getscopes_die() on that DIE.
	 */
	nscopes = dwarf_getscopes(cu, pc - bias, &scopes);
	for (int i = 0; i < nscopes; i++) {
		int tag = dwarf_tag(&scopes[i]);

		if (tag == DW_TAG_inlined_subroutine || tag == DW_TAG_subprogram) {
			Dwarf_Die die = scopes[i], *chain = NULL;

			free(scopes);
			scopes = NULL;
			nscopes = dwarf_getscopes_die(&die, &chain);
			scopes = chain;
			break;
		}
	}
	if (dwarf_getsrcfiles(cu, &files, &nfiles) != 0)
		files = NULL;
	for (int i = 0; i < nscopes; i++) {
		Dwarf_Die *die = &scopes[i];
		int tag = dwarf_tag(die);
		Dwarf_Attribute a;
		Dwarf_Word fidx = 0, cl = 0;
		const char *cf;

		if (tag != DW_TAG_inlined_subroutine && tag != DW_TAG_subprogram)
			continue;
		if (tag == DW_TAG_subprogram) {
			add_frame(&v, &n, scope_name(die), cur_file, lineno, false);
			cur_file = NULL;
			break;
		}
		add_frame(&v, &n, scope_name(die), cur_file, lineno, true);
		/* the caller's location is this inline instance's call site */
		cur_file = NULL;
		if (dwarf_formudata(dwarf_attr(die, DW_AT_call_file, &a), &fidx) != 0 ||
		    dwarf_formudata(dwarf_attr(die, DW_AT_call_line, &a), &cl) != 0 || !files)
			break;
		cf = dwarf_filesrc(files, fidx, NULL, NULL);
		if (!cf)
			break;
		cur_file = relative(s, cu, cf);
		lineno = (int)cl;
	}
	/*
	 * No function scope (alignment padding after a function): addr2line
	 * still prints the line table's answer under the preceding symbol.  The
	 * name of a lone frame is not printed (the original text stays).
	 */
	if (!n && cur_file) {
		const char *name = dwfl_module_addrname(s->mod, pc);

		add_frame(&v, &n, name ? name : "-", cur_file, lineno, false);
		cur_file = NULL;
	}
	free(cur_file);
	free(scopes);
	/* all but the last are inline, whatever the scopes said */
	for (size_t i = 0; i < n; i++)
		v[i].inlined = i + 1 < n;
	*ret = v;
	return n;
}

static size_t lookup_cached(struct kb_symbolizer *s, uint64_t pc, const struct frame **ret)
{
	struct frame *v;
	size_t n;

	for (size_t i = 0; i < s->ncache; i++) {
		if (s->cache[i].pc == pc) {
			*ret = s->cache[i].frames;
			return s->cache[i].n;
		}
	}
	n = lookup_pc(s, pc, &v);
	if (s->ncache < CACHE_MAX) {
		if (!s->cache)
			s->cache = kb_xcalloc(CACHE_MAX, sizeof(*s->cache));
		s->cache[s->ncache++] = (struct cache_entry){ .pc = pc, .frames = v, .n = n };
		*ret = v;
		return n;
	}
	/* cache full: hand out a copy the caller cannot free; keep it simple */
	s->cache[s->ncache - 1].pc = pc;
	free_frames(s->cache[s->ncache - 1].frames, s->cache[s->ncache - 1].n);
	s->cache[s->ncache - 1].frames = v;
	s->cache[s->ncache - 1].n = n;
	*ret = v;
	return n;
}

static bool is_pc_line(const char *l, size_t len)
{
	return memmem(l, len, "RIP:", 4) || memmem(l, len, "PC is at", 8) ||
	       memmem(l, len, "pc : ", 5);
}

static void add_name(struct kb_buf *out, const char *name, size_t len)
{
	char *d = kb_demangle(name, len);

	if (d)
		kb_buf_addstr(out, d);
	else
		kb_buf_add(out, name, len);
	free(d);
}

struct frame_match {
	size_t name_s, name_e, off_s, off_e, size_e, mod_s, mod_e, modname_s, modname_e;
	bool has_mod;
};

/* Emit one line: the frame with its module part reduced to " [module]". */
static void emit_line(struct kb_buf *out, const char *l, size_t len, const struct frame_match *m,
		      const struct frame *f)
{
	size_t rest = m->has_mod ? m->mod_e : m->size_e;

	kb_buf_add(out, l, m->name_s);
	if (f && f->inlined) {
		kb_buf_addstr(out, f->func);
	} else {
		add_name(out, l + m->name_s, m->name_e - m->name_s);
		kb_buf_add(out, l + m->name_e, m->size_e - m->name_e);
	}
	if (f)
		kb_buf_addf(out, " %s:%d%s", f->file, f->line, f->inlined ? " [inline]" : "");
	if (m->has_mod) {
		if (l[m->mod_s] == ' ')
			kb_buf_addch(out, ' ');
		kb_buf_addch(out, '[');
		kb_buf_add(out, l + m->modname_s, m->modname_e - m->modname_s);
		kb_buf_addch(out, ']');
	}
	kb_buf_add(out, l + rest, len - rest);
	kb_buf_addch(out, '\n');
}

static void symbolize_line(struct kb_symbolizer *s, pcre2_code *re, pcre2_match_data *md,
			   const char *l, size_t len, bool nl, struct kb_buf *out)
{
	struct frame_match m = { 0 };
	PCRE2_SIZE *ov;
	const struct frame *frames = NULL;
	size_t n = 0;
	/* frame lines are short: do not run the regex over garbage */
	int rc = len > 1024 ? -1 : pcre2_match(re, (PCRE2_SPTR)l, len, 0, 0, md, NULL);

	if (rc < 4) {
		kb_buf_add(out, l, len);
		if (nl)
			kb_buf_addch(out, '\n');
		return;
	}
	ov = pcre2_get_ovector_pointer(md);
	m.name_s = ov[2];
	m.name_e = ov[3];
	m.off_s = ov[4];
	m.off_e = ov[5];
	m.size_e = ov[7];
	if (rc > 5 && ov[8] != PCRE2_UNSET) {
		m.has_mod = true;
		m.mod_s = ov[8];
		m.mod_e = ov[9];
		m.modname_s = ov[10];
		m.modname_e = ov[11];
	}
	/* module frames would need the module's object; vmlinux only here */
	if (s && !m.has_mod) {
		char *name = kb_xstrndup(l + m.name_s, m.name_e - m.name_s);
		char *end;
		uint64_t off = strtoull(l + m.off_s, &end, 16);
		uint64_t size = strtoull(l + ov[6], &end, 16);
		const struct sym *sym = find_symbol(s, name, size);

		if (sym) {
			uint64_t pc = sym->addr + off -
				      (is_pc_line(l, len) || !(sym->addr + off) ? 0 : 1);

			n = lookup_cached(s, pc, &frames);
		}
		free(name);
	}
	if (!n) {
		emit_line(out, l, len, &m, NULL);
	} else {
		for (size_t i = 0; i < n; i++)
			emit_line(out, l, len, &m, &frames[i]);
	}
	if (!nl)
		kb_buf_setlen(out, out->len - 1);
}

int kb_symbolize_text(struct kb_symbolizer *s, const char *in, size_t len, struct kb_buf *out)
{
	int err;
	PCRE2_SIZE eoff;
	pcre2_code *re =
		pcre2_compile((PCRE2_SPTR)frame_re, PCRE2_ZERO_TERMINATED, 0, &err, &eoff, NULL);
	pcre2_match_data *md = re ? pcre2_match_data_create_from_pattern(re, NULL) : NULL;
	const char *p = in, *end = in + len;

	if (!md) {
		pcre2_code_free(re);
		kb_buf_add(out, in, len);
		return 0;
	}
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);

		symbolize_line(s, re, md, p, l, nl != NULL, out);
		p += l + 1;
	}
	pcre2_match_data_free(md);
	pcre2_code_free(re);
	return 0;
}

int kb_report_symbolize(struct kb_report *r, const char *vmlinux, const char *src_dir)
{
	struct kb_symbolizer *s = NULL;
	struct kb_buf out = KB_BUF_INIT;
	int ret;

	if (vmlinux) {
		ret = kb_symbolizer_open(vmlinux, src_dir, &s);
		if (ret < 0)
			return ret;
	}
	kb_symbolize_text(s, r->report, r->report_len, &out);
	kb_symbolizer_free(s);
	free(r->report);
	r->report = kb_buf_detach(&out, &r->report_len);
	return 0;
}
