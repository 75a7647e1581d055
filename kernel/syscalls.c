// SPDX-License-Identifier: GPL-2.0
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kprobes.h>
#include <linux/sched.h>
#include <linux/sched/task_stack.h>
#include <linux/string.h>
#include <asm/compat.h>
#include <asm/ptrace.h>
#include <asm/syscall.h>
#include <asm/unistd.h>
#ifdef CONFIG_X86_KERNEL_IBT
#include <asm/ibt.h>
#endif

#include "main.h"
#include "syscalls.h"

struct op_info {
	const char *name;
	s8 path_arg;
	s8 fd_arg;
};

static const struct op_info ops[SYSCALLMON_NR_LIMIT] = {
#define SYSCALLMON_OP(nr, name, path_arg, fd_arg) [nr] = { #name, path_arg, fd_arg },
#include "syscall_table.h"
};

struct entry_info {
	const char *symbol;
	u16 abi;
	u16 nr;
	s16 op;			/* x86_64 number, or SYSCALLMON_OP_* */
};

static const struct entry_info entries[] = {
#define SYSCALLMON_ENTRY(abi, nr, name, symbol, op) { symbol, abi, nr, op },
#include "syscall_table.h"
};

struct mux_call {
	u8 call;
	u16 op;
};

/* <linux/net.h> SYS_* numbers of socketcall() and <linux/ipc.h> numbers of ipc(). */
static const struct mux_call socketcalls[] = {
#define SYSCALLMON_SOCKETCALL(call, op) { call, op },
#include "syscall_table.h"
};

static const struct mux_call ipc_calls[] = {
#define SYSCALLMON_IPC(call, op) { call, op },
#include "syscall_table.h"
};

struct moved_args {
	u16 abi;
	u16 nr;
	s8 path_arg;
	s8 fd_arg;
};

static const struct moved_args moved_args[] = {
#define SYSCALLMON_ENTRY_ARGS(abi, nr, path_arg, fd_arg) { abi, nr, path_arg, fd_arg },
#include "syscall_table.h"
};

#define NR_ENTRIES	ARRAY_SIZE(entries)
#define NR_ABIS		3
#define MUX_LIMIT	64	/* call numbers of both multiplexers are below this */

/*
 * Filled once by smon_syscalls_init() and read-only afterwards, so the hook
 * reads them without locks.  Indexes are stored plus one: 0 means none.
 */
static u16 entry_of[NR_ABIS][SYSCALLMON_NATIVE_NR_LIMIT];	/* (abi, native nr) -> entry */
static u16 site_of[NR_ENTRIES];					/* entry -> site; 0: not implemented */
/* Where each entry takes its operation's path and fd: the multiplexers in no register. */
static struct {
	s8 path_arg;
	s8 fd_arg;
} entry_args[NR_ENTRIES];
static unsigned long site_ips[NR_ENTRIES];
static u32 nr_sites;
static s16 socketcall_op[MUX_LIMIT];
static s16 ipc_op[MUX_LIMIT];
static u16 socketcall_site, ipc_site;
static bool op_implemented[SYSCALLMON_NR_LIMIT];

const char *smon_op_name(u32 nr)
{
	return nr < SYSCALLMON_NR_LIMIT ? ops[nr].name : NULL;
}

int smon_op_lookup(const char *name)
{
	u32 nr;

	for (nr = 0; nr < SYSCALLMON_NR_LIMIT; nr++)
		if (ops[nr].name && !strcmp(ops[nr].name, name))
			return nr;
	return -EINVAL;
}

bool smon_op_implemented(u32 nr)
{
	return nr < SYSCALLMON_NR_LIMIT && op_implemented[nr];
}

bool smon_op_unblockable(u32 nr)
{
	switch (nr) {
	case __NR_exit:
	case __NR_exit_group:
	case __NR_rt_sigreturn:
	case __NR_restart_syscall:
		return true;
	default:
		return false;
	}
}

const char *smon_entry_symbol(u32 abi, u32 native_nr)
{
	u16 e;

	if (abi >= NR_ABIS || native_nr >= SYSCALLMON_NATIVE_NR_LIMIT)
		return NULL;
	e = entry_of[abi][native_nr];
	return e ? entries[e - 1].symbol : NULL;
}

u32 smon_nr_sites(void)
{
	return nr_sites;
}

unsigned long smon_site_ip(u32 site)
{
	return site < nr_sites ? site_ips[site] : 0;
}

static bool mux_reaches(const s16 *mux_op, u32 nr)
{
	u32 call;

	for (call = 0; call < MUX_LIMIT; call++)
		if (mux_op[call] == nr)
			return true;
	return false;
}

void smon_op_for_each_site(u32 nr, void (*fn)(u32 site, void *arg), void *arg)
{
	u32 i;

	for (i = 0; i < NR_ENTRIES; i++)
		if (entries[i].op == (s16)nr && site_of[i])
			fn(site_of[i] - 1, arg);
	if (socketcall_site && mux_reaches(socketcall_op, nr))
		fn(socketcall_site - 1, arg);
	if (ipc_site && mux_reaches(ipc_op, nr))
		fn(ipc_site - 1, arg);
}

/* ip 0: whatever entry point the call came through. */
static bool decode(unsigned long ip, struct smon_call *call)
{
	const struct pt_regs *user = task_pt_regs(current);
	/*
	 * The kernel runs the call its low 32 bits name (do_syscall_64() and
	 * the 32-bit entries take an int): bits above them, which syscall(2)
	 * passes through from its long, must not make the call unknown here.
	 */
	u32 nr = user->orig_ax;
	const struct entry_info *e;
	u32 abi, mux;
	u16 idx;
	s16 op;

	if (in_ia32_syscall()) {
		abi = SYSCALLMON_ABI_I386;
	} else if (nr & __X32_SYSCALL_BIT) {
		abi = SYSCALLMON_ABI_X32;
		nr &= ~__X32_SYSCALL_BIT;
	} else {
		abi = SYSCALLMON_ABI_X64;
	}
	if (nr >= SYSCALLMON_NATIVE_NR_LIMIT)
		return false;
	idx = entry_of[abi][nr];
	if (!idx)
		return false;
	/* Not the entry point of this task's syscall: some other caller of the function. */
	if (ip && (!site_of[idx - 1] || site_ips[site_of[idx - 1] - 1] != ip))
		return false;
	e = &entries[idx - 1];
	op = e->op;
	if (abi == SYSCALLMON_ABI_I386) {
		call->args[0] = (u32)user->bx;
		call->args[1] = (u32)user->cx;
		call->args[2] = (u32)user->dx;
		call->args[3] = (u32)user->si;
		call->args[4] = (u32)user->di;
		call->args[5] = (u32)user->bp;
		/* The multiplexers' operation is their first argument; the rest is in memory. */
		if (op == SYSCALLMON_OP_SOCKETCALL || op == SYSCALLMON_OP_IPC) {
			mux = op == SYSCALLMON_OP_IPC ? call->args[0] & 0xffff : call->args[0];
			op = mux >= MUX_LIMIT ? -1 :
			     (e->op == SYSCALLMON_OP_IPC ? ipc_op : socketcall_op)[mux];
		}
	} else {
		call->args[0] = user->di;
		call->args[1] = user->si;
		call->args[2] = user->dx;
		call->args[3] = user->r10;
		call->args[4] = user->r8;
		call->args[5] = user->r9;
	}
	if (op < 0)
		return false;
	call->path_arg = entry_args[idx - 1].path_arg;
	call->fd_arg = entry_args[idx - 1].fd_arg;
	call->op = op;
	call->abi = abi;
	call->native_nr = nr;
	return true;
}
NOKPROBE_SYMBOL(decode);

int smon_entry_path_arg(u32 abi, u32 native_nr)
{
	u16 e;

	if (abi >= NR_ABIS || native_nr >= SYSCALLMON_NATIVE_NR_LIMIT)
		return -1;
	e = entry_of[abi][native_nr];
	return e ? entry_args[e - 1].path_arg : -1;
}

bool smon_decode_call(unsigned long ip, struct smon_call *call)
{
	return decode(ip, call);
}
NOKPROBE_SYMBOL(smon_decode_call);

bool smon_current_call(struct smon_call *call)
{
	/* Kernel threads and io_uring workers make no syscall of their own. */
	if (current->flags & (PF_KTHREAD | PF_IO_WORKER))
		return false;
	return syscall_get_nr(current, task_pt_regs(current)) >= 0 && decode(0, call);
}
NOKPROBE_SYMBOL(smon_current_call);

/*
 * kallsyms_lookup_name() is not exported; a kprobe on it tells its address
 * (the symbol table itself is what the kernel's own tracers use).
 */
static unsigned long (*lookup_name)(const char *name);

static int find_lookup_name(void)
{
	struct kprobe kp = { .symbol_name = "kallsyms_lookup_name" };
	unsigned long addr;
	int ret;

	ret = register_kprobe(&kp);
	if (ret)
		return ret;
	addr = (unsigned long)kp.addr;
	unregister_kprobe(&kp);
#ifdef CONFIG_X86_KERNEL_IBT
	/* The kprobe sits after the ENDBR; an indirect call must land on it. */
	if (is_endbr(*(u32 *)(addr - ENDBR_INSN_SIZE)))
		addr -= ENDBR_INSN_SIZE;
#endif
	lookup_name = (void *)addr;
	return 0;
}

/* Where ftrace hooks the function at addr: after its ENDBR, if it has one. */
static unsigned long hook_ip(unsigned long addr)
{
#ifdef CONFIG_X86_KERNEL_IBT
	if (is_endbr(*(u32 *)addr))
		return addr + ENDBR_INSN_SIZE;
#endif
	return addr;
}

unsigned long smon_function_ip(const char *name)
{
	unsigned long addr = lookup_name(name);

	return addr ? hook_ip(addr) : 0;
}

/* Weak COND_SYSCALL() aliases of calls configured out resolve to these. */
static const char *const not_implemented[] = {
	"__x64_sys_ni_syscall", "__ia32_sys_ni_syscall", "__do_sys_ni_syscall", "sys_ni_syscall",
};

static unsigned long not_implemented_addr[ARRAY_SIZE(not_implemented)];

static bool is_not_implemented(unsigned long addr)
{
	u32 i;

	for (i = 0; i < ARRAY_SIZE(not_implemented); i++)
		if (addr == not_implemented_addr[i])
			return true;
	return false;
}

static u16 add_site(unsigned long ip)
{
	u32 i;

	for (i = 0; i < nr_sites; i++)
		if (site_ips[i] == ip)
			return i + 1;
	site_ips[nr_sites++] = ip;
	return nr_sites;
}

int smon_syscalls_init(void)
{
	unsigned long addr;
	u32 i, missing = 0;
	int ret;

	ret = find_lookup_name();
	if (ret) {
		pr_err("cannot find kallsyms_lookup_name: %d\n", ret);
		return ret;
	}
	for (i = 0; i < ARRAY_SIZE(not_implemented); i++)
		not_implemented_addr[i] = lookup_name(not_implemented[i]) ?: ~0ul;
	for (i = 0; i < MUX_LIMIT; i++)
		socketcall_op[i] = ipc_op[i] = -1;
	for (i = 0; i < ARRAY_SIZE(socketcalls); i++)
		socketcall_op[socketcalls[i].call] = socketcalls[i].op;
	for (i = 0; i < ARRAY_SIZE(ipc_calls); i++)
		ipc_op[ipc_calls[i].call] = ipc_calls[i].op;

	for (i = 0; i < NR_ENTRIES; i++) {
		const struct entry_info *e = &entries[i];

		entry_of[e->abi][e->nr] = i + 1;
		/*
		 * A multiplexer's operation takes its arguments from memory:
		 * the register of its fd argument holds the call number.
		 */
		entry_args[i].path_arg = e->op >= 0 ? ops[e->op].path_arg : -1;
		entry_args[i].fd_arg = e->op >= 0 ? ops[e->op].fd_arg : -1;
		addr = lookup_name(e->symbol);
		if (!addr) {
			/* Built into the table but not into this kernel: nothing to hook. */
			missing++;
			continue;
		}
		if (is_not_implemented(addr))
			continue;
		site_of[i] = add_site(hook_ip(addr));
		if (e->op >= 0)
			op_implemented[e->op] = true;
		else if (e->op == SYSCALLMON_OP_SOCKETCALL)
			socketcall_site = site_of[i];
		else if (e->op == SYSCALLMON_OP_IPC)
			ipc_site = site_of[i];
	}
	for (i = 0; i < ARRAY_SIZE(moved_args); i++) {
		u16 e = entry_of[moved_args[i].abi][moved_args[i].nr];

		if (e) {
			entry_args[e - 1].path_arg = moved_args[i].path_arg;
			entry_args[e - 1].fd_arg = moved_args[i].fd_arg;
		}
	}
	if (missing)
		pr_info("%u entry symbols of the syscall tables are not in this kernel\n", missing);
	return 0;
}

void smon_syscalls_exit(void)
{
}
