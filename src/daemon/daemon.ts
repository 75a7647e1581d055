// `syscallmon daemon`: a policy applied, the ring followed, every record
// written as NDJSON (the addon's formatter: tail --json's lines) to stdout or
// a file, counted for the metrics on the way. Signals as services take them:
// SIGHUP reloads the policy (a bad one changes nothing and is counted),
// SIGUSR1 reopens the output file (after logrotate moved it), SIGTERM and
// SIGINT stop: what the ring still holds is written, then the mode stays or
// goes OFF as the daemon was told, and the device is closed; a daemon ended
// by an error goes OFF as told too, and writes nothing more. SIGHUP and
// SIGUSR1 are held from the command's start to the process's end
// (signals.ts): their default actions kill it or open a debugger.
import type { Server } from 'node:http';
import type { NdjsonFormatter } from '../lib/binding.js';
import type { Monitor, Subscription } from '../lib/monitor.js';
import { healthOf, type Health } from './health.js';
import { closeServer, serve, type ListenAddress } from './http.js';
import { DaemonMetrics } from './metrics.js';
import type { NdjsonOutput } from './output.js';
import { RecordTally } from './tally.js';

/** What the daemon does with a policy file; the CLI hands over the library's policy functions. */
export interface PolicyOps<Doc> {
  /** reads and checks the file; throws one error whose message is one line */
  read(path: string): Doc;
  /** of the document in canonical form */
  sha256(doc: Doc): string;
  /** applies it as one replacement; returns what changed, lines for the log */
  apply(monitor: Monitor, doc: Doc): string;
  /** whether the running policy differs from the document's, or a rule of it is stale (made again by apply) */
  drift(monitor: Monitor, doc: Doc): boolean;
}

/** What the daemon leaves behind when it stops: the policy running (keep) or the mode OFF. */
export type OnStop = 'keep' | 'off';
export const ON_STOP: readonly OnStop[] = ['keep', 'off'];

/** Where signals come from: the process (held: signals.ts), or an EventEmitter in tests. */
export interface SignalSource {
  on(signal: NodeJS.Signals, listener: () => void): unknown;
  off(signal: NodeJS.Signals, listener: () => void): unknown;
}

export interface DaemonOptions<Doc> {
  /** open, and not streaming */
  monitor: Monitor;
  policyPath: string;
  policy: PolicyOps<Doc>;
  output: NdjsonOutput;
  onStop: OnStop;
  /** serve /metrics and /healthz there; none: no HTTP */
  metrics?: ListenAddress;
  build: { version: string; kernel: string };
  signals: SignalSource;
  /** a line for stderr (the journal) */
  note(line: string): void;
  /** the stream's coalescing window (Monitor.subscribe) */
  coalesceMs?: number;
  /** milliseconds, for the loss window; default performance.now */
  now?: () => number;
}

export interface DaemonSummary {
  /** records written: syscall, exit and config */
  records: number;
  /** records lost (the lost lines' counts) */
  lost: number;
  reloads: number;
  reloadFailures: number;
  /** the signal that stopped it, or 'stopped' */
  reason: string;
}

export class Daemon<Doc> {
  readonly tally: RecordTally;
  readonly metrics: DaemonMetrics | null;
  #doc: Doc;
  #sha256: string;
  #reloads = 0;
  #reloadFailures = 0;
  #server: Server | null = null;
  #subscription: Subscription | null = null;
  #stopReason = 'stopped';
  readonly #formatter: NdjsonFormatter;
  readonly #now: () => number;
  readonly #handlers: [NodeJS.Signals, () => void][];
  /** settles once the daemon has stopped and cleaned up */
  readonly done: Promise<DaemonSummary>;

  private constructor(
    private readonly o: DaemonOptions<Doc>,
    doc: Doc,
  ) {
    this.#doc = doc;
    this.#sha256 = o.policy.sha256(doc);
    this.#now = o.now ?? (() => performance.now());
    this.#formatter = o.monitor.ndjsonFormatter();
    this.tally = new RecordTally(this.#formatter.tallyLayout, o.monitor.decoder.layout.nrNone);
    const monitor = o.monitor;
    this.metrics = o.metrics
      ? new DaemonMetrics(
          {
            tally: this.tally,
            layout: monitor.decoder.layout,
            syscalls: monitor.syscalls,
            status: () => monitor.status(),
            policySha256: () => this.#sha256,
            drift: () => o.policy.drift(monitor, this.#doc),
            reloadFailures: () => this.#reloadFailures,
          },
          o.build,
        )
      : null;
    this.#handlers = [
      ['SIGHUP', () => void this.reload()],
      ['SIGUSR1', () => void this.reopen()],
      ['SIGTERM', () => this.stop('SIGTERM')],
      ['SIGINT', () => this.stop('SIGINT')],
    ];
    this.done = new Promise<DaemonSummary>((resolve, reject) => {
      this.#settle = { resolve, reject };
    });
  }

  #settle!: { resolve: (s: DaemonSummary) => void; reject: (e: unknown) => void };

  /**
   * Reads the policy, serves the metrics, then applies the policy (a bad one
   * throws before anything changed; so does a metrics address that cannot be
   * served) and follows the ring from now on: the policy's own configuration
   * record is the first line written. Signals are listened for last: one that
   * came before (held by HeldSignals) is acted on then.
   */
  static async start<Doc>(o: DaemonOptions<Doc>): Promise<Daemon<Doc>> {
    const doc = o.policy.read(o.policyPath);
    const d = new Daemon(o, doc);
    if (o.metrics && d.metrics) {
      const metrics = d.metrics;
      d.#server = await serve(o.metrics, {
        metrics: async () => ({ body: await metrics.scrape(), contentType: metrics.contentType }),
        health: () => d.health(),
      });
    }
    try {
      o.monitor.seek('head');
      const changes = o.policy.apply(o.monitor, doc);
      d.#noteChanges(`policy ${o.policyPath} applied (sha256 ${d.#sha256})`, changes);
      d.#subscription = o.monitor.subscribeRaw((batch) => d.#write(batch), { transient: true, coalesceMs: o.coalesceMs ?? 0 });
    } catch (e) {
      if (d.#server) await closeServer(d.#server);
      throw e;
    }
    void d.#subscription.done.then(
      () => d.#finish(),
      (e: unknown) => d.#finish(e),
    );
    const served = d.metricsAddress;
    const where = served ? `; metrics on ${served.address}:${served.port}` : '';
    o.note(`syscallmon: daemon: writing events to ${o.output.name}${where}`);
    for (const [signal, handler] of d.#handlers) o.signals.on(signal, handler);
    return d;
  }

  #noteChanges(what: string, changes: string): void {
    this.o.note(`syscallmon: daemon: ${what}`);
    for (const line of changes.split('\n')) if (line.trim()) this.o.note(`syscallmon: daemon:   ${line}`);
  }

  /** Writes a batch's lines (the formatter writes every record, lost ones included) and counts them. */
  #write(batch: Buffer): void {
    this.#formatter.writeTo(this.o.output.fd, batch, this.tally.slots);
    this.tally.batchCounted(this.#now());
  }

  /** Where /metrics and /healthz are served (the port the system gave for port 0); null without --metrics. */
  get metricsAddress(): { address: string; port: number } | null {
    const a = this.#server?.address();
    return a && typeof a === 'object' ? { address: a.address, port: a.port } : null;
  }

  get policySha256(): string {
    return this.#sha256;
  }

  get reloadFailures(): number {
    return this.#reloadFailures;
  }

  health(): Health {
    return healthOf(!this.o.monitor.closed && this.#subscription !== null, this.tally.lastLoss, this.#now());
  }

  /** Reads the policy file again and applies it; a file that fails leaves the running policy as it is. */
  reload(): boolean {
    const path = this.o.policyPath;
    let doc: Doc;
    let changes: string;
    try {
      doc = this.o.policy.read(path);
      changes = this.o.policy.apply(this.o.monitor, doc);
    } catch (e) {
      this.#reloadFailures++;
      const why = e instanceof Error ? e.message : String(e);
      this.o.note(`syscallmon: daemon: policy reload failed, the running policy stays (sha256 ${this.#sha256}): ${why}`);
      return false;
    }
    this.#doc = doc;
    this.#sha256 = this.o.policy.sha256(doc);
    this.#reloads++;
    this.#noteChanges(`policy ${path} reloaded (sha256 ${this.#sha256})`, changes);
    return true;
  }

  /** Opens the output file again (SIGUSR1); one that cannot be opened leaves the old one the output. */
  reopen(): boolean {
    try {
      if (!this.o.output.reopen()) return false;
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      this.o.note(`syscallmon: daemon: cannot reopen ${this.o.output.name}, still writing to the file it had open: ${why}`);
      return false;
    }
    this.o.note(`syscallmon: daemon: reopened ${this.o.output.name}`);
    return true;
  }

  /** Stops following; done settles once what the ring still holds is written and everything is closed. */
  stop(reason = 'stopped'): void {
    this.#stopReason = reason;
    this.#subscription?.stop();
  }

  /**
   * The stream handed its cursor back: what it had not delivered is
   * written here, up to the ring's head as the drain begins (--on-stop
   * off's record included). Records made since are left, or processes that
   * keep making them would keep the stop from ending.
   */
  #drain(): void {
    const monitor = this.o.monitor;
    const end = monitor.status().head_seq;
    for (;;) {
      const batch = monitor.readRaw();
      const before = monitor.decoder.recordsBefore(batch, end);
      if (before.length) this.#write(before);
      if (!batch.length || before.length < batch.length) return;
    }
  }

  #finished = false;

  async #finish(error?: unknown): Promise<void> {
    if (this.#finished) return;
    this.#finished = true;
    for (const [signal, handler] of this.#handlers) this.o.signals.off(signal, handler);
    let failure = error;
    const monitor = this.o.monitor;
    if (!monitor.closed) {
      // Whatever ended the daemon: --on-stop off leaves no policy enforced with no one writing its records.
      if (this.o.onStop === 'off') {
        try {
          monitor.setMode('off');
        } catch (e) {
          if (failure === undefined) failure = e;
          else this.o.note(`syscallmon: daemon: cannot turn the mode off: ${e instanceof Error ? e.message : String(e)}`);
        }
      }
      // After a failure of the stream or the output, there is nothing to read or nowhere to write.
      if (error === undefined) {
        try {
          this.#drain();
        } catch (e) {
          failure ??= e;
        }
      }
    }
    try {
      monitor.close(); // idempotent
    } catch (e) {
      failure ??= e;
    }
    if (this.#server) await closeServer(this.#server);
    this.o.output.close();
    if (failure !== undefined) return this.#settle.reject(failure);
    let records = 0;
    for (const [, , count] of this.tally.calls()) records += count;
    this.#settle.resolve({
      records: records + this.tally.exits + this.tally.configs,
      lost: this.tally.lost,
      reloads: this.#reloads,
      reloadFailures: this.#reloadFailures,
      reason: this.#stopReason,
    });
  }
}
