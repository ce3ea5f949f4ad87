// SPDX-License-Identifier: Apache-2.0
/*
 * Corpus replay for builds without libFuzzer (gcc): feed every file named
 * on the command line, or found in a directory named there, to
 * LLVMFuzzerTestOneInput once.  Each input gets its own exact-size heap copy
 * so ASan catches reads past the end, as under libFuzzer.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "util/buf.h"
#include "util/fs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
	struct kb_buf b = KB_BUF_INIT;
	uint8_t *copy;

	if (kb_read_file(path, &b) < 0) {
		fprintf(stderr, "replay: cannot read '%s'\n", path);
		return -1;
	}
	copy = kb_xmalloc(b.len ? b.len : 1);
	memcpy(copy, b.buf, b.len);
	LLVMFuzzerTestOneInput(copy, b.len);
	free(copy);
	kb_buf_release(&b);
	return 0;
}

int main(int argc, char **argv)
{
	int files = 0, bad = 0;

	for (int i = 1; i < argc; i++) {
		struct dirent **names;
		int n;

		if (!kb_is_dir(argv[i])) {
			bad += run_file(argv[i]) < 0;
			files++;
			continue;
		}
		n = scandir(argv[i], &names, NULL, alphasort);
		if (n < 0) {
			fprintf(stderr, "replay: cannot list '%s'\n", argv[i]);
			bad++;
			continue;
		}
		for (int k = 0; k < n; k++) {
			if (names[k]->d_name[0] != '.') {
				char *path = kb_xasprintf("%s/%s", argv[i], names[k]->d_name);

				bad += run_file(path) < 0;
				files++;
				free(path);
			}
			free(names[k]);
		}
		free(names);
	}
	printf("replayed %d inputs\n", files);
	return bad || !files ? 1 : 0;
}
