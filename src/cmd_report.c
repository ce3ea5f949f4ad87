// SPDX-License-Identifier: Apache-2.0
/* kbisect report: console log in, crash title and report out. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cli.h"
#include "report/report.h"
#include "util/error.h"
#include "util/fs.h"

static json_t *report_json(const struct kb_report *r)
{
	json_t *o = json_object(), *alts = json_array();

	for (size_t i = 0; i < r->n_alt; i++)
		json_array_append_new(alts, json_string(r->alt_titles[i]));
	json_object_set_new(o, "crashed", json_true());
	json_object_set_new(o, "title", json_string(r->title));
	json_object_set_new(o, "alt_titles", alts);
	json_object_set_new(o, "type", json_string(r->type ? r->type : ""));
	json_object_set_new(o, "frame", json_string(r->frame ? r->frame : ""));
	json_object_set_new(o, "corrupted", json_boolean(r->corrupted));
	json_object_set_new(o, "corrupted_reason",
			    json_string(r->corrupted_reason ? r->corrupted_reason : ""));
	json_object_set_new(o, "suppressed", json_boolean(r->suppressed));
	json_object_set_new(o, "panicked", json_boolean(r->panicked));
	json_object_set_new(o, "executor", r->executor ? json_string(r->executor) : json_null());
	json_object_set_new(o, "start", json_integer((json_int_t)r->start));
	json_object_set_new(o, "end", json_integer((json_int_t)r->end));
	json_object_set_new(o, "report", json_stringn_nocheck(r->report, r->report_len));
	return o;
}

/* JSON strings must be UTF-8: replace invalid bytes so jansson accepts them. */
static void sanitize_utf8(struct kb_report *r)
{
	json_t *probe = json_stringn(r->report, r->report_len);

	if (probe) {
		json_decref(probe);
		return;
	}
	for (size_t i = 0; i < r->report_len; i++) {
		unsigned char c = (unsigned char)r->report[i];

		if (c >= 0x80 || (c < 0x20 && c != '\n' && c != '\t'))
			r->report[i] = '?';
	}
}

/*
 * The log to parse.  A regular file is mapped, not read: console logs can be
 * hundreds of MB and the parser only touches the pages it scans (it never
 * copies the input).  Pipes and stdin are read into memory.
 */
struct input {
	const char *data;
	size_t len;
	void *map;
	struct kb_buf buf;
};

static int input_open(const char *path, struct input *in)
{
	struct stat st;
	int fd;

	*in = (struct input){ .buf = KB_BUF_INIT };
	if (strcmp(path, "-")) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return kb_error_set(-errno, "cannot open '%s': %s", path, strerror(errno));
		if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
			void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);

			if (m != MAP_FAILED) {
				close(fd);
				in->map = m;
				in->data = m;
				in->len = (size_t)st.st_size;
				return 0;
			}
		}
		close(fd);
	}
	if (kb_read_file(path, &in->buf) < 0)
		return -EIO;
	in->data = in->buf.buf;
	in->len = in->buf.len;
	return 0;
}

static void input_close(struct input *in)
{
	if (in->map)
		munmap(in->map, in->len);
	kb_buf_release(&in->buf);
}

static void print_text(const struct kb_report *r, const char *arch)
{
	struct kb_buf dis = KB_BUF_INIT;

	printf("%s\n", r->title);
	fwrite(r->report, 1, r->report_len, stdout);
	/* Hangs have no trapping instruction worth decoding (as the reference). */
	if (strcmp(r->type ? r->type : "", "HANG") &&
	    kb_report_decompile(r->report, r->report_len, arch, &dis) > 0)
		fwrite(dis.buf, 1, dis.len, stdout);
	kb_buf_release(&dis);
}

int cmd_report(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "all", no_argument, NULL, 'a' },
		{ "arch", required_argument, NULL, 'A' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	bool json = false, all = false;
	const char *arch = "amd64", *path = "-";
	struct input in;
	struct kb_report **v = NULL;
	size_t n = 0, total;
	int c, r;

	while ((c = getopt_long(argc, argv, "jahA:", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'a':
			all = true;
			break;
		case 'A':
			arch = optarg;
			break;
		case 'h':
			printf("usage: kbisect report [--json] [--all] [--arch ARCH] [FILE|-]\n");
			return KB_EXIT_OK;
		default:
			fprintf(stderr,
				"usage: kbisect report [--json] [--all] [--arch ARCH] [FILE|-]\n");
			return KB_EXIT_USAGE;
		}
	}
	if (optind < argc - 1) {
		fprintf(stderr, "kbisect report: expected at most one FILE, got %d\n",
			argc - optind);
		return KB_EXIT_USAGE;
	}
	if (strcmp(arch, "amd64") && strcmp(arch, "arm64") && strcmp(arch, "arm")) {
		fprintf(stderr, "kbisect report: unknown --arch '%s'; use amd64, arm64 or arm\n",
			arch);
		return KB_EXIT_USAGE;
	}
	if (optind < argc)
		path = argv[optind];
	if (input_open(path, &in) < 0) {
		fprintf(stderr, "kbisect report: %s\n", kb_error_last());
		return KB_EXIT_USAGE;
	}
	r = kb_report_parse_all(in.data, in.len, &v, &n);
	if (r < 0) {
		fprintf(stderr, "kbisect report: %s: %s\n", path, kb_error_last());
		input_close(&in);
		return KB_EXIT_USAGE;
	}
	total = n;
	if (!all && n > 1)
		n = 1; /* the first crash is the report */
	if (json) {
		json_t *out;

		for (size_t i = 0; i < n; i++)
			sanitize_utf8(v[i]);
		if (all) {
			out = json_array();
			for (size_t i = 0; i < n; i++)
				json_array_append_new(out, report_json(v[i]));
		} else if (n) {
			out = report_json(v[0]);
		} else {
			out = json_object();
			json_object_set_new(out, "crashed", json_false());
		}
		json_dumpf(out, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fputc('\n', stdout);
		json_decref(out);
	} else {
		for (size_t i = 0; i < n; i++) {
			if (i)
				fputc('\n', stdout);
			print_text(v[i], arch);
		}
	}
	r = n ? KB_EXIT_OK : KB_EXIT_NONE;
	kb_report_free_all(v, total);
	input_close(&in);
	return r;
}
