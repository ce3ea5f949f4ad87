// SPDX-License-Identifier: Apache-2.0
/*
 * kbisect: find the commit that introduced a crash.  This file only parses
 * the subcommand and prints help; the work is in libkbisect (lib/).
 */
#include <stdio.h>
#include <string.h>
#include "cli.h"

static const char usage[] =
	"usage: kbisect <command> [options]\n"
	"\n"
	"commands:\n"
	"  report [--json] [--all] [FILE|-]\n"
	"        parse a kernel console log; print the crash title, then the report text\n"
	"        --json   one JSON object (crashed, title, alt_titles, type, frame, corrupted,\n"
	"                 corrupted_reason, suppressed, panicked, executor, start, end, report)\n"
	"        --all    every crash in the log, in order (with --json: an array)\n"
	"        --arch A architecture for Code: disassembly (amd64, arm64, arm; default amd64)\n"
	"  bisect CONFIG.json [--workdir DIR] [--json OUT] [--strategy bayes|reference]\n"
	"        find the commit that introduced the crash; log on stdout in the reference format\n"
	"        --workdir DIR  journal, private clones and logs (default: kbisect-work beside CONFIG);\n"
	"                       running the same command again resumes where it stopped\n"
	"        --json OUT     write the machine-readable result (docs/config.md)\n"
	"        --strategy S   bayes (default, statistical) or reference (the reference system's rules)\n"
	"  help   this text\n"
	"  version\n"
	"\n"
	"exit codes:\n"
	"  0  success: report found a crash; bisect named a culprit\n"
	"  1  report: the log has no crash; bisect: inconclusive, or the oldest release crashes too\n"
	"  2  usage error, bad input or I/O error (the message names the file and the reason);\n"
	"     bisect: also when the bad commit does not crash\n"
	"  3  bisect: stopped by infrastructure failures; run the same command again to resume\n";

int main(int argc, char **argv)
{
	if (argc < 2) {
		fputs(usage, stderr);
		return KB_EXIT_USAGE;
	}
	const char *cmd = argv[1];

	if (!strcmp(cmd, "report"))
		return cmd_report(argc - 1, argv + 1);
	if (!strcmp(cmd, "bisect"))
		return cmd_bisect(argc - 1, argv + 1);
	if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
		fputs(usage, stdout);
		return KB_EXIT_OK;
	}
	if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
		printf("kbisect %s\n", KB_VERSION);
		return KB_EXIT_OK;
	}
	fprintf(stderr, "kbisect: unknown command '%s'; run 'kbisect help' for the list\n", cmd);
	return KB_EXIT_USAGE;
}
