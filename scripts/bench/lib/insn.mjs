// @ts-check
// Names the blocks insn-count.c counted with the guest's /proc/kallsyms and
// writes the per-function report of `npm run bench -- --count-instructions`.
import { readFileSync } from 'node:fs';

/** Kernel addresses start here on x86_64; anything below is user space. */
const KERNEL_START = 0xffff800000000000n;

/** @param {string} path @returns {{ addrs: bigint[], names: string[] }} sorted by address */
function readKallsyms(path) {
  /** @type {[bigint, string][]} */
  const syms = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const [addr, , name, module] = line.split(/\s+/);
    if (!addr || !name) continue;
    const a = BigInt(`0x${addr}`);
    if (a !== 0n) syms.push([a, module ? `${name} ${module}` : name]);
  }
  syms.sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
  return { addrs: syms.map((s) => s[0]), names: syms.map((s) => s[1]) };
}

/** @param {bigint[]} addrs @param {bigint} v the last index whose address is <= v, or -1 */
function floorIndex(addrs, v) {
  let lo = 0;
  let hi = addrs.length - 1;
  let best = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (/** @type {bigint} */ (addrs[mid]) <= v) {
      best = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return best;
}

/**
 * Instructions per iteration by function over one counted window ("[user]"
 * for every user-space block: the addresses of different processes overlap).
 * @param {string} windowPath @param {string} kallsymsPath @param {number} iterations
 * @returns {Map<string, number>}
 */
export function countBySymbol(windowPath, kallsymsPath, iterations) {
  const { addrs, names } = readKallsyms(kallsymsPath);
  /** @type {Map<string, number>} */
  const counts = new Map();
  for (const line of readFileSync(windowPath, 'utf8').split('\n')) {
    const [vaddr, insns, execs] = line.split(' ');
    if (!vaddr || !insns || !execs) continue;
    const v = BigInt(`0x${vaddr}`);
    const i = v < KERNEL_START ? -2 : floorIndex(addrs, v);
    const name = i === -2 ? '[user]' : i < 0 ? '[unknown]' : /** @type {string} */ (names[i]);
    counts.set(name, (counts.get(name) ?? 0) + (Number(insns) * Number(execs)) / iterations);
  }
  return counts;
}

/** @param {Map<string, number>} m */
const sum = (m) => [...m.values()].reduce((a, b) => a + b, 0);

/**
 * The report: each function's instructions per iteration (at least `floor`),
 * and with a baseline the difference, largest first.
 * @param {string} title @param {Map<string, number>} counts
 * @param {Map<string, number> | null} baseline @param {number} [floor]
 */
export function insnReport(title, counts, baseline, floor = 1) {
  const lines = [`# ${title}`, '# Instructions per iteration of the timed loop, counted (not sampled) by the QEMU plugin scripts/bench/insn-count.c.'];
  const f = (/** @type {number} */ x) => x.toFixed(1).padStart(9);
  if (baseline) {
    lines.push(`# total ${sum(counts).toFixed(0)}, baseline ${sum(baseline).toFixed(0)}, difference ${(sum(counts) - sum(baseline)).toFixed(0)}`, '#', '#     this  baseline  difference  function');
    const names = [...new Set([...counts.keys(), ...baseline.keys()])];
    const diff = (/** @type {string} */ n) => (counts.get(n) ?? 0) - (baseline.get(n) ?? 0);
    names.sort((a, b) => diff(b) - diff(a));
    for (const n of names) {
      if (Math.abs(diff(n)) >= floor) lines.push(`${f(counts.get(n) ?? 0)} ${f(baseline.get(n) ?? 0)} ${f(diff(n)).padStart(11)}  ${n}`);
    }
  } else {
    lines.push(`# total ${sum(counts).toFixed(0)}`, '#', '#     this  function');
    const names = [...counts.keys()].sort((a, b) => (counts.get(b) ?? 0) - (counts.get(a) ?? 0));
    for (const n of names) if ((counts.get(n) ?? 0) >= floor) lines.push(`${f(counts.get(n) ?? 0)}  ${n}`);
  }
  return `${lines.join('\n')}\n`;
}
