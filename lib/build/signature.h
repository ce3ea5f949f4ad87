/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Build signatures: a hash of what a build produced that ignores what does
 * not change behaviour (debug info, build ids, .bss), so two commits whose
 * builds have equal signatures are the same kernel (noop detection).
 */
#ifndef KB_BUILD_SIGNATURE_H
#define KB_BUILD_SIGNATURE_H

#include "util/common.h"

/*
 * Signature of one file as 64 hex digits.  For an ELF file: SHA-256 of the
 * concatenated SHA-256 digests of its SHF_ALLOC sections that are neither
 * NOBITS nor NOTE, in section-header order (as the reference bisection
 * computes it for vmlinux).  Any other file: SHA-256 of its content.
 * Returns 0 or -errno with the message set.
 */
int kb_signature_elf(const char *path, char out[65]) KB_MUST_CHECK;

/*
 * Combined signature of @n artifacts, @paths relative to @dir (absolute paths
 * are used as they are).  One artifact: its own kb_signature_elf(), so a lone
 * vmlinux matches the reference.  Several: SHA-256 over each path followed by
 * its signature, in the given order.  A missing artifact is -ENOENT naming it.
 */
int kb_signature_artifacts(const char *dir, const char *const *paths, size_t n,
			   char out[65]) KB_MUST_CHECK;

#endif
