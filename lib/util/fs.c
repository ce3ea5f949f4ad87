// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include "util/error.h"
#include "util/fs.h"

int kb_read_file(const char *path, struct kb_buf *out)
{
	_cleanup_close_ int fd = -1;
	bool is_stdin = !strcmp(path, "-");
	char tmp[65536];

	fd = is_stdin ? dup(0) : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return kb_error_set(-errno, "cannot open '%s': %s", is_stdin ? "<stdin>" : path,
				    strerror(errno));
	for (;;) {
		ssize_t n = read(fd, tmp, sizeof(tmp));

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return kb_error_set(-errno, "cannot read '%s': %s",
					    is_stdin ? "<stdin>" : path, strerror(errno));
		}
		if (!n)
			break;
		kb_buf_add(out, tmp, (size_t)n);
	}
	return 0;
}

int kb_write_file(const char *path, const void *data, size_t len)
{
	_cleanup_free_ char *tmp = kb_xasprintf("%s.tmp.%d", path, (int)getpid());
	const char *p = data;
	int fd;

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return kb_error_set(-errno, "cannot create '%s': %s", tmp, strerror(errno));
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			int e = errno;

			if (e == EINTR)
				continue;
			close(fd);
			unlink(tmp);
			return kb_error_set(-e, "cannot write '%s': %s", path, strerror(e));
		}
		p += n;
		len -= (size_t)n;
	}
	if (close(fd) < 0 || rename(tmp, path) < 0) {
		int e = errno;

		unlink(tmp);
		return kb_error_set(-e, "cannot write '%s': %s", path, strerror(e));
	}
	return 0;
}

int kb_mkdir_p(const char *path, unsigned mode)
{
	_cleanup_free_ char *p = kb_xstrdup(path);

	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, mode) < 0 && errno != EEXIST)
			return kb_error_set(-errno, "cannot create directory '%s': %s", p,
					    strerror(errno));
		*s = '/';
	}
	if (mkdir(p, mode) < 0 && errno != EEXIST)
		return kb_error_set(-errno, "cannot create directory '%s': %s", p, strerror(errno));
	if (!kb_is_dir(p))
		return kb_error_set(-ENOTDIR, "'%s' exists and is not a directory", p);
	return 0;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path) < 0 && errno != ENOENT ? -1 : 0;
}

int kb_rm_rf(const char *path)
{
	if (!kb_path_exists(path))
		return 0;
	if (nftw(path, rm_one, 32, FTW_DEPTH | FTW_PHYS) < 0)
		return kb_error_set(-errno, "cannot remove '%s': %s", path, strerror(errno));
	return 0;
}

int kb_lock_dir(const char *dir, const char *what)
{
	_cleanup_free_ char *path = kb_xasprintf("%s/lock", dir);
	int fd;

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return kb_error_set(-errno, "cannot open '%s': %s", path, strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;

		close(fd);
		if (e == EWOULDBLOCK)
			return kb_error_set(-EBUSY,
					    "%s '%s' is in use by another kbisect; wait for it to "
					    "finish or choose another directory",
					    what, dir);
		return kb_error_set(-e, "cannot lock '%s': %s", path, strerror(e));
	}
	return fd;
}

bool kb_path_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

bool kb_is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}
