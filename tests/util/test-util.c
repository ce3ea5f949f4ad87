// SPDX-License-Identifier: Apache-2.0
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <string.h>
#include "util/buf.h"
#include "util/error.h"
#include "util/fs.h"

static void test_buf_basic(void **state)
{
	struct kb_buf b = KB_BUF_INIT;

	(void)state;
	assert_string_equal(b.buf, "");
	kb_buf_addstr(&b, "hello");
	kb_buf_addch(&b, ' ');
	kb_buf_addf(&b, "%d-%s", 42, "x");
	assert_string_equal(b.buf, "hello 42-x");
	assert_int_equal(b.len, 10);
	kb_buf_add(&b, "\0z", 2);
	assert_int_equal(b.len, 12);
	assert_int_equal(b.buf[10], '\0');
	assert_int_equal(b.buf[11], 'z');
	kb_buf_release(&b);
	assert_int_equal(b.len, 0);
}

static void test_buf_cap(void **state)
{
	struct kb_buf b = KB_BUF_INIT;

	(void)state;
	b.cap = 8;
	kb_buf_addstr(&b, "12345");
	assert_false(b.truncated);
	kb_buf_addstr(&b, "67890");
	assert_true(b.truncated);
	assert_string_equal(b.buf, "12345678");
	kb_buf_release(&b);
	assert_int_equal(b.cap, 8);
}

static void test_buf_long_format(void **state)
{
	struct kb_buf b = KB_BUF_INIT;
	char big[1000];

	(void)state;
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	kb_buf_addf(&b, "<%s>", big);
	assert_int_equal(b.len, 1001);
	assert_int_equal(b.buf[0], '<');
	assert_int_equal(b.buf[1000], '>');
	kb_buf_release(&b);
}

static void test_error_messages(void **state)
{
	struct kb_buf b = KB_BUF_INIT;
	int r;

	(void)state;
	r = kb_read_file("/nonexistent/kbisect/file", &b);
	assert_int_equal(r, -ENOENT);
	assert_non_null(strstr(kb_error_last(), "/nonexistent/kbisect/file"));
	r = kb_error_wrap(r, "loading config");
	assert_int_equal(strncmp(kb_error_last(), "loading config: cannot open", 27), 0);
	kb_buf_release(&b);
}

static void test_fs_roundtrip(void **state)
{
	char dir[] = "/tmp/kbisect-test-XXXXXX";
	struct kb_buf b = KB_BUF_INIT;
	char *sub, *file;

	(void)state;
	assert_non_null(mkdtemp(dir));
	sub = kb_xasprintf("%s/a/b/c", dir);
	file = kb_xasprintf("%s/f", sub);
	assert_int_equal(kb_mkdir_p(sub, 0755), 0);
	assert_true(kb_is_dir(sub));
	assert_int_equal(kb_write_file(file, "x\0y", 3), 0);
	assert_int_equal(kb_read_file(file, &b), 0);
	assert_int_equal(b.len, 3);
	assert_memory_equal(b.buf, "x\0y", 3);
	assert_int_equal(kb_rm_rf(dir), 0);
	assert_false(kb_path_exists(dir));
	free(sub);
	free(file);
	kb_buf_release(&b);
}

/* The work directory lock: one holder, released with the descriptor. */
static void test_lock_dir(void **state)
{
	char dir[] = "/tmp/kbisect-test-XXXXXX";
	int fd, fd2;

	(void)state;
	assert_non_null(mkdtemp(dir));
	fd = kb_lock_dir(dir, "work directory");
	assert_true(fd >= 0);
	/* Not inherited by children: a leftover QEMU must not keep it. */
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	/* flock conflicts between open file descriptions, even in one process. */
	assert_int_equal(kb_lock_dir(dir, "work directory"), -EBUSY);
	assert_non_null(strstr(kb_error_last(), "is in use by another kbisect"));
	assert_non_null(strstr(kb_error_last(), dir));
	close(fd);
	fd2 = kb_lock_dir(dir, "work directory");
	assert_true(fd2 >= 0);
	close(fd2);
	assert_int_equal(kb_rm_rf(dir), 0);
	assert_int_equal(kb_lock_dir(dir, "work directory"), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buf_basic),	cmocka_unit_test(test_buf_cap),
		cmocka_unit_test(test_buf_long_format), cmocka_unit_test(test_error_messages),
		cmocka_unit_test(test_fs_roundtrip),	cmocka_unit_test(test_lock_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
