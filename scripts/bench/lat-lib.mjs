// @ts-check
/**
 * Reaction latency through the library API: a consumer of Monitor.events().
 *
 *   node scripts/bench/lat-lib.mjs N PREFIX
 *
 * Prints "ready" on stderr once its stream is started, then takes one sample
 * per syscall event whose path starts with PREFIX: the producer (.cache/bench/lat
 * produce) wrote its CLOCK_MONOTONIC start time after the prefix, and
 * process.hrtime reads the same clock. Ends after N samples or on SIGTERM,
 * printing {"expected":N,"samples_ns":[...]}.
 */
import { Monitor } from '../../dist/lib/index.js';

const n = Number(process.argv[2]);
const prefix = process.argv[3];
if (!Number.isInteger(n) || n < 1 || !prefix) {
  process.stderr.write('usage: node scripts/bench/lat-lib.mjs N PREFIX\n');
  process.exit(2);
}

const monitor = Monitor.open();
monitor.seek('head');
/** @type {number[]} */
const samples = [];
const stop = new AbortController();
process.once('SIGTERM', () => stop.abort());

const batches = monitor.events({ signal: stop.signal });
// The first next() starts the addon's reader; only then are we listening.
const first = batches.next();
process.stderr.write('ready\n');

/** @param {import('../../dist/lib/index.js').MonitorEvent[]} batch */
function take(batch) {
  const now = process.hrtime.bigint();
  for (const e of batch) {
    if (e.type !== 'syscall' || e.path === null || !e.path.startsWith(prefix)) continue;
    samples.push(Number(now - BigInt(e.path.slice(prefix.length))));
    if (samples.length >= n) return false;
  }
  return true;
}

let r = await first;
while (!r.done && take(r.value)) r = await batches.next();
await batches.return(undefined);
monitor.close();
process.stdout.write(`${JSON.stringify({ expected: n, samples_ns: samples })}\n`);
