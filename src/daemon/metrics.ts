// The daemon's Prometheus metrics (prom-client), named by Prometheus's
// conventions. What the daemon itself counts (records read, lost, reload
// failures) only grows; what the module counts (missed probe runs, rule
// matches) is read at each scrape and carried over a `clear` that zeroes it,
// so those counters only grow too, for as long as their target or rule is there.
import type { Registry } from 'prom-client';
import { syscallNameOf } from '../lib/events.js';
import { lazy } from '../lib/lazy.js';
import type { ResolvedLayout } from '../lib/records.js';
import type { Status } from '../lib/status.js';
import type { SyscallTable } from '../lib/syscalls.js';
import type { RecordTally } from './tally.js';

const prom = lazy<typeof import('prom-client')>('prom-client');

/** What the metrics are read from at a scrape. */
export interface MetricsSource {
  readonly tally: RecordTally;
  readonly layout: ResolvedLayout;
  readonly syscalls: SyscallTable;
  /** the module's state now; throws when it cannot be read */
  status(): Status;
  /** the sha256 of the applied policy (canonical form) */
  policySha256(): string;
  /** whether the running policy differs from the policy file's, a stale rule included (PolicyOps.drift) */
  drift(): boolean;
  /** policy reloads that failed */
  reloadFailures(): number;
}

/**
 * Counters the module keeps, one per key (a target's syscall, a rule's name),
 * as ones that only grow: a value lower than the last one read means it was
 * cleared, and counting starts again from it. A key that was not read is
 * forgotten: its series ends with what it counted (rules come and go: each
 * `syscallmon run` owns one while it runs), and one that comes back is a new
 * series from its value then, which Prometheus takes as a counter reset.
 */
class CarriedCounter {
  readonly #seen = new Map<string, { raw: number; total: number }>();

  read(values: Iterable<[string, number]>): void {
    const read = new Set<string>();
    for (const [key, raw] of values) {
      read.add(key);
      const s = this.#seen.get(key);
      if (!s) this.#seen.set(key, { raw, total: raw });
      else {
        s.total += raw >= s.raw ? raw - s.raw : raw;
        s.raw = raw;
      }
    }
    for (const key of this.#seen.keys()) if (!read.has(key)) this.#seen.delete(key);
  }

  *totals(): Generator<[string, number]> {
    for (const [key, s] of this.#seen) yield [key, s.total];
  }
}

/**
 * prom-client's default metrics (process CPU, memory, file descriptors,
 * Node's heap and event loop) that pass `promtool check metrics`: it drops
 * its gauges named *_total (nodejs_active_handles_total and the like, which
 * the unsuffixed gauges repeat).
 */
function defaultMetrics(into: Registry): void {
  const scratch = new (prom().Registry)();
  prom().collectDefaultMetrics({ register: scratch });
  for (const { name, type } of scratch.getMetricsAsArray()) {
    if (name.endsWith('_total') && String(type) !== 'counter') continue;
    const metric = scratch.getSingleMetric(name);
    if (metric) into.registerMetric(metric);
  }
}

export class DaemonMetrics {
  readonly registry = new (prom().Registry)();
  /** the scrape's reading of the module; null when it failed */
  #status: Status | null = null;
  #drift: boolean | null = null;
  readonly #missed = new CarriedCounter();
  readonly #matched = new CarriedCounter();

  constructor(
    private readonly src: MetricsSource,
    build: { version: string; kernel: string },
  ) {
    const registers = [this.registry];
    const self = this;
    const tally = src.tally;
    new (prom().Counter)({
      name: 'syscallmon_events_total',
      help: 'Syscall records the daemon read, by syscall and verdict.',
      labelNames: ['syscall', 'verdict'],
      registers,
      collect() {
        this.reset();
        for (const [nr, verdict, count] of tally.calls()) {
          this.inc({ syscall: syscallNameOf(nr, src.layout, src.syscalls), verdict: src.layout.verdicts[verdict] ?? String(verdict) }, count);
        }
      },
    });
    new (prom().Counter)({
      name: 'syscallmon_records_total',
      help: 'Records the daemon read, by type (syscall, exit, config).',
      labelNames: ['type'],
      registers,
      collect() {
        this.reset();
        let calls = 0;
        for (const [, , count] of tally.calls()) calls += count;
        this.inc({ type: 'syscall' }, calls);
        this.inc({ type: 'exit' }, tally.exits);
        this.inc({ type: 'config' }, tally.configs);
      },
    });
    new (prom().Counter)({
      name: 'syscallmon_events_lost_total',
      help: 'Events lost, by reason: overwritten before the daemon read them (config: configuration records among those), or calls recorded without their result (no_result).',
      labelNames: ['reason'],
      registers,
      collect() {
        this.reset();
        this.inc({ reason: 'overwritten' }, tally.lost);
        this.inc({ reason: 'config' }, tally.lostConfig);
        this.inc({ reason: 'no_result' }, tally.noResult);
      },
    });
    // Totals carried across the module's counter resets, one series per label value.
    const carried = (name: string, help: string, label: string, counter: CarriedCounter): void => {
      new (prom().Counter)({
        name,
        help,
        labelNames: [label],
        registers,
        collect() {
          this.reset();
          for (const [value, total] of counter.totals()) this.inc({ [label]: value }, total);
        },
      });
    };
    carried('syscallmon_kprobe_missed_total',
      "Runs of a target's entry hook skipped because it was already running on that CPU, by syscall.", 'syscall',
      this.#missed);
    carried('syscallmon_rule_matches_total', 'Calls and file accesses a rule decided, by rule name.', 'rule',
      this.#matched);
    new (prom().Gauge)({
      name: 'syscallmon_ring_bytes_used',
      help: "Bytes of records the module's ring holds.",
      registers,
      collect() {
        if (self.#status) this.set(self.#status.held_bytes);
      },
    });
    new (prom().Gauge)({
      name: 'syscallmon_policy_info',
      help: 'The applied policy: the sha256 of its canonical form.',
      labelNames: ['sha256'],
      registers,
      collect() {
        this.reset();
        this.set({ sha256: src.policySha256() }, 1);
      },
    });
    new (prom().Gauge)({
      name: 'syscallmon_policy_drift',
      help: "1 when the module's mode, exit events or policy rules differ from the policy file's, or a policy rule is stale (its file was replaced); 0 when they are the same.",
      registers,
      collect() {
        if (self.#drift !== null) this.set(self.#drift ? 1 : 0);
      },
    });
    new (prom().Gauge)({
      name: 'syscallmon_build_info',
      help: 'syscallmon version and the kernel release it runs on.',
      labelNames: ['version', 'kernel'],
      registers,
    }).set(build, 1);
    new (prom().Counter)({
      name: 'syscallmon_policy_reload_failures_total',
      help: 'Policy reloads (SIGHUP) that failed; the running policy stayed.',
      registers,
      collect() {
        this.reset();
        this.inc(src.reloadFailures());
      },
    });
    defaultMetrics(this.registry);
  }

  /** The text exposition format: the module read once, then every metric. */
  async scrape(): Promise<string> {
    this.refresh();
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** Reads the module's counters and the drift once for every metric of this scrape. */
  refresh(): void {
    try {
      this.#status = this.src.status();
      this.#missed.read(this.#status.targets.map((t) => [t.syscall, t.missed]));
      this.#matched.read(this.#status.rules.map((r) => [r.name, r.matched]));
    } catch {
      // The device went away: the gauges keep their last value, /healthz says why.
      this.#status = null;
    }
    try {
      this.#drift = this.src.drift();
    } catch {
      this.#drift = null;
    }
  }
}
