// SPDX-License-Identifier: Apache-2.0
/*
 * Title formation (spec section 6) and guilty-frame extraction (section 8):
 * per-marker format tables, stack specs, the global skip list, syscall-prefix
 * canonicalization and the stall/hang extractors.
 */
#include <string.h>
#include "report/report-int.h"
#include "util/buf.h"

#define PARSE_STACK ((struct kb_re *)1)
#define MAX_PARTS   6

enum extractor { EXTRACT_FIRST, EXTRACT_STALL, EXTRACT_HANG };

struct stack_spec {
	struct kb_re *parts[MAX_PARTS]; /* NULL-terminated; PARSE_STACK = "parse stack trace" */
	struct kb_re *parts2[MAX_PARTS]; /* fallback sequence */
	const char *skip; /* extra skip alternatives, '|'-separated */
	enum extractor extractor;
	struct kb_re skip_re; /* global + extra skip list, built at init */
};

struct format {
	struct kb_re *title;
	struct kb_re *report;
	const char *fmt; /* %1..%9 are arguments */
	const char *alt[2];
	struct stack_spec *stack;
	bool nsc;
	bool corrupted;
};

struct marker_formats {
	const char *header;
	struct format *formats; /* terminated by .title == NULL */
};

/* Line regexes (8.2). */
#define RIP_SRC                                                                                       \
	"(?:IP|NIP|pc |PC is at):? (?:(?:[0-9]+:)?(?:{{PC}} +){0,2}{{FUNC}}|(?:[0-9]+:)?0x[0-9a-f]+|" \
	"(?:[0-9]+:)?{{PC}} +\\[< *\\(null\\)>\\] +\\(null\\)|[0-9]+: +\\(null\\))"
static struct kb_re rip_re = { .src = RIP_SRC };
static struct kb_re warn_rip_re = { .src = RIP_SRC "|--- interrupt: [0-9]+ at {{FUNC}}" };
static struct kb_re calltrace_re = { .src = "(?:Call (?:T|t)race:)|(?:Backtrace:)" };
static struct kb_re frame_re = { .src = "^ *(?:{{PC}} ){0,2}{{FUNC}}" };
static struct kb_re arm_frame_re = {
	.src = "^ *{{PC}} \\(([a-zA-Z0-9_.]+)\\) from {{PC}} \\({{FUNC}}"
};
static struct kb_re corrupted_line_re = {
	.src = "^( \\[\\<?(?:0x)?[0-9a-f]+\\>?\\])? should_fail(slab)?(\\.[a-z0-9.]+)?\\+0x"
};
static struct kb_re stack_start_res[] = {
	{ .src = "Call (?:T|t)race" },
	{ .src = "Allocated:" },
	{ .src = "Allocated by task [0-9]+:" },
	{ .src = "Freed:" },
	{ .src = "Freed by task [0-9]+:" },
	{ .src = "[^k] backtrace(?: \\(crc [[:xdigit:]]*\\))?:" },
	{ .src = "Backtrace:" },
	{ .src = "Uninit was stored to memory at" },
	{ .src = "status: [0-9a-f]{16} badaddr: [0-9a-f]{16} cause: [0-9a-f]{16}" },
};
#define RISCV_START 8

static const char global_skip[] =
	"__sanitizer|__asan|kasan|hwasan|__msan|kmsan|kcsan_setup_watchpoint|check_memory_region|"
	"check_heap_object|check_object|read_word_at_a_time|(read|write)_once_.*nocheck|"
	"print_address_description|panic|invalid_op|report_bug|fixup_bug|print_report|"
	"print_usage_bug|do_error|invalid_op|_trap$|do_trap|show_stack|dump_stack|walk_stack|"
	"dump_backtrace|warn_slowpath|warn_alloc|warn_bogus|__warn|alloc_page|k?v?(?:m|z|c)alloc|"
	"krealloc|kmem_cache|allocate_slab|__alloc_frozen_pages_noprof|folio_(?:alloc|unlock)|"
	"filemap_alloc_folio|__filemap_get_folio|find_or_create_page|do_read_cache_folio|"
	"read_cache_page|pagecache_get_page|grab_cache_page_write_begin|slab_|debug_object|"
	"timer_is_static_object|work_is_static_object|__might_fault|print_unlock|imbalance_bug|"
	"lockdep|bh_enable|bh_disable|perf_trace|lock_acquire|lock_release|lock_class|mark_lock|"
	"(reacquire|mark)_held_locks|raw_spin_rq|spin_lock|spin_trylock|spin_unlock|read_lock|"
	"read_trylock|write_lock|write_trylock|read_unlock|write_unlock|^down$|down_read|"
	"down_write|down_read_trylock|down_write_trylock|down_trylock|up_read|up_write|^mutex_|"
	"^__mutex_|^rt_mutex_|owner_on_cpu|osq_lock|osq_unlock|"
	"atomic(64)?_(dec|inc|read|set|or|xor|and|add|sub|fetch|xchg|cmpxchg|try)|"
	"(set|clear|change|test)_bit|__wake_up|^refcount_|^kref_|ref_tracker|seqprop_assert|"
	"memcpy|memcmp|memset|memchr|memmove|memdup|strcmp|strncmp|strcpy|strlcpy|strncpy|"
	"strscpy|strlen|strstr|strnstr|strnlen|strchr|strdup|strndup|copy_to_user|"
	"copy_from_user|copy_to_iter|copy_from_iter|copy_page_to_iter|copy_page_from_iter|"
	"copy_folio_to_iter|^copyin$|^copyout$|put_user|get_user|might_fault|might_sleep|"
	"list_add|list_del|list_replace|list_move|list_splice|^rb_|^__rb_|_indirect_thunk_|"
	"string|pointer|snprintf|scnprintf|kasprintf|kvasprintf|printk|va_format|dev_info|"
	"dev_notice|dev_warn|dev_err|dev_alert|dev_crit|dev_emerg|program_check_exception|"
	"program_check_common|del_timer|flush_work|__cancel_work_timer|cancel_work_sync|"
	"try_to_grab_pending|flush_workqueue|drain_workqueue|destroy_workqueue|queue_work|"
	"finish_wait|kthread_stop|kobject_|add_uevent_var|get_device_parent|device_add|"
	"device_del|device_unregister|device_destroy|device_release|devres_release_all|"
	"hwrng_unregister|i2c_del_adapter|__unregister_client|device_for_each_child|"
	"rollback_registered|unregister_netdev|sysfs_remove|device_remove_file|"
	"tty_unregister_device|dummy_urb_enqueue|usb_kill_urb|usb_kill_anchored_urbs|"
	"usb_control_msg|usb_hcd_submit_urb|usb_submit_urb|^complete$|wait_for_completion|"
	"^kv?free$|kfree_skb|readb$|readw$|readl$|readq$|writeb$|writew$|writel$|writeq$|"
	"logic_in|logic_out|^crc\\d+|crc_itu_t|__might_resched|assertfail|^iput$|^iput_final$|"
	"^ihold$|hex_dump_to_buffer|print_hex_dump|^klist_|(trace|lockdep)_(hard|soft)irq|"
	"^(un)?lock_page|stack_trace_consume_entry|arch_stack_walk|stack_trace_save|"
	"insert_work|__queue_delayed_work|queue_delayed_work_on|ida_free|"
	"do_(kernel|translation)_fault|do_mem_abort|el1_abort|el1h_64_sync(?:_handler)?|"
	"print_tainted|xas_(?:start|load|find)|find_lock_entries|truncate_inode_pages_range|"
	"__phys_addr|__fortify_report|cleanup_srcu_struct|rhashtable_lookup|"
	"extract_(user|iter)_to_sg|drop_nlink|^get_taint$|^put_device$|lock_timer_base|"
	"__timer_delete_sync|sk_stop_timer_sync|__mod_timer|fast_dput|dput|mark_buffer_dirty";

static struct kb_re stall_anchor_re = {
	.src = "process_one_work|do_syscall_|do_fast_syscall_|sysenter_dispatch|tracesys_phase2|"
	       "el0_svc_handler|invoke_syscall|ret_fast_syscall|netif_receive_skb|do_softirq|"
	       "call_timer_fn|_run_timers|run_timer_softirq|hrtimer_run|run_ksoftirqd|"
	       "smpboot_thread_fn|^kthread$|start_secondary|cpu_startup_entry|ret_from_fork|"
	       "vfs_write|vfs_read|vfs_iter_read|vfs_iter_write|do_iter_read|do_iter_write|"
	       "call_read_iter|call_write_iter|new_sync_read|new_sync_write|vfs_ioctl|ksys_ioctl|"
	       "compat_ioctl|compat_sys_ioctl|blkdev_driver_ioctl|blkdev_ioctl|"
	       "do_iter_readv_writev|^call_mmap|mmap_region|do_mmap|do_dentry_open|vfs_open|"
	       "^sock_sendmsg|^sock_recvmsg|^sock_release|^__sock_release|^setsockopt$|"
	       "kernel_setsockopt|sock_common_setsockopt|^listen$|kernel_listen|"
	       "sk_common_release|^sock_mmap|^accept$|kernel_accept|^sock_do_ioctl|^sock_ioctl|"
	       "^compat_sock_ioctl|^nfnetlink_rcv_msg|^rtnetlink_rcv_msg|^netlink_dump|"
	       "^(sys_)?(socketpair|connect|ioctl)|__do_fault|do_page_fault|^page_fault$|__fput|"
	       "task_work_run|exit_to_usermode|smp_call_function|tasklet_action|tasklet_hi_action"
};
static struct kb_re hang_skip_re = {
	.src = "sched|_lock|_slowlock|down|rwsem|completion|kthread|wait|synchronize|"
	       "context_switch|__switch_to|cancel_delayed_work|rcu_barrier"
};

static const char *const syscall_prefixes[] = {
	"SYSC_",     "SyS_",	  "sys_",	  "__x64_",	 "__ia32_",
	"__arm64_",  "____sys_",  "___sys_",	  "__sys_",	 "__se_",
	"__se_sys_", "__do_sys_", "compat_SYSC_", "compat_SyS_", "ksys_",
};

/* Stack specs. */
#define STACK(...) (&(struct stack_spec){ __VA_ARGS__ })
#define P(...)                    \
	{                         \
		__VA_ARGS__, NULL \
	}
#define PS	      PARSE_STACK
#define S_RIP_CT(...) STACK(.parts = P(&rip_re, &calltrace_re, PS), __VA_ARGS__)
#define S_CT(...)     STACK(.parts = P(&calltrace_re, PS), __VA_ARGS__)
#define S_WARN(...)   STACK(.parts = P(&warn_rip_re, PS), .parts2 = P(&calltrace_re, PS), __VA_ARGS__)

#define LOCKAT "at: (?:{{PC}} +)?{{FUNC}}"

static struct format bug_formats[] = {
	{ RE("BUG: KASAN:"),
	  RE("BUG: KASAN: ([a-z\\-]+) in {{FUNC}}(?:.*\\n)+?.*(Read|Write) (?:of size|at addr) (?:[0-9a-f]+)"),
	  "KASAN: %1 %3 in %4",
	  { "bad-access in %4" },
	  STACK(.parts = P(RE("BUG: KASAN: (?:[a-z\\-]+) in {{FUNC}}"), &calltrace_re, PS),
		.skip = "kernel_fault|tag_check|mem_abort|^el1_|^el1h_") },
	{ RE("BUG: KASAN:"),
	  RE("BUG: KASAN: (?:double-free or invalid-free|double-free|invalid-free) in {{FUNC}}"),
	  "KASAN: invalid-free in %2",
	  { "invalid-free in %2" },
	  STACK(.parts = P(
			RE("BUG: KASAN: (?:double-free or invalid-free|double-free|invalid-free) in {{FUNC}}"),
			&calltrace_re, PS),
		.skip = "slab_|kfree|vunmap|vfree") },
	{ RE("BUG: KASAN: ([a-z\\-]+) on address(?:.*\\n)+?.*(Read|Write) of size ([0-9]+)"), NULL,
	  "KASAN: %1 %2" },
	{ RE("BUG: KASAN: (.*)"), NULL, "KASAN: %1", .corrupted = true },
	{ RE("BUG: KMSAN: kernel-usb-infoleak"),
	  RE("BUG: KMSAN: kernel-usb-infoleak in {{FUNC}}"),
	  "KMSAN: kernel-usb-infoleak in %2",
	  { "KMSAN origin in %3" },
	  STACK(.parts = P(PS, RE("(?:Local variable .* created at:|Uninit was created at:)"), PS),
		.skip = "alloc_skb|usb_submit_urb|usb_start_wait_urb|usb_bulk_msg|usb_interrupt_msg|usb_control_msg"),
	  .nsc = true },
	{ RE("BUG: KMSAN:"),
	  RE("BUG: KMSAN: ([a-z\\-]+) in {{FUNC}}"),
	  "KMSAN: %1 in %3",
	  { "bad-access in %3" },
	  STACK(.parts = P(PS, RE("(?:Local variable .* created at:|Uninit was created at:)"), PS),
		.skip = "alloc_skb|netlink_ack|netlink_rcv_skb|_encrypt$|^(?:crypto|cipher|drbg|rng)_"),
	  .nsc = true },
	{ RE("BUG: KCSAN:"), RE("BUG: KCSAN: (.*)"), "KCSAN: %1", .nsc = true },
	{ RE("BUG: KFENCE: (use-after-free|out-of-bounds) (read|write) in {{FUNC}}"),
	  NULL,
	  "KFENCE: %1 %2 in %4",
	  { "bad-access in %4" },
	  STACK(.parts = P(RE("BUG: KFENCE: (?:[a-z\\- ]+) in {{FUNC}}"), PS)) },
	{ RE("BUG: KFENCE: invalid free in {{FUNC}}"),
	  NULL,
	  "KFENCE: invalid free in %2",
	  { "invalid-free in %2" },
	  STACK(.parts = P(RE("BUG: KFENCE: (?:[a-z\\- ]+) in {{FUNC}}"), PS)),
	  .nsc = true },
	{ RE("BUG: KFENCE: invalid (read|write) in {{FUNC}}"),
	  NULL,
	  "KFENCE: invalid %1 in %3",
	  { "bad-access in %3" },
	  STACK(.parts = P(RE("BUG: KFENCE: (?:[a-z\\- ]+) in {{FUNC}}"), PS)) },
	{ RE("BUG: KFENCE: memory corruption in {{FUNC}}"),
	  NULL,
	  "KFENCE: memory corruption in %2",
	  {},
	  STACK(.parts = P(RE("BUG: KFENCE: (?:[a-z\\- ]+) in {{FUNC}}"), PS)),
	  .nsc = true },
	{ RE("BUG: (?:unable to handle kernel paging request|unable to handle page fault for address|Unable to handle kernel data access)"),
	  NULL,
	  "BUG: unable to handle kernel paging request in %1",
	  { "bad-access in %1" },
	  S_RIP_CT() },
	{ RE("BUG: (?:unable to handle kernel NULL pointer dereference|kernel NULL pointer dereference|Kernel NULL pointer dereference)"),
	  NULL,
	  "BUG: unable to handle kernel NULL pointer dereference in %1",
	  { "bad-access in %1" },
	  S_RIP_CT() },
	{ RE("BUG: (?:unable to handle kernel|Unable to handle kernel)"), NULL,
	  "BUG: unable to handle kernel", .corrupted = true },
	{ RE("BUG: (spinlock|rwlock) (lockup suspected|already unlocked|recursion|cpu recursion|bad magic|wrong owner|wrong CPU|trylock failure on UP)"),
	  NULL,
	  "BUG: %1 %2 in %3",
	  {},
	  S_CT(.skip = "spin_|_lock|_unlock") },
	{ RE("BUG: soft lockup"),
	  NULL,
	  "BUG: soft lockup in %1",
	  { "stall in %1" },
	  S_RIP_CT(.extractor = EXTRACT_STALL) },
	{ RE("BUG: .*still has locks held!"),
	  RE("BUG: .*still has locks held!(?:.*\\n)+?.*{{PC}} +{{FUNC}}"),
	  "BUG: still has locks held in %1" },
	{ RE("BUG: scheduling while atomic"),
	  NULL,
	  "BUG: scheduling while atomic in %1",
	  {},
	  S_CT(.skip = "schedule") },
	{ RE("BUG: lock held when returning to user space"),
	  RE("BUG: lock held when returning to user space(?:.*\\n)+?.*leaving the kernel with locks still held(?:.*\\n)+?.*" LOCKAT),
	  "BUG: lock held when returning to user space in %1", .nsc = true },
	{ RE("BUG: bad unlock balance detected!"),
	  NULL,
	  "BUG: bad unlock balance in %1",
	  {},
	  STACK(.parts = P(RE("{{PC}} +{{FUNC}}"), &calltrace_re, PS)) },
	{ RE("BUG: held lock freed!"), RE("BUG: held lock freed!(?:.*\\n)+?.*{{PC}} +{{FUNC}}"),
	  "BUG: held lock freed in %1" },
	{ RE("BUG: Bad rss-counter state"), NULL, "BUG: Bad rss-counter state", .nsc = true },
	{ RE("BUG: non-zero nr_ptes on freeing mm"), NULL, "BUG: non-zero nr_ptes on freeing mm",
	  .nsc = true },
	{ RE("BUG: non-zero nr_pmds on freeing mm"), NULL, "BUG: non-zero nr_pmds on freeing mm",
	  .nsc = true },
	{ RE("BUG: Dentry .* still in use"),
	  RE("BUG: Dentry .* still in use \\([0-9]+\\) \\[(unmount) of ([^\\]]+)\\]"),
	  "BUG: Dentry still in use in %1",
	  { "BUG: Dentry still in use [%1 of %2]" } },
	{ RE("BUG: Bad page (state|cache)"),
	  NULL,
	  "BUG: Bad page %1 in %2",
	  {},
	  STACK(.parts = P(RE("page last allocated"), PS),
		.skip = "(free|put|get|update|release)_page|free_unref|^_*folio|truncate_inode_pages|page_frag_free|alloc|vmap|page_owner") },
	{ RE("BUG: Bad page map"), NULL, "BUG: Bad page map" },
	{ RE("BUG: workqueue lockup"), NULL, "BUG: workqueue lockup", .nsc = true },
	{ RE("BUG: sleeping function called from invalid context at (.*)"),
	  NULL,
	  "BUG: sleeping function called from invalid context in %2",
	  {},
	  S_CT() },
	{ RE("BUG: using ([a-z_]+)\\(\\) in preemptible"),
	  NULL,
	  "BUG: using %1() in preemptible code in %2",
	  {},
	  S_CT(.skip = "dump_stack|preemption|preempt|debug_|processor_id|this_cpu") },
	{ RE("BUG: workqueue leaked lock or atomic"),
	  RE("BUG: workqueue leaked lock or atomic(?:.*\\n)+?.*last function: ([a-zA-Z0-9_]+)\\n"),
	  "BUG: workqueue leaked lock or atomic in %1", .nsc = true },
	{ RE("BUG: memory leak"),
	  NULL,
	  "memory leak in %1",
	  {},
	  STACK(.parts = P(RE("backtrace(?: \\(crc [[:xdigit:]]*\\))?:"), PS),
		.skip = "kmemleak|mmap|kmem|slab|alloc|create_object|idr_get|list_lru_init|kasprintf|kvasprintf|pcpu_create|strdup|strndup|memdup") },
	{ RE("BUG: .*stack guard page was hit at"),
	  NULL,
	  "BUG: stack guard page was hit in %1",
	  { "stack-overflow in %1" },
	  S_RIP_CT(.extractor = EXTRACT_STALL) },
	{ RE("BUG: Invalid wait context"),
	  NULL,
	  "WARNING: locking bug in %1",
	  {},
	  S_CT(.skip = "lock_sock|release_sock") },
	{ RE("BUG:[[:space:]]*(?:\\n|$)"), NULL, "BUG: corrupted", .corrupted = true },
	{ NULL },
};

static struct format warning_formats[] = {
	{ RE("WARNING: .*lib/debugobjects\\.c.* (?:debug_print|debug_check|at)"),
	  NULL,
	  "WARNING: ODEBUG bug in %1",
	  {},
	  S_WARN(.skip = "debug_|rcu|hrtimer_|timer_|work_|percpu_|vunmap|vfree|__free_|debug_check|kobject_") },
	{ RE("WARNING: .*mm/usercopy\\.c.* (?:usercopy_warn|at)"),
	  NULL,
	  "WARNING: bad usercopy in %1",
	  {},
	  S_WARN(.skip = "usercopy|__check") },
	{ RE("WARNING: .*lib/kobject\\.c.* (?:kobject_|at)"),
	  NULL,
	  "WARNING: kobject bug in %1",
	  {},
	  S_WARN(.skip = "kobject_") },
	{ RE("WARNING: .*fs/proc/generic\\.c.* (?:proc_register|at)"),
	  NULL,
	  "WARNING: proc registration bug in %1",
	  {},
	  S_WARN(.skip = "proc_") },
	{ RE("WARNING: .*lib/refcount\\.c.* (?:refcount_|at)"),
	  NULL,
	  "WARNING: refcount bug in %1",
	  {},
	  S_WARN(.skip = "refcount|kobject_") },
	{ RE("WARNING: .*kernel/locking/lockdep\\.c.*lock_"),
	  NULL,
	  "WARNING: locking bug in %1",
	  {},
	  S_WARN(.skip = "lock_sock|release_sock") },
	{ RE("WARNING: .*still has locks held!"),
	  RE("WARNING: .*still has locks held!(?:.*\\n)+?.*at: {{FUNC}}"),
	  "WARNING: still has locks held in %1" },
	{ RE("WARNING: Nested lock was not taken"),
	  NULL,
	  "WARNING: nested lock was not taken in %1",
	  {},
	  S_CT() },
	{ RE("WARNING: lock held when returning to user space"),
	  RE("WARNING: lock held when returning to user space(?:.*\\n)+?.*leaving the kernel with locks still held(?:.*\\n)+?.*" LOCKAT),
	  "WARNING: lock held when returning to user space in %1", .nsc = true },
	{ RE("WARNING: .*mm/.*\\.c.* k?.?malloc"),
	  NULL,
	  "WARNING: kmalloc bug in %1",
	  {},
	  S_WARN(.skip = "kmalloc|krealloc|slab|kmem") },
	{ RE("WARNING: .*mm/vmalloc.c.*__vmalloc_node"),
	  NULL,
	  "WARNING: zero-size vmalloc in %1",
	  {},
	  S_WARN() },
	{ RE("WARNING: .* usb_submit_urb"),
	  NULL,
	  "WARNING in %1/usb_submit_urb",
	  {},
	  S_WARN(.skip = "usb_submit_urb|usb_start_wait_urb|usb_bulk_msg|usb_interrupt_msg|usb_control_msg") },
	{ RE("WARNING: {{SRC}} at 0x\\d+, CPU#\\d+"), NULL, "WARNING in %2", {}, S_WARN() },
	{ RE("WARNING: .* at {{SRC}} {{FUNC}}"), NULL, "WARNING in %3", {}, S_WARN() },
	{ RE("WARNING: {{SRC}} at {{FUNC}}"), NULL, "WARNING in %3", {}, S_WARN() },
	{ RE("WARNING: \\[.*\\] {{SRC}} at {{FUNC}}.*"), NULL, "WARNING in %3", {}, S_WARN() },
	{ RE("WARNING: possible circular locking dependency detected"),
	  RE("WARNING: possible circular locking dependency detected(?:.*\\n)+?.*is trying to acquire lock"),
	  "possible deadlock in %1",
	  {},
	  STACK(.parts = P(RE(LOCKAT), RE(LOCKAT), PS),
		.skip = "process_one_work|flush_workqueue|drain_workqueue|destroy_workqueue") },
	{ RE("WARNING: possible irq lock inversion dependency detected"),
	  RE("WARNING: possible irq lock inversion dependency detected(?:.*\\n)+?.*just changed the state of lock(?:.*\\n)+?.*" LOCKAT),
	  "possible deadlock in %1" },
	{ RE("WARNING: .*-safe -> .*-unsafe lock order detected"),
	  NULL,
	  "possible deadlock in %1",
	  {},
	  STACK(.parts = P(RE("which became (?:.*) at:"), PS)) },
	{ RE("WARNING: possible recursive locking detected"),
	  RE("WARNING: possible recursive locking detected(?:.*\\n)+?.*is trying to acquire lock(?:.*\\n)+?.*" LOCKAT),
	  "possible deadlock in %1" },
	{ RE("WARNING: inconsistent lock state"),
	  RE("WARNING: inconsistent lock state(?:.*\\n)+?.*takes(?:.*\\n)+?.*" LOCKAT),
	  "inconsistent lock state in %2",
	  {},
	  S_CT() },
	{ RE("WARNING: suspicious RCU usage"),
	  RE("WARNING: suspicious RCU usage(?:.*\\n)+?.*?{{SRC}}"),
	  "WARNING: suspicious RCU usage in %2",
	  {},
	  S_CT(.skip = "rcu|kmem|slab") },
	{ RE("WARNING: kernel stack regs at [0-9a-f]+ in [^ ]* has bad '([^']+)' value"), NULL,
	  "WARNING: kernel stack regs has bad '%1' value", .nsc = true },
	{ RE("WARNING: kernel stack frame pointer at [0-9a-f]+ in [^ ]* has bad value"), NULL,
	  "WARNING: kernel stack frame pointer has bad value", .nsc = true },
	{ RE("WARNING: bad unlock balance detected!"),
	  NULL,
	  "WARNING: bad unlock balance in %1",
	  {},
	  STACK(.parts = P(RE("{{PC}} +{{FUNC}}"), &calltrace_re, PS)) },
	{ RE("WARNING: held lock freed!"),
	  RE("WARNING: held lock freed!(?:.*\\n)+?.*at:(?: {{PC}})? +{{FUNC}}"),
	  "WARNING: held lock freed in %1" },
	{ RE("WARNING: kernel stack regs .* has bad 'bp' value"), NULL,
	  "WARNING: kernel stack regs has bad value", .nsc = true },
	{ RE("WARNING: kernel stack frame pointer .* has bad value"), NULL,
	  "WARNING: kernel stack regs has bad value", .nsc = true },
	{ RE("WARNING:[[:space:]]*(?:\\n|$)"), NULL, "WARNING: corrupted", .corrupted = true },
	{ NULL },
};

#define OLD_LOCKAT "at: {{PC}} +{{FUNC}}"
static struct format info_formats[] = {
	{ RE("INFO: possible circular locking dependency detected"),
	  RE("INFO: possible circular locking dependency detected \\](?:.*\\n)+?.*is trying to acquire(?:.*\\n)+?.*" OLD_LOCKAT),
	  "possible deadlock in %1" },
	{ RE("INFO: possible irq lock inversion dependency detected"),
	  RE("INFO: possible irq lock inversion dependency detected \\](?:.*\\n)+?.*just changed the state of lock(?:.*\\n)+?.*" OLD_LOCKAT),
	  "possible deadlock in %1" },
	{ RE("INFO: SOFTIRQ-safe -> SOFTIRQ-unsafe lock order detected"),
	  RE("INFO: SOFTIRQ-safe -> SOFTIRQ-unsafe lock order detected \\](?:.*\\n)+?.*is trying to acquire(?:.*\\n)+?.*" OLD_LOCKAT),
	  "possible deadlock in %1" },
	{ RE("INFO: possible recursive locking detected"),
	  RE("INFO: possible recursive locking detected \\](?:.*\\n)+?.*is trying to acquire(?:.*\\n)+?.*" OLD_LOCKAT),
	  "possible deadlock in %1" },
	{ RE("INFO: inconsistent lock state"),
	  RE("INFO: inconsistent lock state \\](?:.*\\n)+?.*takes(?:.*\\n)+?.*" OLD_LOCKAT),
	  "inconsistent lock state in %1" },
	{ RE("INFO: rcu_(?:preempt|sched|bh|tasks) (?:self-)?detected(?: expedited)? stall"),
	  NULL,
	  "INFO: rcu detected stall in %1",
	  { "stall in %1" },
	  STACK(.parts = P(RE("apic_timer_interrupt"), &rip_re, PS),
		.parts2 = P(RE("(?:apic_timer_interrupt|Exception stack|el1h_64_irq)"), PS),
		.skip = "apic_timer_interrupt|rcu", .extractor = EXTRACT_STALL) },
	{ RE("INFO: trying to register non-static key"),
	  NULL,
	  "INFO: trying to register non-static key in %1",
	  {},
	  S_CT(.skip = "stack|lock|IRQ") },
	{ RE("INFO: suspicious RCU usage"),
	  RE("INFO: suspicious RCU usage(?:.*\\n)+?.*?{{SRC}}"),
	  "INFO: suspicious RCU usage in %2",
	  {},
	  S_CT(.skip = "rcu|kmem|slab") },
	{ RE("INFO: task {{TASK}} blocked (?:in I/O wait )?for more than [0-9]+ seconds"),
	  NULL,
	  "INFO: task hung in %1",
	  { "hang in %1" },
	  S_CT(.extractor = EXTRACT_HANG) },
	{ RE("INFO: task {{TASK}} can't die for more than .* seconds"),
	  NULL,
	  "INFO: task can't die in %1",
	  { "hang in %1" },
	  S_CT(.skip = "schedule") },
	{ RE("INFO: (Freed|Allocated) in (.*)"), NULL, "INFO: %1 in %2", .corrupted = true },
	{ RE("INFO:[[:space:]]*(?:\\n|$)"), NULL, "INFO: corrupted", .corrupted = true },
	{ NULL },
};

#define PANIC "Kernel panic - not syncing: "
static struct format panic_formats[] = {
	{ RE(PANIC "stack-protector:"),
	  RE(PANIC "stack-protector: Kernel stack is corrupted in: {{FUNC}}"),
	  "kernel panic: stack is corrupted in %1", .nsc = true },
	{ RE(PANIC "stack-protector:"),
	  RE(PANIC "stack-protector: Kernel stack is corrupted in: [a-f0-9]+"),
	  "kernel panic: stack is corrupted in %1",
	  {},
	  S_CT(.skip = "stack_chk") },
	{ RE(PANIC "corrupted stack end"),
	  RE(PANIC "corrupted stack end detected inside scheduler"),
	  "kernel panic: corrupted stack end in %1",
	  { "stack-overflow in %1" },
	  S_CT(.skip = "schedule|retint_kernel", .extractor = EXTRACT_STALL) },
	{ RE(PANIC "kernel stack overflow"),
	  NULL,
	  "kernel stack overflow in %1",
	  { "stack-overflow in %1" },
	  S_CT(.skip = "bad_stack", .extractor = EXTRACT_STALL) },
	{ RE(PANIC "Attempted to kill init!"), NULL, "kernel panic: Attempted to kill init!" },
	{ RE(PANIC "Couldn't open N_TTY ldisc for [^ ]+ --- error -[0-9]+"), NULL,
	  "kernel panic: Couldn't open N_TTY ldisc" },
	{ RE(PANIC "Fatal exception"), NULL, "kernel panic: Fatal exception", .corrupted = true },
	{ RE(PANIC "panic_on_warn set"), NULL, "kernel panic: panic_on_warn set",
	  .corrupted = true },
	{ RE(PANIC "hung_task: blocked tasks"), NULL, "kernel panic: hung_task: blocked tasks",
	  .corrupted = true },
	{ RE(PANIC "(.*)"), NULL, "kernel panic: %1" },
	{ NULL },
};

#define RIPCT_ALT(t, f, alt)                        \
	{                                           \
		RE(t), NULL, f, { alt }, S_RIP_CT() \
	}

static struct format unable_formats[] = {
	{ RE("Unable to handle kernel (paging request|NULL pointer dereference|access to user memory)"),
	  NULL,
	  "BUG: unable to handle kernel %1 in %2",
	  { "bad-access in %2" },
	  S_RIP_CT() },
	{ NULL },
};
static struct format gpf_formats[] = {
	RIPCT_ALT("general protection fault.*:", "general protection fault in %1",
		  "bad-access in %1"),
	{ NULL },
};
static struct format segment_formats[] = {
	{ RE("stack segment: "), NULL, "stack segment fault in %1", {}, S_RIP_CT() },
	{ NULL },
};
static struct format double_fault_formats[] = {
	{ RE("PANIC: double fault"),
	  NULL,
	  "PANIC: double fault in %1",
	  {},
	  STACK(.parts = P(&rip_re)) },
	{ NULL },
};
static struct format rust_formats[] = {
	{ RE("rust_kernel: panicked"),
	  RE("rust_kernel: panicked at [^\\n]*?\\n(.+?)\\n"),
	  "%1 in %2",
	  {},
	  S_CT(.skip = "__rustc::rust_begin_unwind") },
	{ NULL },
};
static struct format kernel_bug_formats[] = {
	{ RE("kernel BUG at mm/usercopy.c"),
	  NULL,
	  "BUG: bad usercopy in %1",
	  {},
	  S_RIP_CT(.skip = "usercopy|__check") },
	RIPCT_ALT("kernel BUG at lib/list_debug.c", "BUG: corrupted list in %1",
		  "bad-access in %1"),
	{ RE("kernel BUG at (.*)"), NULL, "kernel BUG in %2", {}, S_RIP_CT(.skip = "^skb_") },
	{ NULL },
};
static struct format kernel_bug2_formats[] = {
	{ RE("Kernel BUG (.*)"), NULL, "kernel BUG %1" },
	{ NULL },
};
static struct format kmalloc_formats[] = {
	{ RE("BUG kmalloc-.*: Object already free"), NULL, "BUG: Object already free" },
	{ NULL },
};
static struct format divide_formats[] = {
	{ RE("divide error: "), NULL, "divide error in %1", {}, STACK(.parts = P(&rip_re)) },
	{ NULL },
};
static struct format divide2_formats[] = {
	{ RE("divide_error: "), NULL, "divide error in %1", {}, STACK(.parts = P(&rip_re)) },
	{ NULL },
};
static struct format opcode_formats[] = {
	{ RE("invalid opcode: "), NULL, "invalid opcode in %1", {}, STACK(.parts = P(&rip_re)) },
	{ NULL },
};
static struct format int3_formats[] = {
	{ RE("int3: "), NULL, "int3 in %1", {}, S_RIP_CT() },
	{ NULL },
};
static struct format ubsan_formats[] = {
	{ RE("UBSAN:"),
	  RE("UBSAN: Undefined behaviour in"),
	  "UBSAN: undefined-behaviour in %1",
	  {},
	  S_CT(.skip = "ubsan|overflow") },
	{ RE("UBSAN: array-index-out-of-bounds in"),
	  NULL,
	  "UBSAN: array-index-out-of-bounds in %1",
	  { "bad-access in %1" },
	  S_CT(.skip = "ubsan|overflow") },
	{ RE("UBSAN:"),
	  RE("UBSAN: (.*?) in"),
	  "UBSAN: %1 in %2",
	  {},
	  S_CT(.skip = "ubsan|overflow") },
	{ NULL },
};
static struct format boot_formats[] = {
	{ RE("^Booting the kernel"), NULL, "unexpected kernel reboot", .nsc = true },
	{ NULL },
};
static struct format netdev_formats[] = {
	{ RE("unregister_netdevice: waiting for (?:.*) to become free"), NULL,
	  "unregister_netdevice: waiting for DEV to become free", .nsc = true },
	{ NULL },
};
static struct format vfs_close_formats[] = {
	{ RE("VFS: Close: file count is 0"), NULL,
	  "VFS: Close: file count is zero (use-after-free)", .nsc = true },
	{ NULL },
};
static struct format vfs_busy_formats[] = {
	{ RE("VFS: Busy inodes after unmount"), NULL,
	  "VFS: Busy inodes after unmount (use-after-free)", .nsc = true },
	{ NULL },
};
static struct format internal_formats[] = {
	RIPCT_ALT("Internal error:", "Internal error in %1", "bad-access in %1"),
	{ NULL },
};
static struct format unhandled_formats[] = {
	RIPCT_ALT("Unhandled fault:", "Unhandled fault in %1", "bad-access in %1"),
	{ NULL },
};
static struct format alignment_formats[] = {
	{ RE("Alignment trap:"), NULL, "Alignment trap in %1", {}, S_RIP_CT() },
	{ NULL },
};
static struct format trusty_formats[] = {
	{ RE("trusty: panic.* ASSERT FAILED"),
	  RE("trusty: panic \\(.*?\\):(?: DEBUG)? ASSERT FAILED at \\(.*?\\): (.+)"),
	  "trusty: ASSERT FAILED: %1", .nsc = true },
	{ RE("trusty: panic.* ASSERT FAILED.*: *(.*)"), NULL, "trusty: ASSERT FAILED: %1",
	  .corrupted = true },
	{ RE("trusty: panic"), RE("trusty: panic \\(.*?\\): (.+)"), "trusty: panic: %1",
	  .nsc = true },
	{ NULL },
};
static struct format go_fatal_formats[] = {
	{ RE("fatal error:"), NULL, "go runtime error", .nsc = true },
	{ NULL },
};
static struct format syzfail_formats[] = {
	{ RE("SYZFAIL:(.*)"), NULL, "SYZFAIL:%1", .nsc = true },
	{ NULL },
};
static struct format syzfatal_formats[] = {
	{ RE("SYZFATAL:(.*)()"), NULL, "SYZFATAL:%1", { "SYZFATAL%2" }, .nsc = true },
	{ NULL },
};
static struct format go_panic_formats[] = {
	{ RE("panic: Sentry detected .* stuck task"), NULL, "panic: Sentry detected stuck tasks",
	  .nsc = true },
	{ RE("panic:(.*)"), NULL, "panic:%1", .nsc = true },
	{ NULL },
};

/* Indexed like kb_markers[]. */
static const struct marker_formats marker_formats[] = {
	{ "BUG:", bug_formats },
	{ "WARNING:", warning_formats },
	{ "INFO:", info_formats },
	{ "Unable to handle kernel", unable_formats },
	{ "general protection fault", gpf_formats },
	{ "stack segment: ", segment_formats },
	{ "Kernel panic", panic_formats },
	{ "PANIC: double fault", double_fault_formats },
	{ "rust_kernel: panicked", rust_formats },
	{ "kernel BUG", kernel_bug_formats },
	{ "Kernel BUG", kernel_bug2_formats },
	{ "BUG kmalloc-", kmalloc_formats },
	{ "divide error:", divide_formats },
	{ "divide_error:", divide2_formats },
	{ "invalid opcode:", opcode_formats },
	{ "int3:", int3_formats },
	{ "UBSAN:", ubsan_formats },
	{ "Booting the kernel.", boot_formats },
	{ "unregister_netdevice: waiting for", netdev_formats },
	{ "VFS: Close: file count is 0", vfs_close_formats },
	{ "VFS: Busy inodes after unmount", vfs_busy_formats },
	{ "Internal error:", internal_formats },
	{ "Unhandled fault:", unhandled_formats },
	{ "Alignment trap:", alignment_formats },
	{ "trusty: panic", trusty_formats },
	{ "fatal error:", go_fatal_formats },
	{ "SYZFAIL:", syzfail_formats },
	{ "SYZFATAL:", syzfatal_formats },
	{ "panic:", go_panic_formats },
};

static void compile_parts(struct kb_re **parts)
{
	for (; *parts; parts++)
		if (*parts != PARSE_STACK)
			kb_re_compile(*parts);
}

void kb_formats_init(void)
{
	kb_re_compile(&rip_re);
	kb_re_compile(&warn_rip_re);
	kb_re_compile(&calltrace_re);
	kb_re_compile(&frame_re);
	kb_re_compile(&arm_frame_re);
	kb_re_compile(&corrupted_line_re);
	kb_re_compile(&stall_anchor_re);
	kb_re_compile(&hang_skip_re);
	for (size_t i = 0; i < KB_ARRAY_SIZE(stack_start_res); i++)
		kb_re_compile(&stack_start_res[i]);
	for (size_t i = 0; i < KB_ARRAY_SIZE(marker_formats); i++) {
		if (strcmp(marker_formats[i].header, kb_markers[i].header))
			abort(); /* tables out of sync: a programming error */
		for (struct format *f = marker_formats[i].formats; f->title; f++) {
			kb_re_compile(f->title);
			if (f->report)
				kb_re_compile(f->report);
			if (!f->stack)
				continue;
			compile_parts(f->stack->parts);
			compile_parts(f->stack->parts2);
			f->stack->skip_re.src = f->stack->skip ? kb_xasprintf("%s|%s", global_skip,
									      f->stack->skip) :
								 global_skip;
			kb_re_compile(&f->stack->skip_re);
		}
	}
}

bool kb_is_stack_start(const char *line, size_t len, bool *riscv)
{
	for (size_t i = 0; i < KB_ARRAY_SIZE(stack_start_res); i++) {
		if (kb_re_match(&stack_start_res[i], line, len)) {
			if (riscv)
				*riscv = i == RISCV_START;
			return true;
		}
	}
	return false;
}

bool kb_is_frame_line(const char *line, size_t len)
{
	return kb_re_match(&frame_re, line, len) || kb_re_match(&arm_frame_re, line, len);
}

/* ---- stack extraction ---- */

struct line {
	const char *p;
	size_t len;
};

struct frame_list {
	char **v;
	size_t n, alloc;
};

static void list_add(struct frame_list *l, char *s)
{
	if (l->n == l->alloc) {
		l->alloc = l->alloc ? 2 * l->alloc : 16;
		l->v = kb_xrealloc(l->v, l->alloc * sizeof(*l->v));
	}
	l->v[l->n++] = s;
}

static void list_release(struct frame_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = l->alloc = 0;
}

/*
 * Frame names may be mangled C++ (Itanium "_Z") or Rust v0 ("_R") symbols.
 * Titles use the demangled path without parameters or generic arguments,
 * e.g. "_Z8fakeNameiii" -> "fakeName" and
 * "_RNvMs3_NtCs..._11rust_binder7processNtB5_7Process10update_ref" ->
 * "<rust_binder::process::Process>::update_ref".  Only the subset of the
 * grammars that names functions is handled; anything else stays as is.
 */
struct rdm {
	const char *s; /* symbol after "_R" */
	size_t n, pos;
	int depth;
	bool bad;
};

static bool rdm_eat(struct rdm *d, char c)
{
	if (d->pos < d->n && d->s[d->pos] == c) {
		d->pos++;
		return true;
	}
	return false;
}

static uint64_t rdm_base62(struct rdm *d)
{
	uint64_t v = 0;

	if (rdm_eat(d, '_'))
		return 0;
	while (d->pos < d->n && d->s[d->pos] != '_') {
		char c = d->s[d->pos++];
		int x;

		if (c >= '0' && c <= '9')
			x = c - '0';
		else if (c >= 'a' && c <= 'z')
			x = c - 'a' + 10;
		else if (c >= 'A' && c <= 'Z')
			x = c - 'A' + 36;
		else {
			d->bad = true;
			return 0;
		}
		v = v * 62 + (uint64_t)x;
	}
	if (!rdm_eat(d, '_'))
		d->bad = true;
	return v + 1;
}

static void rdm_ident(struct rdm *d, struct kb_buf *out)
{
	size_t len = 0;

	if (rdm_eat(d, 's'))
		rdm_base62(d);
	rdm_eat(d, 'u');
	if (d->pos >= d->n || d->s[d->pos] < '0' || d->s[d->pos] > '9') {
		d->bad = true;
		return;
	}
	while (d->pos < d->n && d->s[d->pos] >= '0' && d->s[d->pos] <= '9')
		len = len * 10 + (size_t)(d->s[d->pos++] - '0');
	rdm_eat(d, '_');
	if (len > d->n - d->pos) {
		d->bad = true;
		return;
	}
	kb_buf_add(out, d->s + d->pos, len);
	d->pos += len;
}

static void rdm_path(struct rdm *d, struct kb_buf *out);

static void rdm_backref(struct rdm *d, struct kb_buf *out,
			void (*fn)(struct rdm *, struct kb_buf *))
{
	uint64_t at = rdm_base62(d);
	size_t save = d->pos;

	if (d->bad || at >= d->pos || d->depth > 32) {
		d->bad = true;
		return;
	}
	d->pos = (size_t)at;
	d->depth++;
	fn(d, out);
	d->depth--;
	d->pos = save;
}

/* Types: only paths and backrefs (what impl blocks of kernel code use). */
static void rdm_type(struct rdm *d, struct kb_buf *out)
{
	if (rdm_eat(d, 'B'))
		rdm_backref(d, out, rdm_type);
	else
		rdm_path(d, out);
}

static void rdm_path(struct rdm *d, struct kb_buf *out)
{
	struct kb_buf tmp = KB_BUF_INIT;
	char c;

	if (d->bad || d->pos >= d->n || ++d->depth > 64) {
		d->bad = true;
		return;
	}
	c = d->s[d->pos++];
	switch (c) {
	case 'C':
		rdm_ident(d, out);
		break;
	case 'N':
		if (d->pos >= d->n) {
			d->bad = true;
			break;
		}
		d->pos++; /* namespace tag */
		rdm_path(d, out);
		kb_buf_addstr(out, "::");
		rdm_ident(d, &tmp);
		kb_buf_add(out, tmp.buf, tmp.len);
		break;
	case 'M': /* inherent impl: <Type> */
		if (rdm_eat(d, 's'))
			rdm_base62(d);
		rdm_path(d, &tmp); /* impl path, not printed */
		kb_buf_addch(out, '<');
		rdm_type(d, out);
		kb_buf_addch(out, '>');
		break;
	case 'X': /* trait impl: <Type as Trait> */
		if (rdm_eat(d, 's'))
			rdm_base62(d);
		rdm_path(d, &tmp);
		kb_buf_addch(out, '<');
		rdm_type(d, out);
		kb_buf_addstr(out, " as ");
		rdm_path(d, out);
		kb_buf_addch(out, '>');
		break;
	case 'Y':
		kb_buf_addch(out, '<');
		rdm_type(d, out);
		kb_buf_addstr(out, " as ");
		rdm_path(d, out);
		kb_buf_addch(out, '>');
		break;
	case 'B':
		rdm_backref(d, out, rdm_path);
		break;
	default:
		d->bad = true; /* generics and the rest: give up */
	}
	d->depth--;
	kb_buf_release(&tmp);
}

static char *demangle_rust(const char *name)
{
	struct rdm d = { .s = name + 2, .n = strlen(name + 2) };
	struct kb_buf out = KB_BUF_INIT;

	if (d.n && d.s[0] >= '0' && d.s[0] <= '9') /* encoding version */
		while (d.pos < d.n && d.s[d.pos] >= '0' && d.s[d.pos] <= '9')
			d.pos++;
	rdm_path(&d, &out);
	if (d.bad || !out.len) {
		kb_buf_release(&out);
		return NULL;
	}
	return kb_buf_detach(&out, NULL);
}

static bool cxx_source_name(const char **p, struct kb_buf *out)
{
	size_t len = 0;

	if (**p < '1' || **p > '9')
		return false;
	while (**p >= '0' && **p <= '9')
		len = len * 10 + (size_t)(*(*p)++ - '0');
	if (strnlen(*p, len) < len)
		return false;
	kb_buf_add(out, *p, len);
	*p += len;
	return true;
}

static char *demangle_cxx(const char *name)
{
	const char *p = name + 2;
	struct kb_buf out = KB_BUF_INIT;

	if (*p == 'L')
		p++;
	if (*p == 'N') {
		p++;
		while (*p == 'r' || *p == 'V' || *p == 'K' || *p == 'R' || *p == 'O')
			p++;
		while (*p && *p != 'E') {
			if (out.len)
				kb_buf_addstr(&out, "::");
			if (!cxx_source_name(&p, &out))
				goto fail;
		}
		if (*p != 'E')
			goto fail;
	} else if (!cxx_source_name(&p, &out)) {
		goto fail;
	}
	return kb_buf_detach(&out, NULL);
fail:
	kb_buf_release(&out);
	return NULL;
}

/* Demangled copy of a frame name (or a plain copy). */
static char *demangle_frame(const char *name, size_t len)
{
	char *s = kb_xstrndup(name, len), *d = NULL;

	if (!strncmp(s, "_Z", 2))
		d = demangle_cxx(s);
	else if (!strncmp(s, "_R", 2))
		d = demangle_rust(s);
	if (!d)
		return s;
	free(s);
	return d;
}

static void add_candidates(struct frame_list *l, const char *s, const struct kb_re_match *m,
			   const struct stack_spec *st)
{
	for (int g = 1; g <= m->ngroups; g++) {
		char *name;

		if (m->gs[g] == (size_t)-1)
			continue;
		name = demangle_frame(s + m->gs[g], m->ge[g] - m->gs[g]);
		if (kb_re_match(&st->skip_re, name, strlen(name))) {
			free(name);
			continue;
		}
		list_add(l, name);
	}
}

static bool corrupted_line(const struct line *ln)
{
	return kb_re_match(&corrupted_line_re, ln->p, ln->len);
}

/*
 * Run one part sequence over lines; closes a candidate list per "parse stack
 * trace" part after the first.  Returns false when the result is not ok
 * (fault-injection frames seen).
 */
static bool run_parts(struct kb_re *const *parts, const struct line *lines, size_t nlines,
		      const struct stack_spec *st, struct frame_list *lists, size_t *nlists)
{
	size_t li = 0;
	bool ok = true;
	int nparse = 0;

	*nlists = 1;
	for (size_t pi = 0; parts[pi]; pi++) {
		struct kb_re *part = parts[pi];
		struct kb_re_match m;

		if (part == PARSE_STACK) {
			if (++nparse > 1 && *nlists < 4)
				(*nlists)++;
			for (; li < nlines; li++) {
				const struct line *ln = &lines[li];

				if (corrupted_line(ln)) {
					ok = false;
					li++;
					goto next_part;
				}
				if (kb_is_stack_start(ln->p, ln->len, NULL))
					goto next_part;
				if (parts[pi + 1] && parts[pi + 1] != PARSE_STACK &&
				    kb_re_search(parts[pi + 1], ln->p, ln->len, &m)) {
					add_candidates(&lists[*nlists - 1], ln->p, &m, st);
					pi++;
					goto next_part;
				}
				if (kb_re_search(&frame_re, ln->p, ln->len, &m) ||
				    kb_re_search(&arm_frame_re, ln->p, ln->len, &m))
					add_candidates(&lists[*nlists - 1], ln->p, &m, st);
			}
		} else {
			while (li < nlines) {
				const struct line *ln = &lines[li];

				li++;
				if (corrupted_line(ln)) {
					ok = false;
					goto next_part;
				}
				if (kb_re_search(part, ln->p, ln->len, &m)) {
					add_candidates(&lists[*nlists - 1], ln->p, &m, st);
					goto next_part;
				}
			}
		}
next_part:;
	}
	return ok;
}

/* Shortest result of removing one syscall prefix; NULL if none applies. */
static const char *strip_syscall(const char *frame)
{
	const char *best = NULL;

	for (size_t i = 0; i < KB_ARRAY_SIZE(syscall_prefixes); i++) {
		size_t n = strlen(syscall_prefixes[i]);

		if (!strncmp(frame, syscall_prefixes[i], n) && (!best || frame + n > best))
			best = frame + n;
	}
	return best;
}

struct chosen {
	char *frame; /* canonical, as used in the title */
	char *raw; /* raw frame for alt variants; NULL = same as frame */
};

static bool choose(const struct frame_list *l, enum extractor ex, struct chosen *c)
{
	const char *pick = NULL, *raw = NULL;

	c->frame = c->raw = NULL;
	if (ex == EXTRACT_STALL) {
		for (size_t i = 0; i < l->n; i++) {
			const char *canon = strip_syscall(l->v[i]);

			if (!canon)
				canon = l->v[i];
			if (!kb_re_match(&stall_anchor_re, canon, strlen(canon)))
				continue;
			if (strstr(canon, "smp_call_function")) {
				pick = "smp_call_function";
				raw = l->v[i];
			} else {
				pick = raw = l->v[i ? i - 1 : 0];
			}
			break;
		}
	} else if (ex == EXTRACT_HANG) {
		for (size_t i = 0; i < l->n; i++) {
			const char *f = l->v[i];

			if (strstr(f, "rtnl_lock")) {
				pick = raw = f;
				break;
			}
			if (strstr(f, "synchronize_rcu") || strstr(f, "synchronize_srcu") ||
			    strstr(f, "synchronize_net") || strstr(f, "synchronize_sched")) {
				pick = "synchronize_rcu";
				raw = f;
				break;
			}
			if (!kb_re_match(&hang_skip_re, f, strlen(f))) {
				pick = raw = f;
				break;
			}
		}
	} else if (l->n) {
		pick = raw = l->v[0];
	}
	if (!pick)
		return false;
	if (pick == raw) {
		const char *canon = strip_syscall(raw);

		c->frame = kb_xstrdup(canon ? canon : raw);
	} else {
		c->frame = kb_xstrdup(pick);
	}
	c->raw = kb_xstrdup(raw);
	return true;
}

/* Frames for the stack spec; returns ok, fills up to 4 chosen frames. */
static bool extract_frames(const struct stack_spec *st, const char *s, size_t len,
			   struct chosen *out, size_t *nout)
{
	struct line *lines = NULL;
	size_t nlines = 0, alloc = 0;
	struct frame_list lists[4] = { 0 };
	size_t nlists = 0;
	bool ok;

	for (size_t pos = 0; pos < len;) {
		const char *nl = memchr(s + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - s) : len;

		if (nlines == alloc) {
			alloc = alloc ? 2 * alloc : 64;
			lines = kb_xrealloc(lines, alloc * sizeof(*lines));
		}
		lines[nlines].p = s + pos;
		lines[nlines++].len = end - pos;
		pos = end + 1;
	}
	for (int attempt = 0; attempt < 2; attempt++) {
		struct kb_re *const *parts = attempt ? st->parts2 : st->parts;

		ok = run_parts(parts, lines, nlines, st, lists, &nlists);
		*nout = nlists;
		for (size_t i = 0; i < nlists; i++) {
			if (!choose(&lists[i], st->extractor, &out[i])) {
				out[i].frame = kb_xstrdup("corrupted");
				out[i].raw = NULL;
				ok = false;
			}
			list_release(&lists[i]);
		}
		if (ok || !st->parts2[0] || attempt)
			break;
		for (size_t i = 0; i < nlists; i++) {
			free(out[i].frame);
			free(out[i].raw);
		}
	}
	free(lines);
	return ok;
}

/* ---- title assembly ---- */

static void fill(struct kb_buf *b, const char *fmt, char *const *args, size_t nargs)
{
	kb_buf_reset(b);
	for (const char *p = fmt; *p; p++) {
		if (p[0] == '%' && p[1] >= '1' && p[1] <= '9') {
			size_t i = (size_t)(p[1] - '1');

			if (i < nargs && args[i])
				kb_buf_addstr(b, args[i]);
			p++;
			continue;
		}
		kb_buf_addch(b, *p);
	}
}

static void add_alt(struct kb_title *t, const char *s)
{
	if (!strcmp(s, t->title))
		return;
	for (size_t i = 0; i < t->n_alt; i++)
		if (!strcmp(t->alt[i], s))
			return;
	if (t->n_alt < KB_REPORT_MAX_ALT)
		t->alt[t->n_alt++] = kb_xstrdup(s);
}

/* Title and alt titles from args; frame_arg is the index of the first frame. */
static void build_titles(struct kb_title *t, const struct format *f, char **args, size_t nargs,
			 ssize_t frame_arg, const char *raw)
{
	struct kb_buf b = KB_BUF_INIT;
	char *canon;

	fill(&b, f->fmt, args, nargs);
	t->title = kb_buf_detach(&b, NULL);
	for (size_t i = 0; i < KB_ARRAY_SIZE(f->alt) && f->alt[i]; i++) {
		fill(&b, f->alt[i], args, nargs);
		add_alt(t, b.buf);
	}
	if (frame_arg >= 0 && raw) {
		/* Partially stripped variants: raw frame and raw minus one prefix. */
		canon = args[frame_arg];
		for (size_t v = 0; v <= KB_ARRAY_SIZE(syscall_prefixes); v++) {
			const char *variant = raw;

			if (v > 0) {
				size_t n = strlen(syscall_prefixes[v - 1]);

				if (strncmp(raw, syscall_prefixes[v - 1], n))
					continue;
				variant = raw + n;
			}
			args[frame_arg] = (char *)variant;
			fill(&b, f->fmt, args, nargs);
			add_alt(t, b.buf);
			for (size_t i = 0; i < KB_ARRAY_SIZE(f->alt) && f->alt[i]; i++) {
				fill(&b, f->alt[i], args, nargs);
				add_alt(t, b.buf);
			}
		}
		args[frame_arg] = canon;
	}
	kb_buf_release(&b);
}

void kb_title_release(struct kb_title *t)
{
	free(t->title);
	for (size_t i = 0; i < t->n_alt; i++)
		free(t->alt[i]);
	memset(t, 0, sizeof(*t));
}

/* Try format f whose title matched at tm; true when it produced a title. */
static bool try_format(const struct format *f, const char *w, size_t wlen,
		       const struct kb_re_match *tm, struct kb_title *t)
{
	struct kb_re_match rm;
	const struct kb_re_match *m = tm;
	char *args[KB_RE_MAX_GROUPS + 4] = { 0 };
	size_t nargs = 0;
	struct chosen frames[4] = { 0 };
	size_t nframes = 0;
	ssize_t frame_arg = -1;
	bool ok = true;

	if (f->report) {
		if (!kb_re_search(f->report, w, wlen, &rm))
			return false;
		m = &rm;
	}
	for (int g = 1; g <= m->ngroups; g++)
		args[nargs++] = m->gs[g] == (size_t)-1 ?
					kb_xstrdup("") :
					kb_xstrndup(w + m->gs[g], m->ge[g] - m->gs[g]);
	if (f->stack) {
		ok = extract_frames(f->stack, w + m->start, wlen - m->start, frames, &nframes);
		frame_arg = (ssize_t)nargs;
		for (size_t i = 0; i < nframes; i++)
			args[nargs++] = frames[i].frame;
	}
	kb_title_release(t);
	build_titles(t, f, args, nargs, frame_arg, nframes ? frames[0].raw : NULL);
	t->corrupted = !ok	    ? "extracted no frames" :
		       f->corrupted ? "report format is marked as corrupted" :
				      NULL;
	t->nsc = f->nsc;
	for (size_t i = 0; i < nargs; i++)
		free(args[i]);
	for (size_t i = 0; i < nframes; i++)
		free(frames[i].raw);
	return true;
}

void kb_title_extract(const char *w, size_t wlen, int marker, struct kb_title *t)
{
	const struct marker_formats *mf = &marker_formats[marker];
	size_t best = (size_t)-1;
	bool matched = false, have = false;

	memset(t, 0, sizeof(*t));
	for (const struct format *f = mf->formats; f->title; f++) {
		struct kb_re_match tm;

		if (!kb_re_search(f->title, w, wlen, &tm))
			continue;
		if (best != (size_t)-1 && tm.start > best)
			continue;
		if (tm.start == best && have)
			continue;
		if (tm.start != best) {
			kb_title_release(t);
			have = false;
			best = tm.start;
		}
		matched = true;
		if (try_format(f, w, wlen, &tm, t))
			have = true;
	}
	if (have)
		return;
	/* No format: the oops line from the header on. */
	const struct kb_marker *mk = &kb_markers[marker];
	const char *h = memmem(w, wlen, mk->header, mk->hlen);

	t->fallback = true;
	t->corrupted = matched ? "matched title but not report regexp" : NULL;
	if (h) {
		const char *nl = memchr(h, '\n', wlen - (size_t)(h - w));

		t->title = kb_xstrndup(h, nl ? (size_t)(nl - h) : wlen - (size_t)(h - w));
	} else {
		t->title = kb_xstrdup(mk->header);
	}
}

size_t kb_stack_start_kind(const char *line, size_t len, size_t *kinds)
{
	size_t n = 0;

	for (size_t i = 0; i < KB_ARRAY_SIZE(stack_start_res); i++)
		if (kb_re_match(&stack_start_res[i], line, len))
			kinds[n++] = i;
	return n;
}
