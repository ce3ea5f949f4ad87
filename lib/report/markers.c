// SPDX-License-Identifier: Apache-2.0
/*
 * Oops markers: the plain substrings that start a crash report, with the
 * per-marker line suppressions (spec section 3), and the fast scan that finds
 * the first marker line in a large log.
 *
 * The scan must run near grep speed over hundreds of MB of crash-free output,
 * so it does not look at every line with a regex.  Every header is at least
 * 4 bytes long, so a header occurrence starting at p covers p and p+1: probing
 * every second byte j for the trigram s[j..j+2] against the set of trigrams at
 * two chosen adjacent offsets of each header cannot miss one.  Trigram hits go
 * through a 64 Kbit hashed bitmap (fits L1) and then an exact compare; only a
 * confirmed header occurrence makes us look at its whole line.
 */
#include <string.h>
#include "report/report-int.h"

#define SUPP(...) ((struct kb_re *const[]){ __VA_ARGS__, NULL })

const struct kb_marker kb_markers[] = {
	{ "BUG:", 4,
	  SUPP(RE("ODEBUG:"), RE("Boot_DEBUG:"), RE("xlog_status:"), RE("DEBUG:"),
	       RE("BUG: no syscalls can create resource")) },
	{ "WARNING:", 8,
	  SUPP(RE("WARNING: /etc/ssh/moduli does not exist, using fixed modulus"),
	       RE("WARNING: workqueue cpumask: online intersect > possible intersect"),
	       RE("WARNING: [Tt]he mand mount option"),
	       RE("WARNING: Unsupported flag value\\(s\\) of 0x%x in DT_FLAGS_1"),
	       RE("WARNING: Unprivileged eBPF is enabled with eIBRS"),
	       RE("WARNING: fbcon: Driver '(.*)' missed to adjust virtual screen size (\\((?:\\d+)x(?:\\d+) vs\\. (?:\\d+)x(?:\\d+)\\))"),
	       RE("WARNING: See https.* for mitigation options."),
	       RE("WARNING: kernel not compiled with CPU_SRSO"), RE("EXT4-[Ff][Ss](?: \\(.*\\))?:"),
	       RE("(?i)warning: .* uses (deprecated v2 capabilities|wireless extensions)"),
	       RE("XFS \\(\\w+\\): WARNING")) },
	{ "INFO:", 5,
	  SUPP(RE("INFO: lockdep is turned off"), RE("INFO: Stall ended before state dump start"),
	       RE("INFO: NMI handler"), RE("INFO: recovery required on readonly filesystem"),
	       RE("(handler|interrupt).*took too long"),
	       RE("INFO: sys_.* is not present in /proc/kallsyms"),
	       RE("INFO: no syscalls can create resource"), RE("rmt_storage:INFO:"),
	       RE("_INFO:")) },
	{ "Unable to handle kernel", 23, NULL },
	{ "general protection fault", 24, SUPP(RE("general protection fault .* error:\\d+ in ")) },
	{ "stack segment: ", 15, NULL },
	{ "Kernel panic", 12, NULL },
	{ "PANIC: double fault", 19, NULL },
	{ "rust_kernel: panicked", 21, NULL },
	{ "kernel BUG", 10, NULL },
	{ "Kernel BUG", 10, NULL },
	{ "BUG kmalloc-", 12, NULL },
	{ "divide error:", 13, NULL },
	{ "divide_error:", 13, NULL },
	{ "invalid opcode:", 15, NULL },
	{ "int3:", 5, NULL },
	{ "UBSAN:", 6, NULL },
	{ "Booting the kernel.", 19,
	  SUPP(RE("Parsing ELF|Decompressing Linux|Unknown parameter '")) },
	{ "unregister_netdevice: waiting for", 33, NULL },
	{ "VFS: Close: file count is 0", 27, NULL },
	{ "VFS: Busy inodes after unmount", 30, NULL },
	{ "Internal error:", 15, NULL },
	{ "Unhandled fault:", 16, NULL },
	{ "Alignment trap:", 15, NULL },
	{ "trusty: panic", 13, NULL },
	{ "fatal error:", 12, SUPP(RE("ALSA"), RE("fatal error: cannot create timer")) },
	{ "SYZFAIL:", 8, NULL },
	{ "SYZFATAL:", 9, NULL },
	{ "panic:", 6,
	  SUPP(RE("_panic:"), RE("xlog_status:"), RE("ddb\\.onpanic:"), RE("evtlog_status:")) },
};

const size_t kb_n_markers = KB_ARRAY_SIZE(kb_markers);

/* Probe table: trigram -> (marker, offset of the trigram in the header). */
struct probe {
	unsigned char tri[3];
	unsigned char k; /* 0 or 1: which of the two adjacent offsets */
	unsigned char off; /* offset of the first of the two in the header */
	unsigned char marker;
};

static struct probe probes[2 * KB_ARRAY_SIZE(kb_markers)];
static size_t n_probes;
static uint64_t bitmap[65536 / 64];

static inline uint32_t tri_hash(const unsigned char *p)
{
	uint32_t v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16;

	return (v * 2654435761u) >> 16;
}

/* How unusual a byte is in console text: punctuation and capitals are rare. */
static int rarity(unsigned char c)
{
	if (c == ':' || c == '_' || c == '-' || c == '.')
		return 3;
	if (c >= 'A' && c <= 'Z')
		return 2;
	if (c == ' ' || (c >= '0' && c <= '9'))
		return 1;
	return 0;
}

static int tri_score(const char *p)
{
	return rarity((unsigned char)p[0]) + rarity((unsigned char)p[1]) +
	       rarity((unsigned char)p[2]);
}

void kb_markers_init(void)
{
	for (size_t i = 0; i < kb_n_markers; i++) {
		const struct kb_marker *m = &kb_markers[i];
		int best = -1, best_score = -1;

		if (m->supp)
			for (struct kb_re *const *r = m->supp; *r; r++)
				kb_re_compile(*r);
		/* Two adjacent trigrams fully inside the header, rarest pair. */
		for (size_t off = 0; off + 4 <= m->hlen; off++) {
			int a = tri_score(m->header + off), b = tri_score(m->header + off + 1);
			int score = KB_MIN(a, b) * 16 + a + b;

			if (score > best_score) {
				best_score = score;
				best = (int)off;
			}
		}
		for (int k = 0; k < 2; k++) {
			struct probe *p = &probes[n_probes++];

			memcpy(p->tri, m->header + best + k, 3);
			p->k = (unsigned char)k;
			p->off = (unsigned char)best;
			p->marker = (unsigned char)i;
			uint32_t h = tri_hash(p->tri);
			bitmap[h / 64] |= 1ull << (h % 64);
		}
	}
}

static bool line_suppressed(const struct kb_marker *m, const char *line, size_t len)
{
	if (!m->supp)
		return false;
	for (struct kb_re *const *r = m->supp; *r; r++)
		if (kb_re_match(*r, line, len))
			return true;
	return false;
}

int kb_marker_match_line(const char *line, size_t len)
{
	for (size_t i = 0; i < kb_n_markers; i++) {
		const struct kb_marker *m = &kb_markers[i];

		if (len < m->hlen || !memmem(line, len, m->header, m->hlen))
			continue;
		if (line_suppressed(m, line, len))
			continue;
		return (int)i;
	}
	return KB_NO_MARKER;
}

/* Is there a header occurrence covering probe position j? */
static bool probe_hit(const unsigned char *s, size_t pos, size_t len, size_t j)
{
	for (size_t i = 0; i < n_probes; i++) {
		const struct probe *p = &probes[i];
		const struct kb_marker *m;
		size_t start;

		if (memcmp(p->tri, s + j, 3))
			continue;
		m = &kb_markers[p->marker];
		if (j < pos + p->off + p->k)
			continue;
		start = j - p->off - p->k;
		if (start + m->hlen <= len && !memcmp(s + start, m->header, m->hlen))
			return true;
	}
	return false;
}

int kb_marker_find(const char *out, size_t len, size_t pos, size_t *ls, size_t *le)
{
	const unsigned char *s = (const unsigned char *)out;
	size_t j = pos;

	kb_re_init();
	while (j + 2 < len) {
		uint32_t h = tri_hash(s + j);

		if (!(bitmap[h / 64] & (1ull << (h % 64))) || !probe_hit(s, pos, len, j)) {
			j += 2;
			continue;
		}
		/* A header occurs here: judge its whole line. */
		const char *nl = memchr(out + j, '\n', len - j);
		size_t start = j, end = nl ? (size_t)(nl - out) : len;
		int idx;

		const char *bol = start > pos ? memrchr(out + pos, '\n', start - pos) : NULL;

		start = bol ? (size_t)(bol - out) + 1 : pos;
		idx = kb_marker_match_line(out + start, end - start);
		if (idx != KB_NO_MARKER) {
			*ls = start;
			*le = end;
			return idx;
		}
		/* Keep the probe parity relative to pos (see the top comment). */
		j = end + 1;
		if ((j - pos) & 1)
			j++;
	}
	return KB_NO_MARKER;
}
