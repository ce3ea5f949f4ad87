/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Kbuild kernel build step: the user's .config through olddefconfig,
 * then the kernel image, out of tree (O=) in a persistent directory so that
 * consecutive commits rebuild incrementally.  Builds are reproducible: the
 * timestamp, user, host, version and local version are fixed, so a commit
 * built twice (or two commits differing only in documentation) give the same
 * vmlinux signature.
 */
#ifndef KB_BUILD_KERNEL_H
#define KB_BUILD_KERNEL_H

#include <stdatomic.h>
#include "bisect/ops.h"

/* What KBUILD_BUILD_TIMESTAMP is set to (any fixed string works). */
#define KB_KERNEL_BUILD_TIMESTAMP "Thu Jan  1 00:00:00 UTC 2015"

struct kb_kernel_build {
	const char *src; /* kernel source tree (a worktree checked out at the commit) */
	const char *out; /* O= directory, created if missing, kept between commits */
	const char *config; /* the user's .config, copied to out/.config every time */
	const char *arch; /* "x86_64" or "arm64" */
	const char *cc; /* compiler command ("gcc", "clang-15", a path); NULL: "gcc" */
	const char *ld; /* linker (LD=) or NULL for the kernel's default */
	bool ccache; /* prefix the compiler with ccache */
	const char *ccache_dir; /* CCACHE_DIR, or NULL for ccache's default */
	const char *const *required; /* options that must survive olddefconfig */
	size_t n_required; /* entries: "KASAN" (=y or =m), "CONFIG_X=val" (exact) */
	unsigned jobs; /* make -j; 0: the number of online CPUs */
	double timeout; /* seconds per make invocation, 0 = none */
	const char *log_dir; /* build-<commit>.log (and config-<commit>.log) go here */
	const atomic_bool *cancel; /* see struct kb_build_step */
};

/*
 * Build @commit (for the log file names only: @src must already be checked
 * out).  The result, as in kb_build_run():
 *   OK      vmlinux signed (signature.h), compiler from the built
 *           include/generated/compile.h;
 *   FAILED  olddefconfig or make failed (error_lines: the first error lines)
 *           or a required option is off after olddefconfig (error_lines
 *           names it): the commit is untestable;
 *   INFRA   timeout, OOM kill, make not found.
 * Returns 0 with *res filled or -errno when kbisect itself failed.
 */
int kb_kernel_build(const struct kb_kernel_build *b, const char *commit,
		    struct kb_build_result *res) KB_MUST_CHECK;

/*
 * Which of @n @required options @config_text (a .config) lacks.  Returns a
 * malloc'ed "CONFIG_A, CONFIG_B=y" list, or NULL when all are present.
 */
char *kb_kernel_config_missing(const char *config_text, size_t len, const char *const *required,
			       size_t n);

/*
 * LINUX_COMPILER of the kernel built in @out (include/generated/compile.h,
 * name and value separated by spaces or tabs), malloc'ed; NULL when none.
 */
char *kb_kernel_compiler_id(const char *out);

/* The bootable image under @out for @arch ("arch/x86/boot/bzImage"...), malloc'ed; NULL if unknown.
 */
char *kb_kernel_image_path(const char *out, const char *arch);

/*
 * The O= directory under @build_dir for compiler @cc (NULL: "gcc") and
 * linker @ld (NULL: the kernel's default), malloc'ed: "@build_dir/gcc",
 * "@build_dir/clang-14+ld.lld".  Each toolchain gets its own directory:
 * Kbuild records the compiler and linker versions in the .config
 * (CONFIG_CC_VERSION_TEXT, CONFIG_LD_VERSION, ...), so building with another
 * one in the same directory recompiles everything, and switching back
 * recompiles everything again.  Characters other than [A-Za-z0-9._+-] become
 * '_' ("/opt/gcc-8/bin/gcc" is "opt_gcc-8_bin_gcc"), so the name is one path
 * component.
 */
char *kb_kernel_out_dir(const char *build_dir, const char *cc, const char *ld);

/* The kernel's ARCH= value of @arch, or NULL when kbisect does not support it. */
const char *kb_kernel_make_arch(const char *arch);

#endif
