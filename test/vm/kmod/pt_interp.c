// SPDX-License-Identifier: GPL-2.0
/*
 * A program interpreter of its own for test 28 (built freestanding and
 * static-pie, so the kernel can load it as an ELF's PT_INTERP and jump to
 * it): says it ran and exits 42.
 */
static const char msg[] = "pt_interp ran\n";

void _start(void)
{
	long ret;

	__asm__ volatile("syscall" : "=a"(ret) : "0"(1L), "D"(1L), "S"(msg), "d"(sizeof(msg) - 1) : "rcx", "r11", "memory");
	__asm__ volatile("syscall" : : "a"(60L), "D"(42L) : "rcx", "r11", "memory");
	for (;;)
		;
}
