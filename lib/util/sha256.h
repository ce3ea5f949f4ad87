/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SHA-256 as lower-case hex, the form every kbisect key and signature uses
 * (config hash, journal keys, build signatures).  libcrypto does the work;
 * it fails only when out of memory, and like kb_xmalloc we abort then, so
 * none of these functions can fail.
 */
#ifndef KB_UTIL_SHA256_H
#define KB_UTIL_SHA256_H

#include "util/common.h"

#define KB_SHA256_LEN 32
#define KB_SHA256_HEX 64

struct evp_md_ctx_st;

/* Incremental form: init, update any number of times, final (or release). */
struct kb_sha256 {
	struct evp_md_ctx_st *ctx;
};

void kb_sha256_init(struct kb_sha256 *s);
void kb_sha256_update(struct kb_sha256 *s, const void *data, size_t len);
/* Finish into 32 raw bytes or 64 hex digits + NUL; releases the context. */
void kb_sha256_final(struct kb_sha256 *s, unsigned char md[KB_SHA256_LEN]);
void kb_sha256_final_hex(struct kb_sha256 *s, char out[KB_SHA256_HEX + 1]);
/* Drop an unfinished hash (error paths); harmless after final. */
void kb_sha256_release(struct kb_sha256 *s);

/* One-shot forms. */
void kb_sha256(const void *data, size_t len, unsigned char md[KB_SHA256_LEN]);
void kb_sha256_hex(const void *data, size_t len, char out[KB_SHA256_HEX + 1]);

/* @n bytes as 2n lower-case hex digits + NUL. */
void kb_hex_encode(const unsigned char *data, size_t n, char *out);

#endif
