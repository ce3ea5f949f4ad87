// SPDX-License-Identifier: Apache-2.0
/* SHA-256 to hex on top of libcrypto's EVP interface (see sha256.h). */
#include <openssl/evp.h>
#include "util/sha256.h"

void kb_hex_encode(const unsigned char *data, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex[data[i] >> 4];
		out[2 * i + 1] = hex[data[i] & 15];
	}
	out[2 * n] = '\0';
}

void kb_sha256_init(struct kb_sha256 *s)
{
	s->ctx = EVP_MD_CTX_new();
	if (!s->ctx || !EVP_DigestInit_ex(s->ctx, EVP_sha256(), NULL))
		abort();
}

void kb_sha256_update(struct kb_sha256 *s, const void *data, size_t len)
{
	if (len && !EVP_DigestUpdate(s->ctx, data, len))
		abort();
}

void kb_sha256_final(struct kb_sha256 *s, unsigned char md[KB_SHA256_LEN])
{
	unsigned int mdlen = 0;

	if (!EVP_DigestFinal_ex(s->ctx, md, &mdlen) || mdlen != KB_SHA256_LEN)
		abort();
	kb_sha256_release(s);
}

void kb_sha256_final_hex(struct kb_sha256 *s, char out[KB_SHA256_HEX + 1])
{
	unsigned char md[KB_SHA256_LEN];

	kb_sha256_final(s, md);
	kb_hex_encode(md, sizeof(md), out);
}

void kb_sha256_release(struct kb_sha256 *s)
{
	EVP_MD_CTX_free(s->ctx);
	s->ctx = NULL;
}

void kb_sha256(const void *data, size_t len, unsigned char md[KB_SHA256_LEN])
{
	unsigned int mdlen = 0;

	if (!EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) || mdlen != KB_SHA256_LEN)
		abort();
}

void kb_sha256_hex(const void *data, size_t len, char out[KB_SHA256_HEX + 1])
{
	unsigned char md[KB_SHA256_LEN];

	kb_sha256(data, len, md);
	kb_hex_encode(md, sizeof(md), out);
}
