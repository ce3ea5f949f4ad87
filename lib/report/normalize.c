// SPDX-License-Identifier: Apache-2.0
/*
 * Title normalization (spec 6.4) and the title -> type table (spec 7).
 */
#include <string.h>
#include "report/report-int.h"
#include "util/buf.h"

struct rule {
	struct kb_re re;
	const char *repl; /* $N = group N */
};

static struct rule rules[] = {
	{ { "syz-executor\\.?[0-9]+((/|:)[0-9]+)?" }, "syz-executor" },
	{ { "syzkaller[0-9]+((/|:)[0-9]+)?" }, "syzkaller" },
	{ { "([^a-zA-Z0-9])(?:0x)?[0-9a-f]{6,}" }, "$1ADDR" },
	{ { "([0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3})" }, "IP" },
	{ { "(\\.\\w+)(:[0-9]+)+" }, "$1:LINE" },
	{ { "([a-zA-Z][a-zA-Z0-9_.]+)\\+0x[0-9a-z]+/0x[0-9a-z]+" }, "$1" },
	{ { "CPU#[0-9]+" }, "CPU" },
	{ { "(\\W)(\\d+)(\\W|$)" }, "$1NUM$3" },
	{ { "(\\d+){7,}" }, "NUM" },
};

void kb_normalize_init(void)
{
	for (size_t i = 0; i < KB_ARRAY_SIZE(rules); i++)
		kb_re_compile(&rules[i].re);
}

/* Replace every non-overlapping match, left to right; true if anything changed. */
static bool replace_all(const struct rule *r, struct kb_buf *in)
{
	struct kb_buf out = KB_BUF_INIT;
	size_t off = 0;
	bool changed = false;
	struct kb_re_match m;

	while (off <= in->len && kb_re_search(&r->re, in->buf + off, in->len - off, &m)) {
		kb_buf_add(&out, in->buf + off, m.start);
		for (const char *p = r->repl; *p; p++) {
			if (p[0] == '$' && p[1] >= '1' && p[1] <= '9') {
				int g = p[1] - '0';

				if (g <= m.ngroups && m.gs[g] != (size_t)-1)
					kb_buf_add(&out, in->buf + off + m.gs[g],
						   m.ge[g] - m.gs[g]);
				p++;
				continue;
			}
			kb_buf_addch(&out, *p);
		}
		if (m.end == m.start) { /* cannot happen with these rules; avoid a loop */
			if (off + m.end < in->len)
				kb_buf_addch(&out, in->buf[off + m.end]);
			off += m.end + 1;
		} else {
			off += m.end;
		}
		changed = true;
	}
	if (!changed) {
		kb_buf_release(&out);
		return false;
	}
	if (off < in->len)
		kb_buf_add(&out, in->buf + off, in->len - off);
	changed = out.len != in->len || memcmp(out.buf, in->buf, in->len);
	kb_buf_release(in);
	*in = out;
	return changed;
}

char *kb_title_normalize(const char *s)
{
	struct kb_buf b = KB_BUF_INIT;
	struct kb_buf o = KB_BUF_INIT;
	size_t n;

	kb_re_init();
	kb_buf_addstr(&b, s);
	for (size_t i = 0; i < KB_ARRAY_SIZE(rules); i++) {
		int guard = 0;

		while (replace_all(&rules[i], &b) && ++guard < 100)
			;
	}
	/* Sanitize: at most 120 bytes, printable ASCII, single spaces, trimmed. */
	n = KB_MIN(b.len, (size_t)120);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)b.buf[i];

		if (c == '\t')
			c = ' ';
		if (c < 0x20 || c >= 0x7f)
			continue;
		if (c == ' ' && (o.len == 0 || o.buf[o.len - 1] == ' '))
			continue;
		kb_buf_addch(&o, c);
	}
	kb_buf_rtrim(&o);
	kb_buf_release(&b);
	return kb_buf_detach(&o, NULL);
}

/* Type table: first prefix that matches wins. */
static const struct {
	const char *prefix;
	const char *type;
} types[] = {
	{ "KFENCE: use-after-free write", "KFENCE-USE-AFTER-FREE-WRITE" },
	{ "KFENCE: use-after-free read", "KFENCE-USE-AFTER-FREE-READ" },
	{ "KFENCE: use-after-free", "KFENCE-USE-AFTER-FREE-READ" },
	{ "KFENCE: invalid write", "KFENCE-WRITE" },
	{ "KFENCE: out-of-bounds write", "KFENCE-WRITE" },
	{ "KFENCE: invalid read", "KFENCE-READ" },
	{ "KFENCE: out-of-bounds read", "KFENCE-READ" },
	{ "KFENCE: out-of-bounds", "KFENCE-READ" },
	{ "KFENCE: memory corruption", "KFENCE-MEMORY-CORRUPTION" },
	{ "KFENCE: invalid free", "KFENCE-INVALID-FREE" },
	{ "KMSAN: uninit-value", "KMSAN-UNINIT-VALUE" },
	{ "KMSAN: kernel-infoleak-after-free", "KMSAN-USE-AFTER-FREE-READ" },
	{ "KMSAN: kernel-usb-infoleak-after-free", "KMSAN-USE-AFTER-FREE-READ" },
	{ "KMSAN: use-after-free", "KMSAN-USE-AFTER-FREE-READ" },
	{ "KMSAN: kernel-infoleak", "KMSAN-INFO-LEAK" },
	{ "KMSAN: kernel-usb-infoleak", "KMSAN-INFO-LEAK" },
	{ "KASAN: null-ptr-deref Write", "KASAN-NULL-POINTER-DEREFERENCE-WRITE" },
	{ "KASAN: null-ptr-deref Read", "KASAN-NULL-POINTER-DEREFERENCE-READ" },
	{ "BUG: unable to handle kernel NULL pointer dereference in", "NULL-POINTER-DEREFERENCE" },
	{ "KASAN: global-out-of-bounds Write", "KASAN-WRITE" },
	{ "KASAN: out-of-bounds Write", "KASAN-WRITE" },
	{ "KASAN: slab-out-of-bounds Write", "KASAN-WRITE" },
	{ "KASAN: stack-out-of-bounds Write", "KASAN-WRITE" },
	{ "KASAN: user-memory-access Write", "KASAN-WRITE" },
	{ "KASAN: vmalloc-out-of-bounds Write", "KASAN-WRITE" },
	{ "KASAN: wild-memory-access Write", "KASAN-WRITE" },
	{ "KASAN: global-out-of-bounds Read", "KASAN-READ" },
	{ "KASAN: out-of-bounds Read", "KASAN-READ" },
	{ "KASAN: slab-out-of-bounds Read", "KASAN-READ" },
	{ "KASAN: stack-out-of-bounds Read", "KASAN-READ" },
	{ "KASAN: user-memory-access Read", "KASAN-READ" },
	{ "KASAN: vmalloc-out-of-bounds Read", "KASAN-READ" },
	{ "KASAN: wild-memory-access Read", "KASAN-READ" },
	{ "KASAN: invalid-access Read", "KASAN-READ" },
	{ "KASAN: unknown-crash Read", "KASAN-READ" },
	{ "KASAN: slab-out-of-bounds", "KASAN-READ" },
	{ "KASAN: stack-out-of-bounds", "KASAN-READ" },
	{ "KASAN: wild-memory-access", "KASAN-READ" },
	{ "KASAN: double-free or invalid-free", "KASAN-INVALID-FREE" },
	{ "KASAN: invalid-free", "KASAN-INVALID-FREE" },
	{ "KASAN: slab-use-after-free Write", "KASAN-USE-AFTER-FREE-WRITE" },
	{ "KASAN: use-after-free Write", "KASAN-USE-AFTER-FREE-WRITE" },
	{ "KASAN: slab-use-after-free Read", "KASAN-USE-AFTER-FREE-READ" },
	{ "KASAN: use-after-free Read", "KASAN-USE-AFTER-FREE-READ" },
	{ "KASAN: use-after-free", "KASAN-USE-AFTER-FREE-READ" },
	{ "BUG: corrupted list", "MEMORY_SAFETY_BUG" },
	{ "BUG: unable to handle kernel paging request", "MEMORY_SAFETY_BUG" },
	{ "WARNING: refcount bug", "REFCOUNT_WARNING" },
	{ "UBSAN: array-index-out-of-bounds", "MEMORY_SAFETY_UBSAN" },
	{ "KCSAN: data-race", "KCSAN-DATARACE" },
	{ "KCSAN: assert: race in", "KCSAN-ASSERT" },
	{ "BUG: bad unlock balance in", "LOCKDEP" },
	{ "BUG: held lock freed in", "LOCKDEP" },
	{ "BUG: rwlock", "LOCKDEP" },
	{ "BUG: spinlock", "LOCKDEP" },
	{ "BUG: still has locks held in", "LOCKDEP" },
	{ "BUG: using", "LOCKDEP" },
	{ "WARNING: bad unlock balance in", "LOCKDEP" },
	{ "WARNING: held lock freed in", "LOCKDEP" },
	{ "WARNING: lock held", "LOCKDEP" },
	{ "WARNING: locking bug in", "LOCKDEP" },
	{ "WARNING: nested lock was not taken in", "LOCKDEP" },
	{ "WARNING: still has locks held in", "LOCKDEP" },
	{ "WARNING: suspicious RCU usage in", "LOCKDEP" },
	{ "inconsistent lock state in", "LOCKDEP" },
	{ "possible deadlock in", "LOCKDEP" },
	{ "BUG: scheduling while atomic in", "ATOMIC_SLEEP" },
	{ "BUG: sleeping function called from invalid context in", "ATOMIC_SLEEP" },
	{ "memory leak in", "LEAK" },
	{ "BUG: bad usercopy in", "BUG" },
	{ "kernel BUG", "BUG" },
	{ "WARNING in", "WARNING" },
	{ "BUG: stack guard page was hit in", "" },
	{ "WARNING: corrupted", "" },
	{ "WARNING: kernel stack frame pointer has bad value", "" },
	{ "WARNING: kernel stack regs has bad", "" },
	{ "BUG: soft lockup in", "HANG" },
	{ "INFO: rcu detected stall in", "HANG" },
	{ "INFO: task can't die in", "HANG" },
	{ "INFO: task hung in", "HANG" },
	{ "Alignment trap in", "DoS" },
	{ "BUG: Object already free", "DoS" },
	{ "Internal error in", "DoS" },
	{ "PANIC: double fault", "DoS" },
	{ "Unhandled fault in", "DoS" },
	{ "VFS: Busy inodes after unmount (use-after-free)", "DoS" },
	{ "VFS: Close: file count is zero (use-after-free)", "DoS" },
	{ "divide error in", "DoS" },
	{ "general protection fault in", "DoS" },
	{ "go runtime error", "DoS" },
	{ "int3 in", "DoS" },
	{ "invalid opcode in", "DoS" },
	{ "kernel panic:", "DoS" },
	{ "kernel stack overflow", "DoS" },
	{ "panic:", "DoS" },
	{ "rust_kernel panicked", "DoS" },
	{ "stack segment fault in", "DoS" },
	{ "trusty:", "DoS" },
	{ "unregister_netdevice: waiting for DEV to become free", "DoS" },
	{ "no output from test machine", "NO_OUTPUT" },
	{ "unexpected kernel reboot", "REBOOT" },
	{ "SYZFAIL", "SYZ_FAILURE" },
	{ "SYZFATAL:", "SYZ_FAILURE" },
	{ "WARNING:", "WARNING" },
	{ "BUG:", "" },
	{ "INFO:", "" },
	{ "KASAN:", "KASAN-UNKNOWN" },
	{ "KFENCE:", "KFENCE-UNKNOWN" },
	{ "KMSAN:", "KMSAN-UNKNOWN" },
	{ "UBSAN:", "UBSAN" },
	{ "KCSAN:", "KCSAN-UNKNOWN" },
};

const char *kb_report_title_type(const char *title)
{
	for (size_t i = 0; i < KB_ARRAY_SIZE(types); i++)
		if (!strncmp(title, types[i].prefix, strlen(types[i].prefix)))
			return types[i].type;
	return "";
}
