#!/bin/sh
# Generates the syscall tables shared by syscallmon.ko and the N-API addon
# from a kernel build tree's own generated headers: the names of each ABI
# (uapi/asm/unistd_64.h, unistd_32.h, unistd_x32.h) and the entry symbol the
# kernel's dispatch calls for each number (asm/syscalls_64.h, syscalls_32.h,
# syscalls_x32.h).  No node: it also runs inside DKMS builds.
#
#   gen-syscalls.sh KERNEL_BUILD_DIR OUTPUT_H
#
# OUTPUT_H holds X-macro lines:
#   SYSCALLMON_OP(nr, name, path_arg, fd_arg)
#       every x86_64 syscall: the operations that targets and rules name.
#       path_arg is the index of the first argument that is a user path, or -1;
#       fd_arg that of the first file descriptor (a dirfd for *at calls), or -1.
#   SYSCALLMON_ENTRY(abi, nr, name, "symbol", op)
#       every implemented entry point of every ABI (sys_ni_syscall entries are
#       left out): the function the kernel calls for that number and the
#       x86_64 number of the operation it performs.  op is
#       SYSCALLMON_OP_I386_ONLY for i386 calls with no x86_64 counterpart and
#       SYSCALLMON_OP_SOCKETCALL / SYSCALLMON_OP_IPC for the i386
#       multiplexers, whose operation is their first argument.
#   SYSCALLMON_SOCKETCALL(call, op), SYSCALLMON_IPC(call, op)
#       the operation of each call number of those multiplexers.
#   SYSCALLMON_ENTRY_ARGS(abi, nr, path_arg, fd_arg)
#       an entry that takes its operation's path or fd in another argument
#       than the x86_64 call does (or not in a register at all: -1); every
#       other entry takes them where SYSCALLMON_OP says.
# An includer defines the macros it uses; the others expand to nothing, and
# the file undefines all five at its end, so it can be included again.
#
# An implemented i386 or x32 entry whose operation is neither the x86_64
# syscall of the same name nor in the map below fails the build: a new
# kernel's new calls are mapped here, never silently left unblockable.
set -eu
if [ $# -ne 2 ]; then
	echo "usage: $0 KERNEL_BUILD_DIR OUTPUT_H" >&2
	exit 2
fi
kdir=$1
output=$2
gen=$kdir/arch/x86/include/generated
for f in uapi/asm/unistd_64.h uapi/asm/unistd_32.h uapi/asm/unistd_x32.h \
	asm/syscalls_64.h asm/syscalls_32.h asm/syscalls_x32.h; do
	if [ ! -r "$gen/$f" ]; then
		echo "gen-syscalls.sh: $gen/$f is missing (install the kernel's headers package)" >&2
		exit 1
	fi
done
tmp="$output.tmp.$$"
trap 'rm -f "$tmp"' EXIT

awk -v gen="$gen" '
BEGIN {
	# Index of the first path argument, by x86_64 name; other calls carry none.
	split("open:0 creat:0 execve:0 unlink:0 rename:0 mkdir:0 rmdir:0 " \
	      "chmod:0 chown:0 lchown:0 link:0 symlink:0 readlink:0 stat:0 " \
	      "lstat:0 access:0 truncate:0 chdir:0 chroot:0 mknod:0 utime:0 " \
	      "utimes:0 setxattr:0 lsetxattr:0 getxattr:0 lgetxattr:0 " \
	      "listxattr:0 llistxattr:0 removexattr:0 lremovexattr:0 umount2:0 " \
	      "swapon:0 swapoff:0 pivot_root:0 acct:0 statfs:0 uselib:0 " \
	      "openat:1 openat2:1 execveat:1 unlinkat:1 renameat:1 renameat2:1 " \
	      "mkdirat:1 fchmodat:1 fchownat:1 linkat:1 symlinkat:0 " \
	      "readlinkat:1 newfstatat:1 statx:1 faccessat:1 faccessat2:1 " \
	      "mknodat:1 utimensat:1 futimesat:1 mount:1 name_to_handle_at:1 " \
	      "inotify_add_watch:1 quotactl:1 open_tree:1 fspick:1 " \
	      "mount_setattr:1 fanotify_mark:4 fchmodat2:1 setxattrat:1 " \
	      "getxattrat:1 listxattrat:1 removexattrat:1", pairs, " ")
	for (i in pairs) {
		split(pairs[i], kv, ":")
		path_arg[kv[1]] = kv[2]
	}
	# Index of the first fd argument, by x86_64 name (for mmap, the fifth).
	split("read:0 write:0 close:0 fstat:0 lseek:0 mmap:4 ioctl:0 pread64:0 " \
	      "pwrite64:0 readv:0 writev:0 sendfile:0 fcntl:0 flock:0 fsync:0 " \
	      "fdatasync:0 ftruncate:0 getdents:0 getdents64:0 fchdir:0 fchmod:0 " \
	      "fchown:0 fstatfs:0 readahead:0 fsetxattr:0 fgetxattr:0 flistxattr:0 " \
	      "fremovexattr:0 fadvise64:0 epoll_wait:0 epoll_ctl:0 epoll_pwait:0 " \
	      "epoll_pwait2:0 inotify_add_watch:0 inotify_rm_watch:0 splice:0 tee:0 " \
	      "sync_file_range:0 vmsplice:0 fallocate:0 timerfd_settime:0 " \
	      "timerfd_gettime:0 signalfd4:0 dup:0 dup2:0 dup3:0 preadv:0 pwritev:0 " \
	      "preadv2:0 pwritev2:0 copy_file_range:0 syncfs:0 setns:0 finit_module:0 " \
	      "fanotify_mark:0 io_uring_enter:0 io_uring_register:0 " \
	      "pidfd_send_signal:0 pidfd_getfd:0 process_madvise:0 fsconfig:0 " \
	      "fsmount:0 quotactl_fd:0 landlock_add_rule:0 landlock_restrict_self:0 " \
	      "cachestat:0 connect:0 accept:0 accept4:0 sendto:0 recvfrom:0 " \
	      "sendmsg:0 recvmsg:0 sendmmsg:0 recvmmsg:0 shutdown:0 bind:0 listen:0 " \
	      "getsockname:0 getpeername:0 setsockopt:0 getsockopt:0 " \
	      "openat:0 openat2:0 mkdirat:0 mknodat:0 fchownat:0 futimesat:0 " \
	      "newfstatat:0 statx:0 unlinkat:0 renameat:0 renameat2:0 linkat:0 " \
	      "symlinkat:1 readlinkat:0 fchmodat:0 fchmodat2:0 faccessat:0 " \
	      "faccessat2:0 utimensat:0 execveat:0 name_to_handle_at:0 " \
	      "open_by_handle_at:0 open_tree:0 fspick:0 move_mount:0 mount_setattr:0", pairs, " ")
	for (i in pairs) {
		split(pairs[i], kv, ":")
		fd_arg[kv[1]] = kv[2]
	}
	# i386 calls named differently from the x86_64 call performing the same
	# operation: old struct layouts, 32-bit uid and 64-bit offset variants,
	# time64 forms and the old signal calls.
	split("_llseek:lseek _newselect:select chown32:chown fchown32:fchown " \
	      "lchown32:lchown fcntl64:fcntl fstat64:fstat fstatat64:newfstatat " \
	      "lstat64:lstat stat64:stat oldfstat:fstat oldlstat:lstat oldstat:stat " \
	      "olduname:uname oldolduname:uname fstatfs64:fstatfs statfs64:statfs " \
	      "ftruncate64:ftruncate truncate64:truncate mmap2:mmap " \
	      "fadvise64_64:fadvise64 sendfile64:sendfile readdir:getdents " \
	      "getegid32:getegid geteuid32:geteuid getgid32:getgid getuid32:getuid " \
	      "getgroups32:getgroups setgroups32:setgroups getresgid32:getresgid " \
	      "getresuid32:getresuid setresgid32:setresgid setresuid32:setresuid " \
	      "setregid32:setregid setreuid32:setreuid setgid32:setgid setuid32:setuid " \
	      "setfsgid32:setfsgid setfsuid32:setfsuid ugetrlimit:getrlimit " \
	      "umount:umount2 waitpid:wait4 nice:setpriority stime:settimeofday " \
	      "sigaction:rt_sigaction signal:rt_sigaction sigpending:rt_sigpending " \
	      "sigprocmask:rt_sigprocmask sigreturn:rt_sigreturn sigsuspend:rt_sigsuspend " \
	      "clock_adjtime64:clock_adjtime clock_getres_time64:clock_getres " \
	      "clock_gettime64:clock_gettime clock_nanosleep_time64:clock_nanosleep " \
	      "clock_settime64:clock_settime futex_time64:futex " \
	      "io_pgetevents_time64:io_pgetevents mq_timedreceive_time64:mq_timedreceive " \
	      "mq_timedsend_time64:mq_timedsend ppoll_time64:ppoll " \
	      "pselect6_time64:pselect6 recvmmsg_time64:recvmmsg " \
	      "rt_sigtimedwait_time64:rt_sigtimedwait " \
	      "sched_rr_get_interval_time64:sched_rr_get_interval " \
	      "semtimedop_time64:semtimedop timer_gettime64:timer_gettime " \
	      "timer_settime64:timer_settime timerfd_gettime64:timerfd_gettime " \
	      "timerfd_settime64:timerfd_settime utimensat_time64:utimensat", pairs, " ")
	for (i in pairs) {
		split(pairs[i], kv, ":")
		i386_op[kv[1]] = kv[2]
	}
	# i386 entries whose path or fd argument is elsewhere, by i386 name:
	# old mmap takes a struct in memory, fanotify_mark a 64-bit mask in two.
	split("mmap:-1:-1 fanotify_mark:5:0", moved, " ")
	for (i in moved) {
		split(moved[i], kv, ":")
		i386_args[kv[1]] = kv[2] ", " kv[3]
	}
	# i386 calls that do something no x86_64 call does (virtual 8086 mode,
	# the old signal mask calls).
	split("sgetmask ssetmask vm86 vm86old", only, " ")
	for (i in only)
		i386_only[only[i]] = 1
	# <linux/net.h> SYS_* and <linux/ipc.h> call numbers of the multiplexers.
	nsock = split("socket bind connect listen accept getsockname getpeername " \
		      "socketpair sendto recvfrom sendto recvfrom shutdown setsockopt " \
		      "getsockopt sendmsg recvmsg accept4 recvmmsg sendmmsg", sock, " ")
	split("1:semop 2:semget 3:semctl 4:semtimedop 11:msgsnd 12:msgrcv " \
	      "13:msgget 14:msgctl 21:shmat 22:shmdt 23:shmget 24:shmctl", ipc, " ")

	read_names(gen "/uapi/asm/unistd_64.h", x64_name, x64_nr)
	read_names(gen "/uapi/asm/unistd_32.h", i386_name, i386_nr)
	read_names(gen "/uapi/asm/unistd_x32.h", x32_name, x32_nr)

	print "/* SPDX-License-Identifier: GPL-2.0 */"
	print "/* Generated by scripts/gen-syscalls.sh from " gen "; do not edit. */"
	split("SYSCALLMON_OP(nr,name,path_arg,fd_arg) SYSCALLMON_ENTRY(abi,nr,name,symbol,op) " \
	      "SYSCALLMON_SOCKETCALL(call,op) SYSCALLMON_IPC(call,op) " \
	      "SYSCALLMON_ENTRY_ARGS(abi,nr,path_arg,fd_arg)", macros, " ")
	for (i = 1; i <= 5; i++) {
		split(macros[i], m, "(")
		printf "#ifndef %s\n#define %s\n#endif\n", m[1], macros[i]
	}
	for (nr = 0; nr < 1024; nr++) {
		if (!(nr in x64_name))
			continue
		name = x64_name[nr]
		printf "SYSCALLMON_OP(%d, %s, %d, %d)\n", nr, name, (name in path_arg) ? path_arg[name] : -1, \
			(name in fd_arg) ? fd_arg[name] : -1
	}
	entries(gen "/asm/syscalls_64.h", 0, x64_name, "x86_64")
	entries(gen "/asm/syscalls_32.h", 1, i386_name, "i386")
	entries(gen "/asm/syscalls_x32.h", 2, x32_name, "x32")
	for (i = 1; i <= nsock; i++)
		printf "SYSCALLMON_SOCKETCALL(%d, %d)\n", i, op_nr(sock[i])
	for (i in ipc) {
		split(ipc[i], kv, ":")
		ipc_line[kv[1] + 0] = sprintf("SYSCALLMON_IPC(%d, %d)", kv[1], op_nr(kv[2]))
	}
	for (call = 0; call < 64; call++)
		if (call in ipc_line)
			print ipc_line[call]
	for (i = 1; i <= 5; i++) {
		split(macros[i], m, "(")
		print "#undef " m[1]
	}
	if (failed)
		exit 1
}

# "#define __NR_read 0" and "#define __NR_read (__X32_SYSCALL_BIT + 0)"
function read_names(file, by_nr, by_name,    line, f, n, nr) {
	while ((getline line < file) > 0) {
		n = split(line, f, /[ \t()+]+/)
		if (f[1] != "#define" || f[2] !~ /^__NR_/ || f[2] == "__NR_syscalls")
			continue
		if (f[n] == "")
			n--
		nr = f[n]
		if (nr !~ /^[0-9]+$/)
			continue
		by_nr[nr + 0] = substr(f[2], 6)
		by_name[substr(f[2], 6)] = nr + 0
	}
	close(file)
	if (length(by_nr) == 0)
		die(file ": no __NR_ definitions")
}

function op_nr(name) {
	if (!(name in x64_nr))
		die("no x86_64 syscall named " name)
	return x64_nr[name]
}

# "__SYSCALL(5, sys_open)", "__SYSCALL_NORETURN(60, sys_exit)" and
# "__SYSCALL_WITH_COMPAT(5, sys_open, compat_sys_open)"
function entries(file, abi, names, abi_name,    line, f, nr, sym, name, op, prefix) {
	while ((getline line < file) > 0) {
		split(line, f, /[ \t(),]+/)
		if (f[1] !~ /^__SYSCALL/)
			continue
		if (f[1] != "__SYSCALL" && f[1] != "__SYSCALL_NORETURN" && f[1] != "__SYSCALL_WITH_COMPAT") {
			die(file ": " f[1] " is a kind of entry this script does not know")
			continue
		}
		nr = f[2] + 0
		sym = (f[1] == "__SYSCALL_WITH_COMPAT") ? f[4] : f[3]
		if (sym == "sys_ni_syscall")
			continue
		if (!(nr in names)) {
			die(abi_name " " nr " (" sym ") has no name in its unistd header")
			continue
		}
		name = names[nr]
		if (abi == 1 && name == "socketcall")
			op = "SYSCALLMON_OP_SOCKETCALL"
		else if (abi == 1 && name == "ipc")
			op = "SYSCALLMON_OP_IPC"
		else if (abi == 1 && (name in i386_only))
			op = "SYSCALLMON_OP_I386_ONLY"
		else if (abi == 1 && (name in i386_op))
			op = op_nr(i386_op[name])
		else if (name in x64_nr)
			op = x64_nr[name]
		else {
			die(abi_name " " nr " " name " (" sym ") performs no known x86_64 operation: map it in scripts/gen-syscalls.sh")
			continue
		}
		# The i386 table calls __ia32_<sym>; x86_64 and x32 call __x64_<sym>.
		prefix = (abi == 1) ? "__ia32_" : "__x64_"
		printf "SYSCALLMON_ENTRY(%d, %d, %s, \"%s%s\", %s)\n", abi, nr, name, prefix, sym, op
		if (abi == 1 && (name in i386_args))
			printf "SYSCALLMON_ENTRY_ARGS(%d, %d, %s)\n", abi, nr, i386_args[name]
	}
	close(file)
}

function die(msg) {
	print "gen-syscalls.sh: " msg > "/dev/stderr"
	failed = 1
}
' > "$tmp"
mv "$tmp" "$output"
trap - EXIT
