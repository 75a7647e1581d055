// @ts-check
/**
 * Reaction latency through the library API.
 *
 *   node scripts/bench/lat-lib.mjs N PREFIX [subscribe|iterator]
 *
 * subscribe (default): a Monitor.subscribe() handler; iterator: a
 * `for await` over Monitor.events(), to show what the promise round trip
 * per batch costs. Prints "ready" on stderr once its stream is started, then
 * takes one sample per syscall event whose path starts with PREFIX: the
 * producer (.cache/bench/lat produce) wrote its CLOCK_MONOTONIC start time
 * after the prefix, and process.hrtime reads the same clock. Ends after N
 * samples or on SIGTERM, printing {"expected":N,"samples_ns":[...]}.
 */
import { Monitor } from '../../dist/lib/index.js';

const n = Number(process.argv[2]);
const prefix = process.argv[3];
const how = process.argv[4] ?? 'subscribe';
if (!Number.isInteger(n) || n < 1 || !prefix || (how !== 'subscribe' && how !== 'iterator')) {
  process.stderr.write('usage: node scripts/bench/lat-lib.mjs N PREFIX [subscribe|iterator]\n');
  process.exit(2);
}

const monitor = Monitor.open();
monitor.seek('head');
/** @type {number[]} */
const samples = [];
const stop = new AbortController();
process.once('SIGTERM', () => stop.abort());

/** @param {import('../../dist/lib/index.js').MonitorEvent[]} batch @returns {boolean} false once N samples are in */
function take(batch) {
  const now = process.hrtime.bigint();
  for (const e of batch) {
    if (e.type !== 'syscall' || e.path === null || !e.path.startsWith(prefix)) continue;
    samples.push(Number(now - BigInt(e.path.slice(prefix.length))));
    if (samples.length >= n) return false;
  }
  return true;
}

if (how === 'subscribe') {
  const sub = monitor.subscribe((batch) => {
    if (!take(batch)) sub.stop();
  }, { signal: stop.signal });
  process.stderr.write('ready\n');
  await sub.done;
} else {
  const batches = monitor.events({ signal: stop.signal });
  // The first next() starts the addon's reader; only then are we listening.
  const first = batches.next();
  process.stderr.write('ready\n');
  let r = await first;
  while (!r.done && take(r.value)) r = await batches.next();
  await batches.return(undefined);
}
monitor.close();
process.stdout.write(`${JSON.stringify({ expected: n, samples_ns: samples })}\n`);
