// SPDX-License-Identifier: GPL-2.0
/*
 * An ELF whose PT_INTERP is PT_INTERP_PATH (test 28): the kernel maps it,
 * loads the interpreter and starts the interpreter, so this never runs.
 */
void _start(void)
{
	for (;;)
		;
}
