/* SPDX-License-Identifier: Apache-2.0 */
/* The kbisect command line: one entry point per subcommand. */
#ifndef KB_CLI_H
#define KB_CLI_H

/* Exit codes, documented in `kbisect --help`. */
enum {
	KB_EXIT_OK = 0, /* success (report: a crash was found; bisect: culprit named) */
	KB_EXIT_NONE = 1, /* report: no crash; bisect: inconclusive / no single culprit */
	KB_EXIT_USAGE = 2, /* bad arguments, bad config, bad input, I/O error */
	KB_EXIT_INFRA = 3, /* bisect: stopped by infrastructure failures (resumable) */
};

int cmd_report(int argc, char **argv);
int cmd_bisect(int argc, char **argv);

#endif
