// SPDX-License-Identifier: Apache-2.0
/*
 * bench-report: throughput of the console-log parser.
 *
 *   (a) a generated crash-free console log (--size MB, default 200), mmap'ed:
 *       MB/s of kb_report_parse(), next to `grep -c -F` with the oops marker
 *       strings over the same file (the cheapest tool that can say "no crash");
 *   (b) the same file with one crash appended at the end;
 *   (c) every crash-reports/ file of the shared corpus: total and per report.
 *
 * Output is "name value" lines, nothing else on stdout.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <dirent.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include "report/report-int.h" /* kb_markers: the same headers the parser uses */
#include "report/report.h"
#include "util/child.h"
#include "util/error.h"
#include "util/fs.h"

#ifndef KB_SHARED_DIR
#define KB_SHARED_DIR "../shared"
#endif

/* Ordinary runtime noise of a fuzzing VM ('#' = a number); no marker in any. */
static const char *const noise[] = {
	("audit: type=1400 audit(#.#:#): avc:  denied  { read } for  pid=# comm=\"syz-executor\" "
	 "name=\"/\" dev=\"tmpfs\" ino=# scontext=system_u:system_r:kernel_t tcontext=system_u"),
	"usb #-1: new high-speed USB device number # using dummy_hcd",
	"EXT4-fs (loop#): mounted filesystem without journal. Opts: ,errors=continue",
	"IPv6: ADDRCONF(NETDEV_CHANGE): veth#: link becomes ready",
	"device veth# entered promiscuous mode",
	"bridge0: port #(bridge_slave_#) entered blocking state",
	"netlink: # bytes leftover after parsing attributes in process `syz-executor.#'.",
	"loop#: detected capacity change from 0 to #",
	"random: crng reseeded on system resumption (#, #)",
	"syz-executor.# (#) used greatest stack depth: # bytes left",
	"kworker/u4:#: page allocation stats: order #, free #",
	"TCP: request_sock_TCP: Possible SYN flooding on port #. Sending cookies.",
	"nf_conntrack: default automatic helper assignment has been turned off (#/#)",
	"hrtimer: interrupt took # ns (#)",
	"sd #:0:0:0: [sda] Write Protect is off (#)",
};

/* A KASAN report, appended for (b). */
static const char crash[] =
	"[ 9999.000001][ T4242] ==================================================================\n"
	"[ 9999.000002][ T4242] BUG: KASAN: use-after-free in ext4_xattr_set_entry+0x1f5/0x2a0\n"
	"[ 9999.000003][ T4242] Read of size 4 at addr ffff888012345678 by task syz-executor.0/4242\n"
	"[ 9999.000004][ T4242] \n"
	"[ 9999.000005][ T4242] CPU: 1 PID: 4242 Comm: syz-executor.0 Not tainted 6.1.0 #1\n"
	"[ 9999.000006][ T4242] Call Trace:\n"
	"[ 9999.000007][ T4242]  <TASK>\n"
	"[ 9999.000008][ T4242]  dump_stack_lvl+0xcd/0x134\n"
	"[ 9999.000009][ T4242]  print_report+0x15e/0x45d\n"
	"[ 9999.000010][ T4242]  kasan_report+0xbf/0x1f0\n"
	"[ 9999.000011][ T4242]  ext4_xattr_set_entry+0x1f5/0x2a0\n"
	"[ 9999.000012][ T4242]  ext4_xattr_ibody_set+0x8a/0x2b0\n"
	"[ 9999.000013][ T4242]  do_syscall_64+0x39/0xb0\n"
	"[ 9999.000014][ T4242]  </TASK>\n"
	"[ 9999.000015][ T4242] ==================================================================\n";

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint32_t rnd(uint64_t *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)(*s >> 33);
}

static int generate(const char *path, size_t bytes)
{
	FILE *f = fopen(path, "w");
	uint64_t seed = 42;
	size_t written = 0;
	double t = 5.0;
	char line[512];

	if (!f)
		return kb_error_set(-errno, "cannot create '%s': %s", path, strerror(errno));
	while (written < bytes) {
		const char *tmpl = noise[rnd(&seed) % KB_ARRAY_SIZE(noise)];
		int n;

		t += (double)(rnd(&seed) % 5000) / 1e6;
		n = snprintf(line, sizeof(line), "[%5u.%06u][T%5u] ", (unsigned)t,
			     (unsigned)((t - (unsigned)t) * 1e6), 1000 + rnd(&seed) % 30000);
		for (const char *q = tmpl; *q && (size_t)n < sizeof(line) - 16; q++) {
			if (*q == '#')
				n += snprintf(line + n, sizeof(line) - (size_t)n, "%u",
					      rnd(&seed) % 100000);
			else
				line[n++] = *q;
		}
		line[n++] = '\n';
		if (fwrite(line, 1, (size_t)n, f) != (size_t)n)
			break;
		written += (size_t)n;
	}
	if (fclose(f) != 0 || written < bytes)
		return kb_error_set(-EIO, "cannot write '%s'", path);
	return 0;
}

/* Parse the whole file, mmap'ed; returns seconds, *found = crashes found. */
static double parse_file(const char *path, size_t *len, int *found)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	struct kb_report *r = NULL;
	const char *p;
	double t0, t1;

	if (fd < 0 || fstat(fd, &st) < 0) {
		fprintf(stderr, "bench-report: cannot open '%s'\n", path);
		exit(1);
	}
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED) {
		fprintf(stderr, "bench-report: cannot mmap '%s'\n", path);
		exit(1);
	}
	*len = (size_t)st.st_size;
	/* warm the page cache so both tools read from memory */
	for (size_t i = 0; i < *len; i += 4096)
		(void)*(volatile const char *)(p + i);
	t0 = now();
	*found = kb_report_parse(p, *len, 0, &r);
	t1 = now();
	kb_report_free(r);
	munmap((void *)p, *len);
	return t1 - t0;
}

static double grep_file(const char *path, long *count)
{
	const char **argv = kb_xcalloc(4 + 2 * kb_n_markers + 1, sizeof(*argv));
	struct kb_buf out = KB_BUF_INIT;
	struct kb_child c = { 0 };
	size_t n = 0;
	double t0, t1;

	argv[n++] = "grep";
	argv[n++] = "-c";
	argv[n++] = "-F";
	for (size_t i = 0; i < kb_n_markers; i++) {
		argv[n++] = "-e";
		argv[n++] = kb_markers[i].header;
	}
	argv[n++] = path;
	argv[n] = NULL;
	c.argv = argv;
	c.out = &out;
	t0 = now();
	if (kb_child_run(&c) < 0 || c.status != KB_CHILD_EXITED || c.exit_code > 1) {
		fprintf(stderr, "bench-report: grep failed: %s\n", kb_error_last());
		exit(1);
	}
	t1 = now();
	*count = strtol(out.buf, NULL, 10);
	kb_buf_release(&out);
	free(argv);
	return t1 - t0;
}

static int digits(const struct dirent *d)
{
	return d->d_name[0] && strspn(d->d_name, "0123456789") == strlen(d->d_name);
}

/* (c): parse_all over every corpus log (header and REPORT: section cut off). */
static void corpus(const char *shared)
{
	char *dir = kb_xasprintf("%s/testdata/crash-reports", shared);
	struct dirent **names;
	int n = scandir(dir, &names, digits, alphasort), found = 0;
	double total = 0;

	if (n <= 0) {
		fprintf(stderr, "bench-report: no corpus in '%s' (use --shared DIR)\n", dir);
		exit(1);
	}
	for (int i = 0; i < n; i++) {
		char *path = kb_xasprintf("%s/%s", dir, names[i]->d_name);
		struct kb_buf in = KB_BUF_INIT;
		struct kb_report **v = NULL;
		size_t nr = 0;
		const char *log, *end;
		double t0;

		if (kb_read_file(path, &in) < 0) {
			fprintf(stderr, "bench-report: %s\n", kb_error_last());
			exit(1);
		}
		log = strstr(in.buf, "\n\n");
		log = log ? log + 2 : in.buf;
		end = strstr(log, "\n\nREPORT:\n");
		end = end ? end + 1 : in.buf + in.len;
		t0 = now();
		kb_report_parse_all(log, (size_t)(end - log), &v, &nr);
		total += now() - t0;
		found += nr > 0;
		kb_report_free_all(v, nr);
		kb_buf_release(&in);
		free(path);
		free(names[i]);
	}
	free(names);
	free(dir);
	printf("corpus_files %d\n", n);
	printf("corpus_with_crash %d\n", found);
	printf("corpus_total_s %.4f\n", total);
	printf("corpus_per_report_ms %.4f\n", total * 1e3 / n);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "size", required_argument, NULL, 's' },
		{ "shared", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *shared = getenv("KBISECT_SHARED") ? getenv("KBISECT_SHARED") : KB_SHARED_DIR;
	const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	long mb = 200, count;
	char *dir, *path;
	size_t len;
	double tp, tg;
	int c, found;
	FILE *f;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			mb = strtol(optarg, NULL, 10);
			if (mb <= 0 || mb > 100000) {
				fprintf(stderr, "bench-report: bad --size '%s' (MB)\n", optarg);
				return 2;
			}
			break;
		case 'd':
			shared = optarg;
			break;
		default:
			fprintf(c == 'h' ? stdout : stderr,
				"usage: bench-report [--size MB] [--shared DIR]\n");
			return c == 'h' ? 0 : 2;
		}
	}
	dir = kb_xasprintf("%s/bench-report-XXXXXX", tmp);
	if (!mkdtemp(dir)) {
		fprintf(stderr, "bench-report: cannot create a directory in '%s'\n", tmp);
		return 1;
	}
	path = kb_xasprintf("%s/console.log", dir);
	if (generate(path, (size_t)mb << 20) < 0) {
		fprintf(stderr, "bench-report: %s\n", kb_error_last());
		return 1;
	}

	/* (a) crash-free */
	tp = parse_file(path, &len, &found);
	tg = grep_file(path, &count);
	printf("log_mb %.1f\n", (double)len / (1 << 20));
	printf("clean_parse_found %d\n", found);
	printf("clean_parse_s %.4f\n", tp);
	printf("clean_parse_mb_s %.1f\n", (double)len / (1 << 20) / tp);
	printf("clean_grep_matches %ld\n", count);
	printf("clean_grep_s %.4f\n", tg);
	printf("clean_grep_mb_s %.1f\n", (double)len / (1 << 20) / tg);
	printf("clean_parse_time_over_grep_time %.2f\n", tp / tg);

	/* (b) one crash at the end */
	f = fopen(path, "a");
	if (!f || fwrite(crash, 1, sizeof(crash) - 1, f) != sizeof(crash) - 1 || fclose(f) != 0) {
		fprintf(stderr, "bench-report: cannot append to '%s'\n", path);
		return 1;
	}
	tp = parse_file(path, &len, &found);
	printf("crash_at_end_parse_found %d\n", found);
	printf("crash_at_end_parse_s %.4f\n", tp);
	printf("crash_at_end_parse_mb_s %.1f\n", (double)len / (1 << 20) / tp);

	/* (c) the corpus */
	corpus(shared);

	unlink(path);
	rmdir(dir);
	free(path);
	free(dir);
	return 0;
}
