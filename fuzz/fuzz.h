/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared by the fuzz targets: CHECK() aborts with the failed invariant, so
 * libFuzzer (and the gcc corpus replay) report it like a crash.
 */
#ifndef KB_FUZZ_FUZZ_H
#define KB_FUZZ_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                              \
	do {                                                                                     \
		if (!(cond)) {                                                                   \
			fprintf(stderr, "fuzz: invariant failed: %s (%s:%d)\n", #cond, __FILE__, \
				__LINE__);                                                       \
			abort();                                                                 \
		}                                                                                \
	} while (0)

#endif
