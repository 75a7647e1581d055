// Compares the addon's two streaming designs (native/stream.cc): a reader
// thread + ThreadSafeFunction vs uv_poll on Node's loop. The device is
// stood in for by a FIFO (same poll/read contract), fed by a child process:
//   latency:    one 416-byte record every ~0.5 ms carrying CLOCK_MONOTONIC
//               at write; delay until the batch reaches the JS callback.
//   throughput: the child writes records as fast as it can; records/s
//               delivered to JS over a fixed time.
// Run: node scripts/bench/stream.mjs [samples]   (after npm run build:addon)
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const addon = require('../../build/Release/syscallmon.node');
const RECORD = addon.constants.RECORD_SIZE;
const samples = Number(process.argv[2] ?? 2000);

const producer = `
const fs = require('fs');
const [fifo, mode, n, rec] = process.argv.slice(1);
const fd = fs.openSync(fifo, 'w');
const buf = Buffer.alloc(Number(rec) * (mode === 'burst' ? 64 : 1));
const sleeper = new Int32Array(new SharedArrayBuffer(4));
if (mode === 'latency') {
  for (let i = 0; i < Number(n); i++) {
    buf.writeBigUInt64LE(process.hrtime.bigint(), 0);
    fs.writeSync(fd, buf);
    Atomics.wait(sleeper, 0, 0, 0.5);
  }
} else {
  const end = Date.now() + Number(n);
  while (Date.now() < end) fs.writeSync(fd, buf);
}
fs.closeSync(fd);
`;

function pct(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))];
}

async function run(impl, mode) {
  const dir = mkdtempSync(join(tmpdir(), 'smon-bench-'));
  const fifo = join(dir, 'fifo');
  execFileSync('mkfifo', [fifo]);
  // O_RDWR: opening a FIFO this way never blocks and never sees EOF.
  const fd = openSync(fifo, constants.O_RDWR | constants.O_NONBLOCK);
  const lat = [];
  let records = 0;
  let firstAt = 0n;
  let lastAt = 0n;
  const handle = addon[impl](fd, 256, (err, buf) => {
    if (err) throw err;
    const now = process.hrtime.bigint();
    if (mode === 'latency') {
      for (let at = 0; at + RECORD <= buf.length; at += RECORD) lat.push(Number(now - buf.readBigUInt64LE(at)) / 1000);
    } else {
      if (!firstAt) firstAt = now;
      lastAt = now;
      records += buf.length / RECORD;
    }
  });
  const child = spawn(process.execPath, ['-e', producer, fifo, mode, mode === 'latency' ? String(samples) : '2000', String(RECORD)], {
    stdio: 'inherit',
  });
  await new Promise((resolve) => child.on('exit', resolve));
  await new Promise((resolve) => setTimeout(resolve, 50));
  handle.stop();
  handle.stop(); // idempotent
  closeSync(fd);
  rmSync(dir, { recursive: true });
  if (mode === 'latency') {
    lat.sort((a, b) => a - b);
    return `p50 ${pct(lat, 50).toFixed(1)} µs  p99 ${pct(lat, 99).toFixed(1)} µs  max ${lat[lat.length - 1].toFixed(1)} µs  (${lat.length} samples)`;
  }
  const secs = Number(lastAt - firstAt) / 1e9;
  return `${(records / secs / 1e6).toFixed(2)} M records/s (${records} records in ${secs.toFixed(2)} s)`;
}

for (const mode of ['latency', 'throughput']) {
  for (const impl of ['startStreamThread', 'startStreamPoll', 'startStreamThread', 'startStreamPoll']) {
    console.log(`${mode.padEnd(10)} ${impl.padEnd(18)} ${await run(impl, mode)}`);
  }
}
