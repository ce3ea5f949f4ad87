/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The "linux" section of a "kind": "linux" config (docs/config.md, "Linux
 * keys"), validated into struct kb_linux_config.  Paths are resolved against
 * the config file's directory.  kb_linux_config_check() then looks at the
 * machine (files exist, QEMU and busybox are there, the reproducer
 * compiles) so that every such problem is a clear error before any long
 * work starts.
 */
#ifndef KB_BISECT_LINUX_CONFIG_H
#define KB_BISECT_LINUX_CONFIG_H

#include "bisect/config.h"

#define KB_LINUX_DEFAULT_ARCH	       "x86_64"
#define KB_LINUX_DEFAULT_MEMORY	       512
#define KB_LINUX_DEFAULT_CPUS	       1
#define KB_LINUX_DEFAULT_REPRO_TIMEOUT 60.0
#define KB_LINUX_DEFAULT_BUSYBOX       "/bin/busybox"
#define KB_LINUX_DEFAULT_ACCEL	       "auto"

/* One row of the compiler table: which compiler for which commits. */
struct kb_linux_compiler {
	char *since_tag; /* used when this release tag is an ancestor of the commit, or NULL */
	int64_t since_date; /* or when the commit's committer date is at least this (0: unset) */
	char *cc; /* compiler command */
	char *ld; /* linker, or NULL (the kernel's default) */
};

struct kb_linux_config {
	char *kernel_config; /* "config": the .config to start from (absolute) */
	char *arch; /* "arch" */
	char *reproducer; /* "reproducer": a .c file or a shell script (absolute), or NULL */
	bool reproducer_is_c; /* it ends in ".c" */
	double reproducer_timeout; /* "reproducer_timeout": seconds in the guest */
	char **required; /* "required_configs", NULL-terminated */
	size_t n_required;
	unsigned vms; /* "vms": VMs at the same time (default: test.parallel) */
	unsigned memory; /* "memory": MiB per VM */
	unsigned cpus; /* "cpus" per VM */
	char *accel; /* "accel": "auto", "kvm" or "tcg" */
	char *qemu; /* "qemu": binary, or NULL for the default of the arch */
	char *busybox; /* "busybox": static busybox binary */
	char *build_dir; /* "build_dir": O= directory, or NULL (workdir/kernel-build) */
	bool ccache; /* "ccache" */
	char *ccache_dir; /* "ccache_dir", or NULL */
	unsigned jobs; /* "jobs": make -j, 0 = CPUs */
	double build_timeout; /* build.timeout of the generic keys */
	struct kb_linux_compiler *compilers; /* "compilers", first match wins */
	size_t n_compilers;
};

/*
 * Validate @cfg->linux_section (NULL is an error: "config" is required).
 * Returns 0 with *ret set (kb_linux_config_free) or -EINVAL with a
 * "FILE: "linux.KEY" ..." message.  Nothing on disk is looked at.
 */
int kb_linux_config_parse(const struct kb_config *cfg, struct kb_linux_config **ret) KB_MUST_CHECK;
void kb_linux_config_free(struct kb_linux_config *lc);

/*
 * The machine checks: the kernel config exists and looks like one, busybox
 * is there, the QEMU binary is in PATH (qemu backend), the reproducer exists.
 * 0 or -errno with the message set.
 */
int kb_linux_config_check(const struct kb_config *cfg,
			  const struct kb_linux_config *lc) KB_MUST_CHECK;

/* The QEMU binary to run (lc->qemu or the arch's default); static or lc's. */
const char *kb_linux_qemu_binary(const struct kb_linux_config *lc);

/*
 * The compiler row for a commit: @is_ancestor(ctx, tag) tells whether a
 * release tag is an ancestor of the commit (1/0/-errno), @date is the commit's
 * committer date.  Returns the first matching row, NULL for the host's gcc,
 * or sets *err to -errno when @is_ancestor failed.
 */
const struct kb_linux_compiler *kb_linux_pick_compiler(const struct kb_linux_config *lc,
						       int (*is_ancestor)(void *ctx,
									  const char *tag),
						       void *ctx, int64_t date, int *err);

/*
 * Whether release tag @tag is an ancestor of (or is) @commit (a full hash)
 * in @repo, for the "since_tag" rows: 1, 0 (also when @repo has no such
 * tag), or -errno when git failed.  The tag is resolved to its commit first
 * (annotated tags too).
 */
int kb_linux_tag_is_ancestor(const char *repo, const char *tag, const char *commit);

#endif
