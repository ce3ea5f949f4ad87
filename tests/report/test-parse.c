// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests of the crash-report parser: one small hand-written console log
 * per oops family, plus the input edge cases (no crash, caller ids, NUL,
 * '\r', long lines, several crashes, parsing from an offset).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <pthread.h>
#include <string.h>
#include "report/report.h"
#include "util/buf.h"

static struct kb_report *parse_n(const char *log, size_t len)
{
	struct kb_report *r = NULL;

	assert_int_equal(kb_report_parse(log, len, 0, &r), 1);
	assert_non_null(r);
	assert_true(kb_report_contains_crash(log, len));
	assert_true(r->start < r->end);
	assert_true(r->end <= len);
	assert_true(r->start < r->skip && r->skip <= r->end);
	assert_true(r->report_len > 0);
	return r;
}

static struct kb_report *parse1(const char *log)
{
	return parse_n(log, strlen(log));
}

static void assert_alt(const struct kb_report *r, const char *alt)
{
	for (size_t i = 0; i < r->n_alt; i++)
		if (!strcmp(r->alt_titles[i], alt))
			return;
	fail_msg("alt title '%s' missing", alt);
}

static void test_kasan(void **state)
{
	static const char log[] =
		"[   10.000001] ==================================================================\n"
		"[   10.000002] BUG: KASAN: use-after-free in memcpy+0x1d/0x50 mm/kasan/shadow.c:65\n"
		"[   10.000003] Read of size 8 at addr ffff88801a2b3c40 by task syz-executor.1/4242\n"
		"[   10.000004] \n"
		"[   10.000005] CPU: 0 PID: 4242 Comm: syz.1.17 Not tainted 6.1.0 #1\n"
		"[   10.000006] Call Trace:\n"
		"[   10.000007]  <TASK>\n"
		"[   10.000008]  dump_stack_lvl+0x1/0x2\n"
		"[   10.000009]  kasan_report+0x1/0x2\n"
		"[   10.000010]  memcpy+0x1d/0x50\n"
		"[   10.000011]  ? unrelated_func+0x1/0x2\n"
		"[   10.000012]  tcp_sendmsg_locked+0x10/0x900\n"
		"[   10.000013]  __sys_sendto+0x20/0x30\n"
		"[   10.000014]  do_syscall_64+0x1/0x2\n"
		"[   10.000015]  </TASK>\n"
		"[   10.000016] \n"
		"[   10.000017] Allocated by task 4242:\n"
		"[   10.000018]  kmalloc_trace+0x1/0x2\n"
		"[   10.000019]  sk_alloc+0x1/0x2\n"
		"[   10.000020]  inet_create+0x1/0x2\n"
		"[   10.000021] ==================================================================\n";
	struct kb_report *r;

	(void)state;
	r = parse1(log);
	/* memcpy is on the skip list: the first guilty frame of Call Trace wins */
	assert_string_equal(r->title, "KASAN: use-after-free Read in tcp_sendmsg_locked");
	assert_string_equal(r->type, "KASAN-USE-AFTER-FREE-READ");
	assert_string_equal(r->frame, "tcp_sendmsg_locked");
	assert_alt(r, "bad-access in tcp_sendmsg_locked");
	assert_false(r->corrupted);
	assert_false(r->panicked);
	assert_string_equal(r->executor, "proc=1, id=17");
	/* questionable "? " frames and timestamps are gone; prefix line kept */
	assert_null(memmem(r->report, r->report_len, "unrelated_func", 14));
	assert_null(memmem(r->report, r->report_len, "[   10.", 7));
	assert_memory_equal(r->report, "======", 6);
	assert_int_equal(r->start, strlen(log) - strlen(strstr(log, "[   10.000002] BUG")));
	kb_report_free(r);
}

static void test_kmsan(void **state)
{
	static const char log[] =
		"[ 5.1][ T77] =====================================================\n"
		"[ 5.2][ T77] BUG: KMSAN: uninit-value in bpf_prog_run+0x1/0x2\n"
		"[ 5.3][ T77]  bpf_prog_run+0x1/0x2\n"
		"[ 5.4][ T77]  sk_filter_trim_cap+0x1/0x2\n"
		"[ 5.5][ T77]  netlink_sendmsg+0x1/0x2\n"
		"[ 5.6][ T77] \n"
		"[ 5.7][ T77] Uninit was created at:\n"
		"[ 5.8][ T77]  __kmalloc+0x1/0x2\n"
		"[ 5.9][ T77]  bpf_prog_alloc+0x1/0x2\n"
		"[ 6.0][ T77] =====================================================\n";
	struct kb_report *r;

	(void)state;
	r = parse1(log);
	assert_string_equal(r->title, "KMSAN: uninit-value in bpf_prog_run");
	assert_string_equal(r->type, "KMSAN-UNINIT-VALUE");
	assert_alt(r, "bad-access in bpf_prog_run");
	/* KMSAN is a no-stack-trace format: no "Call Trace" needed */
	assert_false(r->corrupted);
	kb_report_free(r);
}

static void test_kcsan(void **state)
{
	static const char log[] =
		"[ 1.0] ==================================================================\n"
		"[ 1.1] BUG: KCSAN: data-race in tcp_poll / tcp_set_state\n"
		"[ 1.2] \n"
		"[ 1.3] write to 0xffff888012345678 of 4 bytes by task 1 on cpu 0:\n"
		"[ 1.4]  tcp_set_state+0x1/0x2\n";
	struct kb_report *r;

	(void)state;
	r = parse1(log);
	assert_string_equal(r->title, "KCSAN: data-race in tcp_poll / tcp_set_state");
	assert_string_equal(r->type, "KCSAN-DATARACE");
	assert_string_equal(r->frame, "tcp_poll");
	kb_report_free(r);
}

static void test_kfence(void **state)
{
	static const char log[] =
		"[ 2.0] BUG: KFENCE: use-after-free read in ext4_find_entry+0x1/0x2\n"
		"[ 2.1] \n"
		"[ 2.2] Use-after-free read at 0x000000001234 (in kfence-#7):\n"
		"[ 2.3]  ext4_find_entry+0x1/0x2\n"
		"[ 2.4]  ext4_lookup+0x1/0x2\n";
	struct kb_report *r;

	(void)state;
	r = parse1(log);
	assert_string_equal(r->title, "KFENCE: use-after-free read in ext4_find_entry");
	assert_string_equal(r->type, "KFENCE-USE-AFTER-FREE-READ");
	assert_alt(r, "bad-access in ext4_find_entry");
	kb_report_free(r);
}

static void test_ubsan(void **state)
{
	static const char log[] = "[ 3.0] UBSAN: array-index-out-of-bounds in net/x/y.c:12:5\n"
				  "[ 3.1] index 9 is out of range for type 'int [8]'\n"
				  "[ 3.2] Call Trace:\n"
				  "[ 3.3]  dump_stack+0x1/0x2\n"
				  "[ 3.4]  __ubsan_handle_out_of_bounds+0x1/0x2\n"
				  "[ 3.5]  xyz_rcv+0x1/0x2\n"
				  "[ 3.6]  netif_receive_skb+0x1/0x2\n";
	struct kb_report *r;

	(void)state;
	r = parse1(log);
	assert_string_equal(r->title, "UBSAN: array-index-out-of-bounds in xyz_rcv");
	assert_string_equal(r->type, "MEMORY_SAFETY_UBSAN");
	assert_alt(r, "bad-access in xyz_rcv");
	assert_false(r->corrupted);
	kb_report_free(r);
}

static void test_paging_request(void **state)
{
	static const char log[] =
		"[ 4.0] BUG: unable to handle page fault for address: ffffc90001234567\n"
		"[ 4.1] #PF: supervisor read access in kernel mode\n"
		"[ 4.2] CPU: 1 PID: 99 Comm: syz-executor123 Not tainted 6.0 #1\n"
		"[ 4.3] RIP: 0010:strlen+0x1a/0x90\n"
		"[ 4.4] RSP: 0018:ffffc90000a0fd00 EFLAGS: 00010246\n"
		"[ 4.5] Call Trace:\n"
		"[ 4.6]  <TASK>\n"
		"[ 4.7]  kernfs_name_hash+0x1/0x2\n"
		"[ 4.8]  kernfs_find_ns+0x1/0x2\n"
		"[ 4.9]  </TASK>\n";
	struct kb_report *r;

	(void)state;
	r = parse1(log);
	/* strlen (RIP) is skipped, the Call Trace supplies the frame */
	assert_string_equal(r->title,
			    "BUG: unable to handle kernel paging request in kernfs_name_hash");
	assert_string_equal(r->type, "MEMORY_SAFETY_BUG");
	kb_report_free(r);
}

static void test_gpf(void **state)
{
	static const char log[] =
		"[ 5.0] general protection fault, probably for non-canonical address 0xdffffc0000000001: 0000 [#1] PREEMPT SMP KASAN\n"
		"[ 5.1] KASAN: null-ptr-deref in range [0x0000000000000008-0x000000000000000f]\n"
		"[ 5.2] RIP: 0010:__se_sys_mremap+0x10/0x20\n"
		"[ 5.3] Call Trace:\n"
		"[ 5.4]  do_syscall_64+0x1/0x2\n"
		"[ 5.5]  entry_SYSCALL_64_after_hwframe+0x1/0x2\n"
		"[ 5.6] Kernel panic - not syncing: Fatal exception\n";
	struct kb_report *r;

	(void)state;
	r = parse1(log);
	/* syscall prefixes: shortest stripped form in the title, others as alts */
	assert_string_equal(r->title, "general protection fault in mremap");
	assert_string_equal(r->type, "DoS");
	assert_alt(r, "general protection fault in __se_sys_mremap");
	assert_alt(r, "general protection fault in sys_mremap");
	assert_alt(r, "bad-access in mremap");
	assert_true(r->panicked);
	kb_report_free(r);
}

static const char warning_log[] =
	"[ 6.0] ------------[ cut here ]------------\n"
	"[ 6.1] WARNING: CPU: 0 PID: 1 at net/core/dev.c:1234 dev_close+0x1/0x2\n"
	"[ 6.2] Modules linked in:\n"
	"[ 6.3] CPU: 0 PID: 1 Comm: syz-executor.3 Not tainted 6.1.0 #1\n"
	"[ 6.4] RIP: 0010:dev_close_many+0x33/0x400\n"
	"[ 6.5] Call Trace:\n"
	"[ 6.6]  dev_close+0x1/0x2\n"
	"[ 6.7]  bond_release+0x1/0x2\n"
	"[ 6.8]  do_syscall_64+0x1/0x2\n";

static void test_warning(void **state)
{
	struct kb_report *r;

	(void)state;
	r = parse1(warning_log);
	/* the header function is not used: RIP is */
	assert_string_equal(r->title, "WARNING in dev_close_many");
	assert_string_equal(r->type, "WARNING");
	assert_false(r->corrupted);
	assert_int_equal(r->n_alt, 0);
	/* the "cut here" line before the oops is a prefix line of the report */
	assert_memory_equal(r->report, "------------[ cut here ]", 24);
	kb_report_free(r);
}

static void test_lockdep(void **state)
{
	static const char log[] =
		"[ 7.0] ======================================================\n"
		"[ 7.1] WARNING: possible circular locking dependency detected\n"
		"[ 7.2] 6.1.0 Not tainted\n"
		"[ 7.3] ------------------------------------------------------\n"
		"[ 7.4] syz-executor.0/100 is trying to acquire lock:\n"
		"[ 7.5] ffff888000000000 (&sb->s_type->i_mutex_key#10){+.+.}-{3:3}, at: inode_lock include/linux/fs.h:758 [inline]\n"
		"[ 7.6] ffff888000000000 (&sb->s_type->i_mutex_key#10){+.+.}-{3:3}, at: ext4_xattr_set+0x1/0x2\n"
		"[ 7.7] \n"
		"[ 7.8] but task is already holding lock:\n"
		"[ 7.9] ffff888000000001 (jbd2_handle){++++}-{0:0}, at: start_this_handle+0x1/0x2\n"
		"[ 8.0] Call Trace:\n"
		"[ 8.1]  lock_acquire+0x1/0x2\n"
		"[ 8.2]  down_write+0x1/0x2\n"
		"[ 8.3]  ext4_xattr_set+0x1/0x2\n";
	struct kb_report *r;

	(void)state;
	r = parse1(log);
	assert_string_equal(r->title, "possible deadlock in ext4_xattr_set");
	assert_string_equal(r->type, "LOCKDEP");
	kb_report_free(r);
}

static void test_hung_task(void **state)
{
	static const char log[] =
		"[ 300.0] INFO: task syz-executor.2:1234 blocked for more than 143 seconds.\n"
		"[ 300.1]       Not tainted 6.1.0 #1\n"
		"[ 300.2] \"echo 0 > /proc/sys/kernel/hung_task_timeout_secs\" disables this message.\n"
		"[ 300.3] task:syz-executor.2 state:D stack:0 pid:1234 ppid:1 flags:0x4\n"
		"[ 300.4] Call Trace:\n"
		"[ 300.5]  __schedule+0x1/0x2\n"
		"[ 300.6]  schedule+0x1/0x2\n"
		"[ 300.7]  rwsem_down_write_slowpath+0x1/0x2\n"
		"[ 300.8]  __x64_sys_rmdir+0x1/0x2\n"
		"[ 300.9]  do_syscall_64+0x1/0x2\n";
	struct kb_report *r;

	(void)state;
	r = parse1(log);
	/* the hang extractor skips scheduling and lock waiting frames */
	assert_string_equal(r->title, "INFO: task hung in sys_rmdir");
	assert_string_equal(r->type, "HANG");
	assert_alt(r, "hang in sys_rmdir");
	assert_alt(r, "INFO: task hung in __x64_sys_rmdir");
	kb_report_free(r);
}

static void test_hung_task_rcu_bucket(void **state)
{
	static const char log[] =
		"[ 1.0] INFO: task kworker/0:1:12 blocked for more than 120 seconds.\n"
		"[ 1.1] Call Trace:\n"
		"[ 1.2]  schedule+0x1/0x2\n"
		"[ 1.3]  synchronize_rcu_expedited+0x1/0x2\n"
		"[ 1.4]  netdev_run_todo+0x1/0x2\n"
		"[ 1.5]  process_one_work+0x1/0x2\n";
	struct kb_report *r;

	(void)state;
	r = parse1(log);
	assert_string_equal(r->title, "INFO: task hung in synchronize_rcu");
	assert_alt(r, "INFO: task hung in synchronize_rcu_expedited");
	kb_report_free(r);
}

static void test_rcu_stall(void **state)
{
	static const char log[] = "[ 50.0] rcu: INFO: rcu_preempt self-detected stall on CPU\n"
				  "[ 50.1] rcu: \t0-....: (10500 ticks this GP)\n"
				  "[ 50.2] NMI backtrace for cpu 0\n"
				  "[ 50.3] Call Trace:\n"
				  "[ 50.4]  <IRQ>\n"
				  "[ 50.5]  rcu_dump_cpu_stacks+0x1/0x2\n"
				  "[ 50.6]  apic_timer_interrupt+0x1/0x2\n"
				  "[ 50.7]  </IRQ>\n"
				  "[ 50.8] RIP: 0010:hash_table_walk+0x10/0x20\n"
				  "[ 50.9]  hash_table_walk+0x10/0x20\n"
				  "[ 51.0]  foo_do_setsockopt+0x1/0x2\n"
				  "[ 51.1]  sock_common_setsockopt+0x1/0x2\n"
				  "[ 51.2]  __sys_setsockopt+0x1/0x2\n";
	struct kb_report *r;

	(void)state;
	r = parse1(log);
	/* stall extractor: the frame right above the first anchor */
	assert_string_equal(r->title, "INFO: rcu detected stall in foo_do_setsockopt");
	assert_string_equal(r->type, "HANG");
	assert_alt(r, "stall in foo_do_setsockopt");
	kb_report_free(r);
}

static void test_soft_lockup(void **state)
{
	static const char log[] =
		"[ 60.0] watchdog: BUG: soft lockup - CPU#1 stuck for 22s! [syz-executor.4:555]\n"
		"[ 60.1] Modules linked in:\n"
		"[ 60.2] RIP: 0010:spin_loop+0x1/0x2\n"
		"[ 60.3] Call Trace:\n"
		"[ 60.4]  bar_poll+0x1/0x2\n"
		"[ 60.5]  do_sys_poll+0x1/0x2\n"
		"[ 60.6]  do_syscall_64+0x1/0x2\n";
	struct kb_report *r;

	(void)state;
	r = parse1(log);
	assert_string_equal(r->title, "BUG: soft lockup in do_sys_poll");
	assert_string_equal(r->type, "HANG");
	assert_alt(r, "stall in do_sys_poll");
	kb_report_free(r);
}

static void test_kernel_bug(void **state)
{
	static const char log[] = "[ 9.0] ------------[ cut here ]------------\n"
				  "[ 9.1] kernel BUG at fs/buffer.c:3000!\n"
				  "[ 9.2] invalid opcode: 0000 [#1] PREEMPT SMP KASAN\n"
				  "[ 9.3] RIP: 0010:submit_bh_wbc+0x1/0x2\n"
				  "[ 9.4] Call Trace:\n"
				  "[ 9.5]  ll_rw_block+0x1/0x2\n"
				  "[ 9.6]  do_syscall_64+0x1/0x2\n"
				  "[ 9.7]  entry_SYSCALL_64+0x1/0x2\n";
	struct kb_report *r;

	(void)state;
	r = parse1(log);
	assert_string_equal(r->title, "kernel BUG in submit_bh_wbc");
	assert_string_equal(r->type, "BUG");
	/* "invalid opcode: 0000" is part of the same report: it is a marker
	 * line, so the end moves there, but it does not start a new report. */
	assert_int_equal(r->end, strstr(log, "invalid opcode") - log +
					 strlen("invalid opcode: 0000 [#1] PREEMPT SMP KASAN"));
	kb_report_free(r);
}

static void test_panic(void **state)
{
	static const char log[] =
		"[ 1.0] Kernel panic - not syncing: Attempted to kill init! exitcode=0x0000000b\n"
		"[ 1.1] CPU: 0 PID: 1 Comm: init Not tainted 6.1.0 #1\n"
		"[ 1.2] Call Trace:\n"
		"[ 1.3]  panic+0x1/0x2\n"
		"[ 1.4]  do_exit+0x1/0x2\n"
		"[ 1.5]  do_group_exit+0x1/0x2\n";
	struct kb_report *r;

	(void)state;
	r = parse1(log);
	assert_string_equal(r->title, "kernel panic: Attempted to kill init!");
	assert_string_equal(r->type, "DoS");
	assert_true(r->panicked);
	kb_report_free(r);
}

static void test_boot_time_panic(void **state)
{
	static const char log[] =
		"[    0.000000] Linux version 6.1.0 (gcc 12)\n"
		"[    1.234567] VFS: Cannot open root device \"sda1\" or unknown-block(0,0): error -6\n"
		"[    1.234600] Please append a correct \"root=\" boot option\n"
		"[    1.234700] Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)\n"
		"[    1.234800] CPU: 0 PID: 1 Comm: swapper/0 Not tainted 6.1.0 #1\n"
		"[    1.234900] Call Trace:\n"
		"[    1.235000]  dump_stack_lvl+0x1/0x2\n"
		"[    1.235100]  panic+0x1/0x2\n"
		"[    1.235200]  mount_block_root+0x1/0x2\n"
		"[    1.235300]  prepare_namespace+0x1/0x2\n";
	struct kb_report *r;

	(void)state;
	r = parse1(log);
	assert_string_equal(r->title,
			    "kernel panic: VFS: Unable to mount root fs on unknown-block(NUM,NUM)");
	assert_string_equal(r->type, "DoS");
	assert_true(r->panicked);
	assert_false(r->corrupted);
	assert_int_equal(r->start, strstr(log, "[    1.234700]") - log);
	kb_report_free(r);
}

static void *parse_thread(void *arg)
{
	struct kb_report *r = NULL;
	char *title = NULL;

	for (int i = 0; i < 50; i++) {
		if (kb_report_parse(arg, strlen(arg), 0, &r) != 1)
			return NULL;
		free(title);
		title = kb_xstrdup(r->title);
		kb_report_free(r);
	}
	return title;
}

static void test_threads(void **state)
{
	pthread_t t[4];

	(void)state;
	/* the regex tables are compiled lazily, once, by whichever thread comes first */
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, parse_thread, (void *)warning_log), 0);
	for (int i = 0; i < 4; i++) {
		void *title;

		assert_int_equal(pthread_join(t[i], &title), 0);
		assert_non_null(title);
		assert_string_equal(title, "WARNING in dev_close_many");
		free(title);
	}
}

static void test_panic_tail_cut(void **state)
{
	struct kb_buf log = KB_BUF_INIT;
	struct kb_report *r;

	(void)state;
	kb_buf_addstr(&log, "[ 1.0] BUG: KASAN: slab-out-of-bounds in foo_write+0x1/0x2\n"
			    "[ 1.0] Write of size 4 at addr ffff888000000000 by task a/1\n"
			    "[ 1.0] Call Trace:\n");
	for (int i = 0; i < 30; i++)
		kb_buf_addf(&log, "[ 1.0]  frame_%d+0x1/0x2\n", i);
	kb_buf_addstr(&log, "[ 1.0] Disabling lock debugging due to kernel taint\n"
			    "[ 1.0] Kernel panic - not syncing: panic_on_warn set ...\n"
			    "[ 1.0] duplicate tail line\n");
	r = parse_n(log.buf, log.len);
	/* the function named in the KASAN header is the first candidate */
	assert_string_equal(r->title, "KASAN: slab-out-of-bounds Write in foo_write");
	assert_string_equal(r->type, "KASAN-WRITE");
	/* after enough lines the panic line and everything after it is cut */
	assert_null(memmem(r->report, r->report_len, "Kernel panic", 12));
	assert_null(memmem(r->report, r->report_len, "duplicate tail", 14));
	assert_null(memmem(r->report, r->report_len, "Disabling lock", 14));
	assert_memory_equal(r->report + r->report_len - 18, " frame_29+0x1/0x2\n", 18);
	kb_report_free(r);
	kb_buf_release(&log);
}

static void test_memory_leak(void **state)
{
	static const char log[] =
		"[ 20.0] BUG: memory leak\n"
		"[ 20.1] unreferenced object 0xffff888012345600 (size 64):\n"
		"[ 20.2]   comm \"syz-executor.0\", pid 3000, jiffies 4294967296 (age 12.3s)\n"
		"[ 20.3]   backtrace:\n"
		"[ 20.4]     [<ffffffff81234567>] kmemleak_alloc+0x1/0x2\n"
		"[ 20.5]     [<ffffffff81234568>] kmalloc_trace+0x1/0x2\n"
		"[ 20.6]     [<ffffffff81234569>] nf_tables_newtable+0x1/0x2\n"
		"[ 20.7]     [<ffffffff8123456a>] nfnetlink_rcv_batch+0x1/0x2\n"
		"[ 20.8]     [<ffffffff8123456b>] do_syscall_64+0x1/0x2\n";
	struct kb_report *r;

	(void)state;
	r = parse1(log);
	assert_string_equal(r->title, "memory leak in nf_tables_newtable");
	assert_string_equal(r->type, "LEAK");
	assert_false(r->corrupted);
	kb_report_free(r);
}

static void test_boot_reboot(void **state)
{
	static const char log[] = "SeaBIOS (version 1.16)\n"
				  "Booting from ROM...\n"
				  "Probing EDD (edd=off to disable)... ok\n"
				  "Decompressing Linux... Parsing ELF... done.\n"
				  "Booting the kernel.\n"
				  "[    0.000000] Linux version 6.1.0\n";
	struct kb_report *r;

	(void)state;
	r = parse1(log);
	/* "Decompressing Linux" suppresses nothing here: it is another line */
	assert_string_equal(r->title, "unexpected kernel reboot");
	assert_string_equal(r->type, "REBOOT");
	assert_false(r->corrupted);
	kb_report_free(r);
}

static void test_no_crash(void **state)
{
	static const char log[] =
		"[ 1.0] ODEBUG: object is on stack, but not annotated\n"
		"[ 1.1] WARNING: The mand mount option has been deprecated\n"
		"[ 1.2] INFO: lockdep is turned off.\n"
		"[ 1.3] EXT4-fs (sda1): WARNING: mounting fs with errors\n"
		"[ 1.4] traps: syz-executor[123] general protection fault ip:4 sp:7 error:0 in syz[400000+1000]\n"
		"[ 1.5] random: crng init done\n"
		"2024/01/01 executing program 0:\n"
		"r0 = socket$inet(0x2, 0x1, 0x0)\n";
	struct kb_report *r = (struct kb_report *)1;

	(void)state;
	assert_false(kb_report_contains_crash(log, strlen(log)));
	assert_int_equal(kb_report_parse(log, strlen(log), 0, &r), 0);
	assert_null(r);
	assert_false(kb_report_contains_crash("", 0));
	assert_int_equal(kb_report_parse("", 0, 0, &r), 0);
}

/* The 29 marker headers of the spec (section 3). */
static const char *const headers[] = {
	"BUG:",
	"WARNING:",
	"INFO:",
	"Unable to handle kernel",
	"general protection fault",
	"stack segment: ",
	"Kernel panic",
	"PANIC: double fault",
	"rust_kernel: panicked",
	"kernel BUG",
	"Kernel BUG",
	"BUG kmalloc-",
	"divide error:",
	"divide_error:",
	"invalid opcode:",
	"int3:",
	"UBSAN:",
	"Booting the kernel.",
	"unregister_netdevice: waiting for",
	"VFS: Close: file count is 0",
	"VFS: Busy inodes after unmount",
	"Internal error:",
	"Unhandled fault:",
	"Alignment trap:",
	"trusty: panic",
	"fatal error:",
	"SYZFAIL:",
	"SYZFATAL:",
	"panic:",
};

static void test_marker_scan_alignment(void **state)
{
	struct kb_buf b = KB_BUF_INIT;

	(void)state;
	/*
	 * The scan probes every second byte: a header must be found at any
	 * alignment, also as the very last bytes of the input (no newline),
	 * after a line the suppressions reject, and when parsing from an odd
	 * offset.
	 */
	for (size_t h = 0; h < KB_ARRAY_SIZE(headers); h++) {
		for (size_t pad = 0; pad < 4; pad++) {
			struct kb_report *r = NULL;
			size_t hstart;

			kb_buf_reset(&b);
			kb_buf_addstr(&b, "[ 1.0] ODEBUG: suppressed\nxyz");
			for (size_t i = 0; i < pad; i++)
				kb_buf_addch(&b, ' ');
			hstart = b.len;
			kb_buf_addstr(&b, headers[h]);
			assert_true(kb_report_contains_crash(b.buf, b.len));
			assert_false(kb_report_contains_crash(b.buf, b.len - 1));
			for (size_t from = 0; from < 3; from++) {
				assert_int_equal(kb_report_parse(b.buf, b.len, from, &r), 1);
				assert_int_equal(r->start, strlen("[ 1.0] ODEBUG: suppressed\n"));
				assert_int_equal(r->end, b.len);
				kb_report_free(r);
			}
			/* starting inside the header: not found any more */
			assert_int_equal(kb_report_parse(b.buf, b.len, hstart + 1, &r), 0);
		}
	}
	kb_buf_release(&b);
}

static void test_replay_cut(void **state)
{
	static const char log[] = "[ 1.0] BUG: KASAN: use-after-fr\n"
				  "[ 1.0] ** replaying previous printk message **\n"
				  "[ 1.0] WARNING: CPU: 0 PID: 1 at a.c:1 f+0x1/0x2\n"
				  "[ 1.1] RIP: 0010:real_func+0x1/0x2\n"
				  "[ 1.2] Call Trace:\n"
				  "[ 1.3]  caller_a+0x1/0x2\n"
				  "[ 1.4]  caller_b+0x1/0x2\n";
	struct kb_report *r;

	(void)state;
	r = parse1(log);
	/* the cut line is not an oops start; the re-printed one is */
	assert_string_equal(r->title, "WARNING in real_func");
	kb_report_free(r);
}

static void test_caller_id_interleaving(void **state)
{
	static const char log[] =
		"[   12.000000][ T5000] ------------[ cut here ]------------\n"
		"[   12.000001][ T5000] WARNING: CPU: 1 PID: 5000 at mm/x.c:1 f+0x1/0x2\n"
		"[   12.000002][ T6000] audit: type=1400 audit(1.2:3): avc: denied\n"
		"[   12.000003][ T5000] RIP: 0010:mine_func+0x1/0x2\n"
		"[   12.000004][ T6000]  other_task_func+0x1/0x2\n"
		"[   12.000005][ T5000] Call Trace:\n"
		"[   12.000006][ T5000]  caller_a+0x1/0x2\n"
		"[   12.000007][ T6000] BUG: something else entirely\n"
		"[   12.000008][ T5000]  caller_b+0x1/0x2\n"
		"[   12.000009][ T5000]  caller_c+0x1/0x2\n";
	struct kb_report *r;

	(void)state;
	r = parse1(log);
	assert_string_equal(r->title, "WARNING in mine_func");
	/* only lines of the oops task are in the report */
	assert_null(memmem(r->report, r->report_len, "T6000", 5));
	assert_null(memmem(r->report, r->report_len, "other_task_func", 15));
	assert_null(memmem(r->report, r->report_len, "audit", 5));
	assert_non_null(memmem(r->report, r->report_len, " caller_c+0x1/0x2\n", 18));
	/* the other task's BUG line is the last marker line: the end goes there */
	assert_int_equal(r->end, strstr(log, "entirely\n") - log + 8);
	kb_report_free(r);
}

static void test_nul_cr_long_lines(void **state)
{
	struct kb_buf log = KB_BUF_INIT;
	struct kb_report *r;

	(void)state;
	kb_buf_addstr(&log, "binary junk: ");
	kb_buf_add(&log, "\0\xff\xfe\x80\0", 5);
	kb_buf_addstr(&log, "\r\n");
	for (int i = 0; i < 200000; i++)
		kb_buf_addch(&log, 'a' + i % 26);
	kb_buf_addstr(&log, "\n[ 1.0] BUG: KASAN: use-after-free in victim_fn+0x1/0x2\r\n"
			    "[ 1.1] Read of size 1 at addr ffff888000000000 by task x/1\r\n"
			    "[ 1.2] Call Trace:\r\n"
			    "[ 1.3]  victim_fn+0x1/0x2\r\n"
			    "[ 1.4]  caller_fn+0x1/0x2\r\n"
			    "[ 1.5]  more_fn+0x1/0x2\r\n");
	kb_buf_add(&log, "[ 1.6] tail \0 with nul\n", 23);
	r = parse_n(log.buf, log.len);
	assert_string_equal(r->title, "KASAN: use-after-free Read in victim_fn");
	assert_null(memchr(r->report, '\r', r->report_len));
	assert_false(r->corrupted);
	kb_report_free(r);
	kb_buf_release(&log);
}

static const char two_crashes[] = "[ 1.0] BUG: KASAN: use-after-free in first_fn+0x1/0x2\n"
				  "[ 1.1] Read of size 1 at addr ffff888000000000 by task x/1\n"
				  "[ 1.2] Call Trace:\n"
				  "[ 1.3]  first_fn+0x1/0x2\n"
				  "[ 1.4]  a_fn+0x1/0x2\n"
				  "[ 1.5]  b_fn+0x1/0x2\n"
				  "[ 2.0] ------------[ cut here ]------------\n"
				  "[ 2.1] WARNING: CPU: 0 PID: 1 at a.c:1 g+0x1/0x2\n"
				  "[ 2.2] RIP: 0010:second_fn+0x1/0x2\n"
				  "[ 2.3] Call Trace:\n"
				  "[ 2.4]  c_fn+0x1/0x2\n"
				  "[ 2.5]  d_fn+0x1/0x2\n";

static void test_multiple_crashes(void **state)
{
	struct kb_report **v = NULL, *r;
	size_t n = 0;

	(void)state;
	assert_int_equal(kb_report_parse_all(two_crashes, strlen(two_crashes), &v, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(v[0]->title, "KASAN: use-after-free Read in first_fn");
	assert_string_equal(v[1]->title, "WARNING in second_fn");
	assert_true(v[0]->start < v[1]->start);
	/* the first report's title window stops at the second report... */
	assert_false(v[0]->corrupted);
	/* ...but its end and its text run to the end of the output */
	assert_int_equal(v[0]->end,
			 v[1]->start + strlen("[ 2.1] WARNING: CPU: 0 PID: 1 at a.c:1 g+0x1/0x2"));
	assert_non_null(memmem(v[0]->report, v[0]->report_len, "d_fn", 4));
	kb_report_free_all(v, n);

	/* parse from the first report's end finds the second one */
	assert_int_equal(kb_report_parse(two_crashes, strlen(two_crashes),
					 (size_t)(strstr(two_crashes, "[ 1.5]") - two_crashes), &r),
			 1);
	assert_string_equal(r->title, "WARNING in second_fn");
	assert_int_equal(r->start, strstr(two_crashes, "[ 2.1]") - two_crashes);
	kb_report_free(r);
}

static void test_parse_from_offset(void **state)
{
	struct kb_report *r;
	size_t line = (size_t)(strstr(warning_log, "[ 6.1]") - warning_log);
	size_t mid = (size_t)(strstr(warning_log, "WARNING") - warning_log);

	(void)state;
	assert_int_equal(kb_report_parse(warning_log, strlen(warning_log), line, &r), 1);
	assert_int_equal(r->start, line);
	assert_string_equal(r->title, "WARNING in dev_close_many");
	/* parsing from the start offset: no prefix line ("cut here") any more */
	assert_memory_equal(r->report, "WARNING: CPU: 0", 15);
	kb_report_free(r);
	/*
	 * Starting mid-line, the text from pos is the first line; it has no
	 * timestamp, so it is a raw-context line and the timestamped lines
	 * that follow (RIP, Call Trace) are not part of its report.
	 */
	assert_int_equal(kb_report_parse(warning_log, strlen(warning_log), mid, &r), 1);
	assert_int_equal(r->start, mid);
	assert_string_equal(r->title, "WARNING in corrupted");
	assert_true(r->corrupted);
	kb_report_free(r);
	/* past the end, or after the last marker line: nothing */
	assert_int_equal(kb_report_parse(warning_log, strlen(warning_log), strlen(warning_log), &r),
			 0);
	line = (size_t)(strstr(warning_log, "[ 6.2]") - warning_log);
	assert_int_equal(kb_report_parse(warning_log, strlen(warning_log), line, &r), 0);
}

static void test_suppressed_and_corrupted(void **state)
{
	static const char oom[] =
		"[ 1.0] Out of memory: Kill process 123 (syz-executor) score 1\n"
		"[ 1.1] Kernel panic - not syncing: Out of memory and no killable processes...\n"
		"[ 1.2] Call Trace:\n"
		"[ 1.3]  panic+0x1/0x2\n"
		"[ 1.4]  out_of_memory+0x1/0x2\n"
		"[ 1.5]  pagefault_out_of_memory+0x1/0x2\n";
	static const char truncated[] =
		"[ 1.0] BUG: unable to handle kernel NULL pointer dereference at 0000000000000008\n"
		"[ 1.1] RIP: 0010:(null)\n";
	struct kb_report *r;

	(void)state;
	r = parse1(oom);
	assert_true(r->suppressed);
	assert_string_equal(r->title, "kernel panic: Out of memory and no killable processes...");
	kb_report_free(r);
	r = parse1(truncated);
	/* no frame anywhere: "in corrupted" and the corrupted flag */
	assert_string_equal(r->title,
			    "BUG: unable to handle kernel NULL pointer dereference in corrupted");
	assert_string_equal(r->frame, "corrupted");
	assert_true(r->corrupted);
	assert_string_equal(r->type, "NULL-POINTER-DEREFERENCE");
	kb_report_free(r);
}

static void test_title_type(void **state)
{
	(void)state;
	assert_string_equal(kb_report_title_type("KASAN: slab-use-after-free Write in f"),
			    "KASAN-USE-AFTER-FREE-WRITE");
	assert_string_equal(kb_report_title_type("WARNING: suspicious RCU usage in f"), "LOCKDEP");
	assert_string_equal(kb_report_title_type("WARNING: something new"), "WARNING");
	assert_string_equal(kb_report_title_type("BUG: stack guard page was hit in f"), "");
	assert_string_equal(kb_report_title_type("KMSAN: something"), "KMSAN-UNKNOWN");
	assert_string_equal(kb_report_title_type("lost connection to test machine"), "");
}

static void test_normalization(void **state)
{
	static const char log[] =
		"[ 1.0] panic: executor 3: failed: event already set (errno 17) at 0xffffffff81234567 syz-executor.5:12 10.0.0.1\n";
	struct kb_report *r;

	(void)state;
	r = parse1(log);
	assert_string_equal(
		r->title,
		"panic: executor NUM: failed: event already set (errno NUM) at ADDR syz-executor IP");
	assert_string_equal(r->type, "DoS");
	kb_report_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		/* first, so that the lazy one-time init races between threads */
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_kasan),
		cmocka_unit_test(test_kmsan),
		cmocka_unit_test(test_kcsan),
		cmocka_unit_test(test_kfence),
		cmocka_unit_test(test_ubsan),
		cmocka_unit_test(test_paging_request),
		cmocka_unit_test(test_gpf),
		cmocka_unit_test(test_warning),
		cmocka_unit_test(test_lockdep),
		cmocka_unit_test(test_hung_task),
		cmocka_unit_test(test_hung_task_rcu_bucket),
		cmocka_unit_test(test_rcu_stall),
		cmocka_unit_test(test_soft_lockup),
		cmocka_unit_test(test_kernel_bug),
		cmocka_unit_test(test_panic),
		cmocka_unit_test(test_boot_time_panic),
		cmocka_unit_test(test_panic_tail_cut),
		cmocka_unit_test(test_memory_leak),
		cmocka_unit_test(test_boot_reboot),
		cmocka_unit_test(test_no_crash),
		cmocka_unit_test(test_marker_scan_alignment),
		cmocka_unit_test(test_replay_cut),
		cmocka_unit_test(test_caller_id_interleaving),
		cmocka_unit_test(test_nul_cr_long_lines),
		cmocka_unit_test(test_multiple_crashes),
		cmocka_unit_test(test_parse_from_offset),
		cmocka_unit_test(test_suppressed_and_corrupted),
		cmocka_unit_test(test_title_type),
		cmocka_unit_test(test_normalization),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
