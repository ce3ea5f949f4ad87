/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Demangling of the symbol names that show up in kernel stack frames: C++
 * (Itanium ABI, "_Z...") and Rust (v0, "_R...").  Only what a crash title
 * needs: the qualified name, without parameter types, as syzkaller's
 * symbolizer prints it ("_Z8fakeNameiii" -> "fakeName").
 */
#ifndef KB_REPORT_DEMANGLE_H
#define KB_REPORT_DEMANGLE_H

#include <stddef.h>

/*
 * Demangle the @len bytes at @name.  Returns a malloc'ed string, or NULL
 * when the name is not mangled or uses a construct we do not decode (the
 * caller then keeps the name as it is).
 */
char *kb_demangle(const char *name, size_t len);

#endif
