// SPDX-License-Identifier: GPL-2.0
/* nop: the static binary the exec workload starts (no loader, no libraries). */
int main(void)
{
	return 0;
}
