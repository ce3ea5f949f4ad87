// SPDX-License-Identifier: Apache-2.0
/*
 * The local process test backend.  What the test printed is read like a
 * kernel console: a crash found there wins over the exit code, because a
 * test that triggers an oops may still exit 0.
 */
#include "run/local.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "report/report.h"
#include "util/buf.h"
#include "util/child.h"
#include "util/error.h"
#include "util/fs.h"

int kb_local_find_kernel_crash(void *ctx, const char *out, size_t len, char **title)
{
	struct kb_report **v = NULL;
	size_t n = 0;
	int ret;

	(void)ctx;
	*title = NULL;
	ret = kb_report_parse_all(out, len, &v, &n);
	if (ret < 0)
		return ret;
	for (size_t i = 0; i < n; i++) {
		if (!v[i]->suppressed && v[i]->title) {
			*title = kb_xstrdup(v[i]->title);
			break;
		}
	}
	kb_report_free_all(v, n);
	return *title ? 1 : 0;
}

static char *signal_name(int sig)
{
	const char *abbrev = sigabbrev_np(sig);

	return abbrev ? kb_xasprintf("SIG%s", abbrev) : kb_xasprintf("signal %d", sig);
}

/* The outcome from how the process ended, when the console had no crash. */
static void classify_exit(const struct kb_child *c, const struct kb_local_test *t,
			  struct kb_run_result *res)
{
	_cleanup_free_ char *sig = NULL;

	switch (c->status) {
	case KB_CHILD_EXITED:
		res->exit_status = c->exit_code;
		if (c->exit_code == 0) {
			res->outcome = KB_RUN_OK;
		} else if (c->exit_code == 125) {
			/* git bisect run: 125 means "cannot test this commit" */
			res->outcome = KB_RUN_SKIP;
			res->title = kb_xstrdup("test exited with code 125 (cannot test)");
		} else if (c->exit_code > 128 && c->exit_code < 128 + 65) {
			/* a shell reports a command killed by signal S as 128+S */
			sig = signal_name(c->exit_code - 128);
			res->outcome = KB_RUN_CRASH;
			res->title = kb_xasprintf("test failed with exit code %d (%s)",
						  c->exit_code, sig);
		} else {
			res->outcome = KB_RUN_CRASH;
			res->title = kb_xasprintf("test failed with exit code %d", c->exit_code);
		}
		break;
	case KB_CHILD_SIGNALED:
		sig = signal_name(c->sig);
		res->outcome = KB_RUN_CRASH;
		res->title = kb_xasprintf("test killed by signal %s", sig);
		break;
	case KB_CHILD_TIMED_OUT:
		res->outcome = KB_RUN_INFRA;
		res->title = kb_xasprintf("test timed out after %gs", t->timeout);
		break;
	case KB_CHILD_EXEC_FAILED:
		res->outcome = KB_RUN_INFRA;
		res->title = kb_xasprintf(
			"cannot run test: %s (%s): '%s'", strerrorname_np(c->err_no) ?: "error",
			strerror(c->err_no), t->shell_cmd ? t->shell_cmd : t->argv[0]);
		break;
	}
}

int kb_local_run(const struct kb_local_test *t, const char *worktree, const char *commit,
		 unsigned run_idx, struct kb_run_result *res)
{
	_cleanup_free_ char *v_commit = kb_xasprintf("KBISECT_COMMIT=%s", commit);
	_cleanup_free_ char *v_run = kb_xasprintf("KBISECT_RUN=%u", run_idx);
	_cleanup_free_ char *v_wt = kb_xasprintf("KBISECT_WORKTREE=%s", worktree);
	_cleanup_free_ const char **env = NULL;
	_cleanup_free_ char *title = NULL;
	struct kb_buf console = KB_BUF_INIT;
	kb_crash_finder find = t->find_crash ? t->find_crash : kb_local_find_kernel_crash;
	struct kb_child c;
	size_t n = 0;
	int ret, fd;

	memset(res, 0, sizeof(*res));
	res->exit_status = -1;
	if (!t->shell_cmd && !(t->argv && t->argv[0]))
		return kb_error_set(-EINVAL, "no test command configured");

	for (const char *const *e = t->env; e && *e; e++)
		n++;
	env = kb_xcalloc(n + 4, sizeof(*env));
	if (n)
		memcpy(env, t->env, n * sizeof(*env));
	/* ours come last so they win over a user entry of the same name */
	env[n] = v_commit;
	env[n + 1] = v_run;
	env[n + 2] = v_wt;

	if (t->log_dir) {
		ret = kb_mkdir_p(t->log_dir, 0755);
		if (ret < 0)
			return ret;
		res->console_path = kb_xasprintf("%s/run-%s-%u.log", t->log_dir, commit, run_idx);
		/* a retried run starts a fresh console file */
		fd = open(res->console_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0) {
			ret = kb_error_set(-errno, "cannot create console log '%s': %s",
					   res->console_path, strerror(errno));
			goto fail;
		}
		close(fd);
	}

	console.cap = t->console_cap ? t->console_cap : KB_LOCAL_CONSOLE_CAP;
	c = (struct kb_child){
		.argv = t->argv,
		.shell_cmd = t->shell_cmd,
		.env = env,
		.dir = worktree,
		.out_path = res->console_path,
		.out = &console,
		.merge_stderr = true,
		.timeout = t->timeout,
		.cancel = t->cancel,
	};
	ret = kb_child_run(&c);
	if (ret < 0)
		goto fail;
	res->seconds = c.seconds;
	if (c.status == KB_CHILD_EXITED)
		res->exit_status = c.exit_code;
	if (c.cancelled) {
		/* whatever it printed so far, nobody wants this run any more */
		kb_run_result_set_cancelled(res);
		kb_buf_release(&console);
		return 0;
	}

	if (c.status != KB_CHILD_EXEC_FAILED) {
		ret = find(t->find_crash_ctx, console.buf, console.len, &title);
		if (ret < 0) {
			kb_error_wrap(ret, "parsing the output of test %u of %s", run_idx, commit);
			goto fail;
		}
		if (ret > 0) {
			res->outcome = KB_RUN_CRASH;
			res->title = KB_TAKE_PTR(title);
			kb_buf_release(&console);
			return 0;
		}
	}
	classify_exit(&c, t, res);
	kb_buf_release(&console);
	return 0;

fail:
	kb_buf_release(&console);
	kb_run_result_clear(res);
	return ret;
}
