// The syscall table (name <-> number), as generated from the kernel's
// unistd_64.h for both the module and the addon, with lookups that accept
// what people type and suggest the closest names when they mistype.
import type { SyscallEntry } from './binding.js';
import { UsageError } from './errors.js';

/** Optimal string alignment distance: Levenshtein plus adjacent transpositions ("opnee" vs "opne"). */
export function editDistance(a: string, b: string): number {
  const m = a.length;
  const n = b.length;
  // Three rows are enough for the transposition lookback.
  let prev2 = new Array<number>(n + 1).fill(0);
  let prev = Array.from({ length: n + 1 }, (_, j) => j);
  let cur = new Array<number>(n + 1).fill(0);
  for (let i = 1; i <= m; i++) {
    cur[0] = i;
    for (let j = 1; j <= n; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, (prev2[j - 2] ?? 0) + 1);
      cur[j] = d;
    }
    [prev2, prev, cur] = [prev, cur, prev2];
  }
  return prev[n] ?? 0;
}

/** Names within a small edit distance of input, closest first (at most max). */
export function closestNames(input: string, names: Iterable<string>, max = 3): string[] {
  const needle = input.toLowerCase();
  // Short names tolerate one typo, longer ones a few more.
  const limit = Math.max(1, Math.min(3, Math.floor(needle.length / 3)));
  const scored: { name: string; d: number }[] = [];
  for (const name of names) {
    const d = editDistance(needle, name.toLowerCase());
    if (d <= limit) scored.push({ name, d });
  }
  scored.sort((x, y) => x.d - y.d || x.name.length - y.name.length || (x.name < y.name ? -1 : 1));
  return scored.slice(0, max).map((s) => s.name);
}

const PREFIXES = ['__x64_sys_', 'sys_'];

export class SyscallTable {
  /** every entry, by ascending number */
  readonly entries: readonly SyscallEntry[];
  private readonly names = new Map<string, SyscallEntry>();
  private readonly numbers: (SyscallEntry | undefined)[] = [];

  constructor(entries: readonly SyscallEntry[]) {
    this.entries = [...entries].sort((a, b) => a.nr - b.nr);
    for (const e of this.entries) {
      this.names.set(e.name, e);
      this.numbers[e.nr] = e;
    }
  }

  byName(name: string): SyscallEntry | undefined {
    return this.names.get(name);
  }

  byNr(nr: number): SyscallEntry | undefined {
    return this.numbers[nr];
  }

  /** names[nr] is syscall nr's name (holes where the table has none): the table the addon's NDJSON formatter takes. */
  namesByNumber(): (string | undefined)[] {
    return this.numbers.map((e) => e?.name);
  }

  /** The name for nr, or "syscall_<nr>" for a number the table lacks (never throws: used when decoding). */
  nameOf(nr: number): string {
    return this.numbers[nr]?.name ?? `syscall_${nr}`;
  }

  /**
   * What a user typed ("openat", "OpenAt", "sys_openat", "__x64_sys_openat",
   * "257", or 257) to an entry; anything else is a UsageError naming the
   * closest names.
   */
  resolve(syscall: string | number): SyscallEntry {
    if (typeof syscall === 'number' || /^\d+$/.test(syscall.trim())) {
      const nr = Number(syscall);
      const e = Number.isSafeInteger(nr) ? this.numbers[nr] : undefined;
      if (!e) throw new UsageError(`unknown syscall number ${syscall} (see \`syscallmon syscalls\`)`);
      return e;
    }
    let name = syscall.trim().toLowerCase();
    for (const p of PREFIXES) if (name.startsWith(p)) name = name.slice(p.length);
    const e = this.names.get(name);
    if (e) return e;
    const near = this.suggest(name);
    const hint = near.length ? `; did you mean ${near.join(', ')}?` : ' (see `syscallmon syscalls`)';
    throw new UsageError(`unknown syscall '${syscall}'${hint}`);
  }

  /** Closest names to a mistyped one (none when nothing is close). */
  suggest(name: string, max = 3): string[] {
    return closestNames(name, this.names.keys(), max);
  }

  /**
   * Entries whose name matches pattern: a glob (* and ?) when it has one,
   * else a substring. No pattern: every entry.
   */
  match(pattern?: string): SyscallEntry[] {
    if (!pattern) return [...this.entries];
    const p = pattern.toLowerCase();
    if (/[*?]/.test(p)) {
      const re = new RegExp(
        `^${p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`,
      );
      return this.entries.filter((e) => re.test(e.name));
    }
    return this.entries.filter((e) => e.name.includes(p));
  }
}
