// SPDX-License-Identifier: Apache-2.0
/*
 * Fuzz target for kb_demangle (C++ and Rust v0 symbol names).  fuzz-report
 * reaches it only through frames of symbolized text; here the name is the
 * whole input, so the decoders see every construct.  Invariants: the
 * result is NULL or a short one-line name, the same for the same input, and
 * nothing past @len is read (the replay gives each input its exact size).
 */
#include <string.h>
#include "fuzz.h"
#include "report/demangle.h"

/* demangle.c caps its output at 1 KiB; allow a little slack for the cap check */
#define MAX_NAME 2048

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	char *a = kb_demangle(in, size), *b;

	if (!a)
		return 0;
	CHECK(a[0] != '\0' && strlen(a) <= MAX_NAME);
	for (const char *p = a; *p; p++)
		CHECK((unsigned char)*p >= 0x20 && *p != 0x7f);
	b = kb_demangle(in, size);
	CHECK(b && !strcmp(a, b));
	free(b);
	free(a);
	return 0;
}
