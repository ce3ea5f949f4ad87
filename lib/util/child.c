// SPDX-License-Identifier: Apache-2.0
/*
 * Child processes.  Everything the child needs (argv, the candidate paths of
 * the PATH search, envp) is built before fork(), because between fork() and
 * exec the child of a multithreaded process may only call async-signal-safe
 * functions: another thread may have held the malloc lock at fork time.
 *
 * The parent runs one poll() loop over the child's stdout, stderr and stdin
 * pipes plus a pidfd, so output larger than a pipe buffer on both streams
 * cannot dead-lock, and a deadline can be enforced while the child is silent.
 */
#include "util/child.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "util/error.h"

extern char **environ;

/* Time between SIGTERM and SIGKILL of a timed-out process group. */
#define KB_CHILD_KILL_GRACE 5.0
/*
 * After the child itself exited, how long we keep reading pipes that its
 * background descendants still hold open, before the group is killed.
 */
#define KB_CHILD_LINGER 1.0

enum exec_stage {
	STAGE_CHDIR = 1,
	STAGE_EXEC = 2,
	STAGE_SETUP = 3,
};

struct exec_report {
	int stage;
	int err;
};

static double now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t env_key_len(const char *e)
{
	const char *eq = strchr(e, '=');

	return eq ? (size_t)(eq - e) : strlen(e);
}

/* environ with the "K=V" / "K" delta of @delta applied; entries are borrowed. */
static const char **build_envp(const char *const *delta)
{
	size_t n = 0, nd = 0, i, j, k = 0;
	const char **envp;

	for (char **e = environ; e && *e; e++)
		n++;
	for (const char *const *d = delta; d && *d; d++)
		nd++;
	envp = kb_xcalloc(n + nd + 1, sizeof(*envp));
	for (i = 0; i < n; i++)
		envp[k++] = environ[i];
	for (j = 0; j < nd; j++) {
		const char *d = delta[j];
		size_t kl = env_key_len(d);
		size_t w = 0;

		/* drop any existing entry with this key, then add the new value */
		for (i = 0; i < k; i++) {
			if (env_key_len(envp[i]) == kl && !strncmp(envp[i], d, kl))
				continue;
			envp[w++] = envp[i];
		}
		k = w;
		if (d[kl] == '=')
			envp[k++] = d;
	}
	envp[k] = NULL;
	return envp;
}

/*
 * The paths execve() should try for argv[0], in order: argv[0] itself when it
 * contains a '/', else each PATH entry joined with it (as execvp does).
 */
static char **build_exec_paths(const char *prog, const char *const *envp)
{
	const char *path = NULL;
	char **v;
	size_t n = 1, k = 0;

	if (strchr(prog, '/')) {
		v = kb_xcalloc(2, sizeof(*v));
		v[0] = kb_xstrdup(prog);
		return v;
	}
	for (const char *const *e = envp; *e; e++)
		if (!strncmp(*e, "PATH=", 5))
			path = *e + 5;
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (const char *p = path; *p; p++)
		n += *p == ':';
	v = kb_xcalloc(n + 1, sizeof(*v));
	for (const char *p = path;;) {
		const char *end = strchrnul(p, ':');
		size_t len = (size_t)(end - p);

		/* an empty PATH element means the current directory */
		if (len)
			v[k++] = kb_xasprintf("%.*s/%s", (int)len, p, prog);
		else
			v[k++] = kb_xasprintf("./%s", prog);
		if (!*end)
			break;
		p = end + 1;
	}
	return v;
}

static void free_strv(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

/* Async-signal-safe: write all of @len bytes, ignoring errors. */
static void write_all_raw(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		p += w;
		len -= (size_t)w;
	}
}

static __attribute__((noreturn)) void child_fail(int status_fd, int stage, int err)
{
	struct exec_report rep = { .stage = stage, .err = err };

	write_all_raw(status_fd, &rep, sizeof(rep));
	_exit(127);
}

/* Move @fd out of the 0..2 range so the dup2()s below cannot clobber it. */
static int lift_fd(int fd, int status_fd)
{
	int nfd;

	if (fd < 0 || fd > 2)
		return fd;
	nfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (nfd < 0)
		child_fail(status_fd, STAGE_SETUP, errno);
	return nfd;
}

struct child_fds {
	int in_r, out_w, err_w, status_w;
};

/* In the forked child: only async-signal-safe calls from here to exec. */
static __attribute__((noreturn)) void child_exec(struct child_fds f, const char *dir,
						 char *const *argv, char **paths, char *const *envp,
						 pid_t parent)
{
	struct sigaction sa;
	sigset_t none;
	bool saw_eacces = false;

	setpgid(0, 0);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		child_fail(f.status_w, STAGE_SETUP, errno);
	/* the parent may have died before prctl() took effect */
	if (getppid() != parent)
		_exit(127);

	/* ignored signals survive exec: give the program default dispositions */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	for (int s = 1; s < NSIG; s++)
		if (s != SIGKILL && s != SIGSTOP)
			sigaction(s, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);

	f.status_w = lift_fd(f.status_w, -1 /* unused when status_w > 2 */);
	f.in_r = lift_fd(f.in_r, f.status_w);
	f.out_w = lift_fd(f.out_w, f.status_w);
	f.err_w = lift_fd(f.err_w, f.status_w);
	if (dup2(f.in_r, 0) < 0 || dup2(f.out_w, 1) < 0 || dup2(f.err_w, 2) < 0)
		child_fail(f.status_w, STAGE_SETUP, errno);
	/*
	 * Our own fds are O_CLOEXEC; this also covers fds some other library
	 * in the process opened without it.
	 */
	close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);

	if (dir && chdir(dir) < 0)
		child_fail(f.status_w, STAGE_CHDIR, errno);

	for (char **p = paths; *p; p++) {
		execve(*p, argv, envp);
		/* like execvp: keep searching after ENOENT/EACCES/ENOTDIR */
		if (errno != ENOENT && errno != ENOTDIR && errno != EACCES)
			child_fail(f.status_w, STAGE_EXEC, errno);
		if (errno == EACCES)
			saw_eacces = true;
	}
	child_fail(f.status_w, STAGE_EXEC, saw_eacces ? EACCES : ENOENT);
}

static void close_fd(int *fd)
{
	if (*fd >= 0) {
		close(*fd);
		*fd = -1;
	}
}

static int set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	return 0;
}

/* Write @len bytes to the tee file; errors are remembered, not fatal mid-run. */
static void tee_write(int fd, const char *data, size_t len, int *tee_err)
{
	while (fd >= 0 && len && !*tee_err) {
		ssize_t w = write(fd, data, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			*tee_err = errno;
			return;
		}
		data += w;
		len -= (size_t)w;
	}
}

/* Read what is available on @fd; returns false at EOF or error. */
static bool pump(int fd, struct kb_buf *dst, int tee_fd, int *tee_err)
{
	char chunk[65536];

	for (;;) {
		ssize_t r = read(fd, chunk, sizeof(chunk));

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return errno == EAGAIN;
		if (r == 0)
			return false;
		if (dst)
			kb_buf_add(dst, chunk, (size_t)r);
		tee_write(tee_fd, chunk, (size_t)r, tee_err);
		/* one chunk per wake-up keeps the two streams interleaved fairly */
		return true;
	}
}

static bool child_exited(pid_t pid)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0)
		return errno == ECHILD;
	return si.si_pid == pid;
}

struct loop {
	pid_t pid;
	int pidfd;
	int out_r, err_r, in_w, tee_fd;
	const char *in_data;
	size_t in_len, in_off;
	struct kb_buf *out, *err;
	double start, deadline;
	const atomic_bool *cancel;
	bool timed_out, cancelled;
	int tee_err;
};

static void feed_stdin(struct loop *l)
{
	while (l->in_off < l->in_len) {
		ssize_t w = write(l->in_w, l->in_data + l->in_off, l->in_len - l->in_off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN)
			return;
		if (w < 0) {
			/* EPIPE: the child does not want more input */
			close_fd(&l->in_w);
			return;
		}
		l->in_off += (size_t)w;
	}
	close_fd(&l->in_w);
}

static void run_loop(struct loop *l)
{
	double term_at = l->deadline, kill_at = 0, exited_at = 0;
	bool exited = false;

	for (;;) {
		struct pollfd p[4];
		int n = 0, ix_out = -1, ix_err = -1, ix_in = -1;
		double t = now_mono(), wait_s = -1;
		int ms;

		if (!exited && child_exited(l->pid)) {
			exited = true;
			exited_at = t;
			close_fd(&l->in_w);
		}
		if (exited && l->out_r < 0 && l->err_r < 0)
			break;
		if (exited && t - exited_at >= KB_CHILD_LINGER)
			break;
		if (!exited && !l->timed_out && l->cancel && atomic_load(l->cancel)) {
			l->cancelled = true;
			term_at = t;
		}
		if (!exited && term_at > 0 && t >= term_at && !l->timed_out) {
			l->timed_out = true;
			kill(-l->pid, SIGTERM);
			kill(l->pid, SIGTERM);
			kill_at = t + KB_CHILD_KILL_GRACE;
		}
		if (!exited && kill_at > 0 && t >= kill_at) {
			kill(-l->pid, SIGKILL);
			kill(l->pid, SIGKILL);
			kill_at = 0;
		}

		if (l->out_r >= 0) {
			ix_out = n;
			p[n++] = (struct pollfd){ .fd = l->out_r, .events = POLLIN };
		}
		if (l->err_r >= 0) {
			ix_err = n;
			p[n++] = (struct pollfd){ .fd = l->err_r, .events = POLLIN };
		}
		if (l->in_w >= 0) {
			ix_in = n;
			p[n++] = (struct pollfd){ .fd = l->in_w, .events = POLLOUT };
		}
		if (!exited && l->pidfd >= 0)
			p[n++] = (struct pollfd){ .fd = l->pidfd, .events = POLLIN };

		if (exited)
			wait_s = exited_at + KB_CHILD_LINGER - t;
		else if (!l->timed_out && term_at > 0)
			wait_s = term_at - t;
		else if (kill_at > 0)
			wait_s = kill_at - t;
		/* without a pidfd, exit is noticed by polling */
		if (!exited && l->pidfd < 0 && (wait_s < 0 || wait_s > 0.05))
			wait_s = 0.05;
		/* a cancel flag is looked at five times a second */
		if (!exited && l->cancel && !l->timed_out && (wait_s < 0 || wait_s > 0.2))
			wait_s = 0.2;
		/* after SIGKILL, waiting on the pidfd is enough; still re-check */
		if (!exited && l->timed_out && kill_at == 0 && (wait_s < 0 || wait_s > 0.5))
			wait_s = 0.5;
		/* a far deadline is re-checked hourly rather than overflowing an int */
		if (wait_s > 3600)
			wait_s = 3600;
		ms = wait_s < 0 ? -1 : (int)(wait_s * 1000.0) + 1;

		if (poll(p, (nfds_t)n, ms) < 0) {
			if (errno == EINTR)
				continue;
			/* cannot happen with valid fds; avoid spinning */
			break;
		}
		if (ix_out >= 0 && p[ix_out].revents &&
		    !pump(l->out_r, l->out, l->tee_fd, &l->tee_err))
			close_fd(&l->out_r);
		if (ix_err >= 0 && p[ix_err].revents &&
		    !pump(l->err_r, l->err, l->tee_fd, &l->tee_err))
			close_fd(&l->err_r);
		if (ix_in >= 0 && p[ix_in].revents) {
			if (p[ix_in].revents & (POLLERR | POLLHUP))
				close_fd(&l->in_w);
			else
				feed_stdin(l);
		}
	}
}

/*
 * Block SIGPIPE in this thread while we write the child's stdin, so a child
 * that exits without reading it gives EPIPE instead of killing us.  The
 * process-wide disposition is not ours to change.
 */
static bool block_sigpipe(sigset_t *old)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &set, old);
	return sigismember(old, SIGPIPE);
}

static void restore_sigpipe(const sigset_t *old, bool was_blocked)
{
	sigset_t set, pending;
	struct timespec zero = { 0, 0 };

	if (!was_blocked) {
		sigemptyset(&set);
		sigaddset(&set, SIGPIPE);
		sigpending(&pending);
		/* consume a SIGPIPE our own write raised before unblocking */
		if (sigismember(&pending, SIGPIPE))
			sigtimedwait(&set, NULL, &zero);
	}
	pthread_sigmask(SIG_SETMASK, old, NULL);
}

static void describe_cmd(const struct kb_child *c, struct kb_buf *b)
{
	if (c->shell_cmd)
		kb_buf_addf(b, "%.80s", c->shell_cmd);
	else if (c->argv && c->argv[0])
		kb_buf_addf(b, "%.80s", c->argv[0]);
}

int kb_child_run(struct kb_child *c)
{
	const char *sh_argv[] = { "/bin/sh", "-c", c->shell_cmd, NULL };
	const char *const *argv = c->shell_cmd ? sh_argv : c->argv;
	int in_p[2] = { -1, -1 }, out_p[2] = { -1, -1 }, err_p[2] = { -1, -1 };
	int st_p[2] = { -1, -1 };
	_cleanup_buf_ struct kb_buf what = KB_BUF_INIT;
	_cleanup_free_ const char **envp = NULL;
	char **paths = NULL;
	struct loop l = {
		.pid = -1, .pidfd = -1, .out_r = -1, .err_r = -1, .in_w = -1, .tee_fd = -1
	};
	struct exec_report rep = { 0, 0 };
	struct child_fds cf;
	sigset_t oldmask;
	bool sigpipe_was_blocked;
	pid_t parent = getpid();
	int ret = 0, wstatus = 0;
	ssize_t r;

	c->status = KB_CHILD_EXEC_FAILED;
	c->exit_code = -1;
	c->sig = 0;
	c->err_no = 0;
	c->seconds = 0;
	c->cancelled = false;
	describe_cmd(c, &what);
	if (!argv || !argv[0])
		return kb_error_set(-EINVAL, "no command to run");

	if (c->out_path) {
		l.tee_fd = open(c->out_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (l.tee_fd < 0)
			return kb_error_set(-errno, "cannot open log '%s': %s", c->out_path,
					    strerror(errno));
	}
	if ((c->stdin_data ? pipe2(in_p, O_CLOEXEC) : 0) < 0 || pipe2(out_p, O_CLOEXEC) < 0 ||
	    (!c->merge_stderr && pipe2(err_p, O_CLOEXEC) < 0) || pipe2(st_p, O_CLOEXEC) < 0) {
		ret = kb_error_set(-errno, "cannot create pipes for '%s': %s", what.buf,
				   strerror(errno));
		goto out;
	}
	if (!c->stdin_data) {
		in_p[0] = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (in_p[0] < 0) {
			ret = kb_error_set(-errno, "cannot open /dev/null: %s", strerror(errno));
			goto out;
		}
	}

	envp = build_envp(c->env);
	paths = build_exec_paths(argv[0], envp);
	cf = (struct child_fds){ .in_r = in_p[0],
				 .out_w = out_p[1],
				 .err_w = c->merge_stderr ? out_p[1] : err_p[1],
				 .status_w = st_p[1] };

	sigpipe_was_blocked = block_sigpipe(&oldmask);
	l.start = now_mono();
	l.pid = fork();
	if (l.pid < 0) {
		ret = kb_error_set(-errno, "cannot start '%s': fork: %s", what.buf,
				   strerror(errno));
		restore_sigpipe(&oldmask, sigpipe_was_blocked);
		goto out;
	}
	if (l.pid == 0)
		child_exec(cf, c->dir, (char *const *)argv, paths, (char *const *)envp, parent);

	/* both sides call setpgid so kill(-pid) works whoever runs first */
	setpgid(l.pid, l.pid);
	close_fd(&in_p[0]);
	close_fd(&out_p[1]);
	close_fd(&err_p[1]);
	close_fd(&st_p[1]);

	/* EOF here means exec succeeded (the status pipe is close-on-exec) */
	do
		r = read(st_p[0], &rep, sizeof(rep));
	while (r < 0 && errno == EINTR);

	/* pidfds are always close-on-exec; without one we poll for the exit */
	l.pidfd = pidfd_open(l.pid, 0);
	l.out_r = KB_TAKE_FD(out_p[0]);
	l.err_r = KB_TAKE_FD(err_p[0]);
	l.in_w = KB_TAKE_FD(in_p[1]);
	set_nonblock(l.out_r);
	if (l.err_r >= 0)
		set_nonblock(l.err_r);
	if (l.in_w >= 0)
		set_nonblock(l.in_w);
	l.in_data = c->stdin_data;
	l.in_len = c->stdin_len;
	l.out = c->out;
	l.err = c->merge_stderr ? c->out : c->err;
	l.deadline = c->timeout > 0 ? l.start + c->timeout : 0;
	l.cancel = c->cancel;

	if (r == (ssize_t)sizeof(rep)) {
		/* exec failed: the child _exit()s at once, nothing to read */
		close_fd(&l.in_w);
	} else {
		run_loop(&l);
	}
	restore_sigpipe(&oldmask, sigpipe_was_blocked);

	/*
	 * The child is exited but not reaped yet (WNOWAIT), so its pid, and
	 * with it the process group id, cannot have been reused: whatever is
	 * left of the tree (background jobs holding our pipes) is killed.
	 * If the loop ended early, this also kills the child itself.
	 */
	kill(-l.pid, SIGKILL);
	while (waitpid(l.pid, &wstatus, 0) < 0) {
		if (errno != EINTR) {
			ret = kb_error_set(-errno, "cannot wait for '%s': %s", what.buf,
					   strerror(errno));
			goto out;
		}
	}
	c->seconds = now_mono() - l.start;

	if (r == (ssize_t)sizeof(rep)) {
		c->status = KB_CHILD_EXEC_FAILED;
		c->err_no = rep.err ? rep.err : EIO;
	} else if (l.timed_out) {
		c->status = KB_CHILD_TIMED_OUT;
		c->cancelled = l.cancelled;
	} else if (WIFEXITED(wstatus)) {
		c->status = KB_CHILD_EXITED;
		c->exit_code = WEXITSTATUS(wstatus);
	} else if (WIFSIGNALED(wstatus)) {
		c->status = KB_CHILD_SIGNALED;
		c->sig = WTERMSIG(wstatus);
	}
	if (l.tee_err)
		ret = kb_error_set(-l.tee_err, "cannot write log '%s': %s", c->out_path,
				   strerror(l.tee_err));

out:
	for (int i = 0; i < 2; i++) {
		close_fd(&in_p[i]);
		close_fd(&out_p[i]);
		close_fd(&err_p[i]);
		close_fd(&st_p[i]);
	}
	close_fd(&l.out_r);
	close_fd(&l.err_r);
	close_fd(&l.in_w);
	close_fd(&l.pidfd);
	close_fd(&l.tee_fd);
	free_strv(paths);
	return ret;
}

int kb_child_capture(const char *const *argv, const char *dir, struct kb_buf *out)
{
	_cleanup_buf_ struct kb_buf err = KB_BUF_INIT;
	struct kb_child c = { .argv = argv, .dir = dir, .out = out, .err = &err };
	int r;

	err.cap = 4096;
	r = kb_child_run(&c);
	if (r < 0)
		return r;
	switch (c.status) {
	case KB_CHILD_EXITED:
		if (c.exit_code == 0)
			return 0;
		kb_buf_rtrim(&err);
		return kb_error_set(-EIO, "'%s' failed with exit code %d%s%.200s", argv[0],
				    c.exit_code, err.len ? ": " : "", err.buf);
	case KB_CHILD_SIGNALED:
		return kb_error_set(-EIO, "'%s' was killed by signal %d (%s)", argv[0], c.sig,
				    strsignal(c.sig));
	case KB_CHILD_TIMED_OUT:
		return kb_error_set(-ETIMEDOUT, "'%s' timed out", argv[0]);
	case KB_CHILD_EXEC_FAILED:
		break;
	}
	return kb_error_set(-c.err_no, "cannot run '%s'%s%s: %s", argv[0], dir ? " in " : "",
			    dir ? dir : "", strerror(c.err_no));
}
