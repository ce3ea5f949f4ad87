// SPDX-License-Identifier: Apache-2.0
/*
 * ELF-aware build signatures.  Only the sections that are loaded into memory
 * and have file content (SHF_ALLOC, not NOBITS) count; notes are left out
 * because .note.gnu.build-id differs between otherwise identical builds.
 */
#include "build/signature.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <pthread.h>
#include <string.h>

#include "util/buf.h"
#include "util/error.h"
#include "util/sha256.h"

static pthread_once_t elf_once = PTHREAD_ONCE_INIT;
static bool elf_ok;

static void elf_init(void)
{
	elf_ok = elf_version(EV_CURRENT) != EV_NONE;
}

static int hash_fd_content(int fd, const char *path, char out[65])
{
	struct kb_sha256 s;
	char chunk[65536];

	if (lseek(fd, 0, SEEK_SET) < 0)
		return kb_error_set(-errno, "cannot read '%s': %s", path, strerror(errno));
	kb_sha256_init(&s);
	for (;;) {
		ssize_t r = read(fd, chunk, sizeof(chunk));

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int err = errno;

			kb_sha256_release(&s);
			return kb_error_set(-err, "cannot read '%s': %s", path, strerror(err));
		}
		if (r == 0)
			break;
		kb_sha256_update(&s, chunk, (size_t)r);
	}
	kb_sha256_final_hex(&s, out);
	return 0;
}

/* Hash the wanted sections of @e; 1 = done, 0 = not an ELF object after all. */
static int hash_elf(Elf *e, const char *path, char out[65])
{
	struct kb_buf digests = KB_BUF_INIT;
	unsigned char md[32];
	Elf_Scn *scn = NULL;
	int ret;

	if (elf_kind(e) != ELF_K_ELF)
		return 0;
	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh)) {
			ret = kb_error_set(-EINVAL, "corrupt ELF file '%s': %s", path,
					   elf_errmsg(-1));
			goto out;
		}
		if (!(sh.sh_flags & SHF_ALLOC) || sh.sh_type == SHT_NOBITS ||
		    sh.sh_type == SHT_NOTE)
			continue;
		d = elf_rawdata(scn, NULL);
		if (!d && sh.sh_size) {
			ret = kb_error_set(-EINVAL, "corrupt ELF file '%s': %s", path,
					   elf_errmsg(-1));
			goto out;
		}
		kb_sha256(d && d->d_buf ? d->d_buf : "", d ? d->d_size : 0, md);
		kb_buf_add(&digests, md, sizeof(md));
	}
	kb_sha256_hex(digests.buf, digests.len, out);
	ret = 1;
out:
	kb_buf_release(&digests);
	return ret;
}

int kb_signature_elf(const char *path, char out[65])
{
	_cleanup_close_ int fd = -1;
	Elf *e;
	int ret;

	out[0] = 0;
	pthread_once(&elf_once, elf_init);
	if (!elf_ok)
		return kb_error_set(-EINVAL, "libelf is too old for this kbisect");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return kb_error_set(-errno, "cannot open '%s': %s", path, strerror(errno));
	e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!e)
		/* libelf does not want it (e.g. empty file): plain content hash */
		return hash_fd_content(fd, path, out);
	ret = hash_elf(e, path, out);
	elf_end(e);
	if (ret == 0)
		return hash_fd_content(fd, path, out);
	return ret < 0 ? ret : 0;
}

int kb_signature_artifacts(const char *dir, const char *const *paths, size_t n, char out[65])
{
	struct kb_sha256 s;
	char sig[65];
	int ret = 0;

	out[0] = 0;
	if (!n)
		return kb_error_set(-EINVAL, "no build artifacts configured to sign");
	kb_sha256_init(&s);
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *p = paths[i][0] == '/' || !dir ?
						 kb_xstrdup(paths[i]) :
						 kb_xasprintf("%s/%s", dir, paths[i]);

		ret = kb_signature_elf(p, sig);
		if (ret == -ENOENT)
			ret = kb_error_set(ret, "build artifact '%s' not found%s%s", paths[i],
					   dir ? " in " : "", dir ? dir : "");
		if (ret < 0)
			goto out;
		if (n == 1) {
			memcpy(out, sig, sizeof(sig));
			goto out;
		}
		/* the NUL terminators keep "ab"+"c" apart from "a"+"bc" */
		kb_sha256_update(&s, paths[i], strlen(paths[i]) + 1);
		kb_sha256_update(&s, sig, sizeof(sig));
	}
	kb_sha256_final_hex(&s, out);
out:
	kb_sha256_release(&s);
	return ret;
}
