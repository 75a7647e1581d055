// SPDX-License-Identifier: GPL-2.0
/*
 * insn-count: a QEMU TCG plugin that counts every instruction the guest
 * runs between two markers, by translation block, exactly.  perf in the
 * guest samples on the instruction clock's timer, which ticks in step with
 * a deterministic loop and lands only where interrupts are on, so its
 * shares of a few dozen instructions mislead; these counts don't.
 *
 * The marker is `xchg %bx,%bx` (hot --mark runs it before and after its
 * timed loop).  Each closing marker writes OUT-K.txt (K = 0, 1, ...): one
 * line per block that ran in the window, "VADDR INSNS EXECS" (hex, then
 * decimal): the block's first address, its instruction count and how many
 * times it ran.  scripts/bench/lib/insn.mjs names them with the guest's
 * /proc/kallsyms.
 *
 *   qemu-system-x86_64 -plugin .cache/bench/insn-count.so,out=PREFIX ...
 *
 * Written against QEMU 7.2's plugin API (version 1), the calls of
 * include/qemu/qemu-plugin.h it needs declared here: Debian ships no
 * header for it.  One vCPU (-icount), so nothing here is shared.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef uint64_t qemu_plugin_id_t;
struct qemu_plugin_tb;
struct qemu_plugin_insn;
typedef struct qemu_info_t qemu_info_t;

#define EXPORT __attribute__((visibility("default")))
EXPORT int qemu_plugin_version = 1;
EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv);

enum { QEMU_PLUGIN_CB_NO_REGS = 0 };
enum { QEMU_PLUGIN_INLINE_ADD_U64 = 0 };
void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id,
					   void (*cb)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb));
void qemu_plugin_register_vcpu_tb_exec_inline(struct qemu_plugin_tb *tb, int op, void *ptr, uint64_t imm);
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn,
					    void (*cb)(unsigned int vcpu, void *udata), int flags, void *udata);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);
const void *qemu_plugin_insn_data(const struct qemu_plugin_insn *insn);
size_t qemu_plugin_insn_size(const struct qemu_plugin_insn *insn);

/*
 * One per translation (a block translated again gets another): the
 * counter the generated code bumps, and its value when the window opened.
 * Kept in chunks that never move, since the code holds their addresses.
 */
struct block {
	uint64_t vaddr;
	uint64_t execs;
	uint64_t at_open;
	uint32_t insns;
};

#define CHUNK 65536
static struct block **chunks;
static size_t nblocks, nchunks;
static const char *out_prefix = "insn-count";
static bool window_open;
static unsigned windows;

static struct block *block_at(size_t i)
{
	return &chunks[i / CHUNK][i % CHUNK];
}

static struct block *new_block(void)
{
	if (nblocks == nchunks * CHUNK) {
		struct block **grown = realloc(chunks, (nchunks + 1) * sizeof(*chunks));

		if (!grown || !(grown[nchunks] = calloc(CHUNK, sizeof(struct block)))) {
			fprintf(stderr, "insn-count: out of memory\n");
			abort();
		}
		chunks = grown;
		nchunks++;
	}
	return block_at(nblocks++);
}

static void close_window(void)
{
	char name[4096];
	FILE *f;
	size_t i;

	snprintf(name, sizeof(name), "%s-%u.txt", out_prefix, windows++);
	f = fopen(name, "w");
	if (!f) {
		perror(name);
		return;
	}
	for (i = 0; i < nblocks; i++) {
		struct block *b = block_at(i);

		if (b->execs != b->at_open)
			fprintf(f, "%llx %u %llu\n", (unsigned long long)b->vaddr, b->insns,
				(unsigned long long)(b->execs - b->at_open));
	}
	fclose(f);
}

static void marker(unsigned int vcpu, void *udata)
{
	size_t i;

	(void)vcpu;
	(void)udata;
	if (window_open) {
		close_window();
	} else {
		for (i = 0; i < nblocks; i++)
			block_at(i)->at_open = block_at(i)->execs;
	}
	window_open = !window_open;
}

static bool is_marker(const struct qemu_plugin_insn *insn)
{
	const unsigned char *b = qemu_plugin_insn_data(insn);

	return qemu_plugin_insn_size(insn) == 3 && b[0] == 0x66 && b[1] == 0x87 && b[2] == 0xdb;
}

static void translated(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	struct block *b = new_block();
	size_t i, n = qemu_plugin_tb_n_insns(tb);

	(void)id;
	b->vaddr = qemu_plugin_tb_vaddr(tb);
	b->insns = n;
	qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &b->execs, 1);
	for (i = 0; i < n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);

		if (is_marker(insn))
			qemu_plugin_register_vcpu_insn_exec_cb(insn, marker, QEMU_PLUGIN_CB_NO_REGS, NULL);
	}
}

int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv)
{
	int i;

	(void)info;
	for (i = 0; i < argc; i++) {
		if (!strncmp(argv[i], "out=", 4)) {
			out_prefix = argv[i] + 4;
		} else {
			fprintf(stderr, "insn-count: unknown argument %s (out=PREFIX)\n", argv[i]);
			return -1;
		}
	}
	qemu_plugin_register_vcpu_tb_trans_cb(id, translated);
	return 0;
}
