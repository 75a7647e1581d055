/**
 * Decides whether a guest's kernel log shows a kernel problem. The rules are
 * case-sensitive on purpose: a clean 6.1 boot prints lower-case "bug" in
 * benign lines ("report a bug", "This is not a bug.").
 */

interface Rule {
  name: string;
  pattern: RegExp;
}

/** Kernel problem reports, as printed by WARN(), BUG(), the oops and lockup paths. */
const FAILING: readonly Rule[] = [
  // Most specific first, so a finding is named for what it is.
  { name: 'soft lockup', pattern: /soft lockup/ }, // "watchdog: BUG: soft lockup - CPU#0 stuck for 22s!"
  { name: 'hard lockup', pattern: /hard LOCKUP/ },
  { name: 'hung task', pattern: /INFO: task .* blocked for more than/ },
  // The VM boots with a 60 s stall timeout, far above TCG's jitter: a stall is real.
  { name: 'rcu stall', pattern: /rcu: INFO: .*detected stalls?/ },
  { name: 'general protection', pattern: /general protection/ },
  { name: 'oops', pattern: /\bOops\b/ },
  { name: 'panic', pattern: /Kernel panic/ },
  { name: 'bug', pattern: /\bBUG\b/ }, // "BUG: kernel NULL pointer dereference", "kernel BUG at", "BUG: sleeping function ..."
  { name: 'warning', pattern: /\bWARNING\b/ }, // WARN(): "WARNING: CPU: 0 PID: 1 at ..."; lockdep; suspicious RCU
];

/**
 * Known-benign lines that contain a failing word. Each is narrow: the CPU
 * vulnerability notices printed at boot on some (KVM) hosts, which report the
 * hardware, not a kernel fault.
 */
const BENIGN: readonly RegExp[] = [
  /\b(RETBleed|Spectre V[12]|MDS|TAA|MMIO Stale Data|SRBDS|GDS|RFDS|Speculative Store Bypass): WARNING: /,
];

export interface DmesgFinding {
  /** Which rule matched, e.g. "warning" or "soft lockup". */
  rule: string;
  line: string;
}

export interface DmesgVerdict {
  clean: boolean;
  findings: DmesgFinding[];
}

function classify(line: string): string | undefined {
  if (BENIGN.some((benign) => benign.test(line))) return undefined;
  return FAILING.find((rule) => rule.pattern.test(line))?.name;
}

export function checkDmesg(text: string): DmesgVerdict {
  const findings: DmesgFinding[] = [];
  for (const line of text.split('\n')) {
    const rule = classify(line);
    if (rule !== undefined) findings.push({ rule, line: line.trimEnd() });
  }
  return { clean: findings.length === 0, findings };
}

/**
 * The part of a log after the last line containing marker. On a real host the
 * log holds everything since boot; only what follows the suite's own marker
 * belongs to this run. Without the marker the whole text is kept.
 */
export function dmesgSince(text: string, marker: string): string {
  if (marker === '') return text;
  const lines = text.split('\n');
  let at = lines.length - 1;
  while (at >= 0 && !(lines[at] ?? '').includes(marker)) at--;
  return at < 0 ? text : lines.slice(at + 1).join('\n');
}
