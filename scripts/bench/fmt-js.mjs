// @ts-check
/**
 * What producing an NDJSON line (tail --json's) costs in node, per event, in
 * steady state: 256 synthetic openat records per batch (complete: fd 3 after
 * 12.3 us; built with the library's own encoder and the real addon's
 * layout), one writeSync per
 * batch to /dev/null, measured over 1-second windows after a warm-up; prints
 * {"encoder":..., "ns_per_event":[...per window]}.
 *
 *   node scripts/bench/fmt-js.mjs cli     the JS encoder of raw records (dist/render/ndjson.js)
 *   node scripts/bench/fmt-js.mjs bytes   a byte-level prototype: the same line written
 *                                         into a preallocated Buffer, no per-event strings
 *   node scripts/bench/fmt-js.mjs native  the addon's formatter (native/ndjson.cc), what
 *                                         follow's NDJSON output uses: one call per batch
 *
 * The prototype exists to answer "would avoiding strings be enough?"; it is
 * checked to produce the CLI's exact line before it is timed.
 */
import { openSync, writeSync } from 'node:fs';
import { loadBinding } from '../../dist/lib/binding.js';
import { encodeBatch, recordSize, resolveLayout } from '../../dist/lib/records.js';
import { SyscallTable } from '../../dist/lib/syscalls.js';
import { errnoName } from '../../dist/lib/errnos.js';
import { RawNdjsonEncoder } from '../../dist/render/ndjson.js';

const which = process.argv[2];
if (which !== 'cli' && which !== 'bytes' && which !== 'native') {
  process.stderr.write('usage: node scripts/bench/fmt-js.mjs cli|bytes|native\n');
  process.exit(2);
}
const binding = loadBinding();
const c = binding.constants;
const layout = resolveLayout(binding);
const o = layout.off;
const table = new SyscallTable(binding.syscalls);
const BATCH = 256;
/** @type {import('../../dist/lib/records.js').RecordInit[]} */
const inits = [];
for (let i = 0; i < BATCH; i++) {
  inits.push({
    type: c.RECORD_SYSCALL, nr: table.resolve('openat').nr, seq: 123456 + i, ts_ns: 1_700_000_000_000_000_000n + BigInt(i * 11000),
    pid: 1234, tgid: 1234, ppid: 1, comm: 'hot', verdict: c.VERDICT_ALLOWED, ret: 3, duration_ns: 12345n,
    args: [0xffffff9cn, 0x7ffc12345678n, 0x80000n, 0n, 0n, 0n], path: '/dev/null',
  });
}
const buf = encodeBatch(binding, inits);
/** Byte offsets of the batch's records. */
const offsets = [];
for (let at = 0; at < buf.length; at += recordSize(layout, buf, at)) offsets.push(at);
const cli = new RawNdjsonEncoder(binding, (nr) => table.nameOf(nr), errnoName);
const fd = openSync('/dev/null', 'w');
/** @type {string[]} */
const errnoNames = [];
for (let e = 1; e <= c.MAX_ERRNO; e++) errnoNames[e] = errnoName(e);
const native = binding.ndjsonFormatter?.(errnoNames, table.namesByNumber());
if (which === 'native' && native === undefined) {
  process.stderr.write('fmt-js: this addon has no ndjsonFormatter (npm run build:addon)\n');
  process.exit(1);
}

// ---- the byte-level prototype ----------------------------------------------
const out = new Uint8Array(1 << 20);
let p = 0;
const lit = (/** @type {string} */ s) => Uint8Array.from(Buffer.from(s, 'latin1'));
const L = {
  type: lit('{"type":"syscall","seq":'), ts: lit(',"ts_ns":"'), time: lit('","time":"'), pid: lit('","pid":'),
  tgid: lit(',"tgid":'), ppid: lit(',"ppid":'), uid: lit(',"uid":'), gid: lit(',"gid":'), comm: lit(',"comm":"'),
  quote: lit('"'), abi: lit(',"abi":"x86_64","native_nr":'), verdict: lit(',"verdict":"allowed","block_errno":null,"rule":null,"file":false'),
  path: lit(',"path":"'), flags: lit(',"path_truncated":false,"path_unreadable":false,"target":null,"args":["'),
  sep: lit('","'), ret: lit('"],"ret":'), duration: lit(',"errno":null,"duration_ns":"'),
  end: lit('","call_id":null,"entry":false,"no_result":false}\n'),
};
const HEX = lit('0123456789abcdef');
/** @type {Uint8Array[]} */
const names = [];
const u32 = (/** @type {number} */ at) => (buf[at] | (buf[at + 1] << 8) | (buf[at + 2] << 16)) + buf[at + 3] * 16777216;
const put = (/** @type {Uint8Array} */ b) => {
  for (let i = 0; i < b.length; i++) out[p++] = b[i];
};
const uint = (/** @type {number} */ v) => {
  const start = p;
  do {
    out[p++] = 48 + (v % 10);
    v = Math.floor(v / 10);
  } while (v > 0);
  for (let i = start, j = p - 1; i < j; i++, j--) {
    const t = out[i];
    out[i] = out[j];
    out[j] = t;
  }
};
const hex64 = (/** @type {number} */ at) => {
  const lo = u32(at);
  const hi = u32(at + 4);
  out[p++] = 48;
  out[p++] = 120;
  if (hi === 0 && lo === 0) {
    out[p++] = 48;
    return;
  }
  let started = false;
  for (const word of [hi, lo]) {
    for (let sh = 28; sh >= 0; sh -= 4) {
      const d = (word >>> sh) & 15;
      if (d || started) {
        out[p++] = HEX[d];
        started = true;
      }
    }
  }
};
const cstr = (/** @type {number} */ at, /** @type {number} */ room) => {
  for (let i = at; i < at + room && buf[i] !== 0; i++) out[p++] = buf[i];
};
let isoSec = -1;
let isoPrefix = lit('');
function byteLine(/** @type {number} */ at) {
  put(L.type);
  uint(u32(at + o.seq) + u32(at + o.seq + 4) * 4294967296);
  // ts_ns in decimal without a BigInt: split the u64 at 10^6.
  const lo = u32(at + o.ts_ns);
  const hi = u32(at + o.ts_ns + 4);
  const hiLow = hi % 1000000;
  const lowPart = hiLow * 4294967296 + lo;
  const r = lowPart % 1000000;
  const upper = ((hi - hiLow) / 1000000) * 4294967296 + (lowPart - r) / 1000000;
  put(L.ts);
  const tsStart = p;
  uint(upper);
  const six = p;
  uint(r + 1000000);
  for (let i = six; i < p - 1; i++) out[i] = out[i + 1];
  p--;
  const secDigits = p - tsStart - 9;
  let sec = 0;
  for (let i = 0; i < secDigits; i++) sec = sec * 10 + (out[tsStart + i] - 48);
  if (sec !== isoSec) {
    isoSec = sec;
    isoPrefix = lit(new Date(sec * 1000).toISOString().slice(0, 20));
  }
  const ms = tsStart + secDigits;
  put(L.time);
  put(isoPrefix);
  out[p++] = out[ms];
  out[p++] = out[ms + 1];
  out[p++] = out[ms + 2];
  out[p++] = 90; // Z
  put(L.pid); uint(u32(at + o.pid));
  put(L.tgid); uint(u32(at + o.tgid));
  put(L.ppid); uint(u32(at + o.ppid));
  put(L.uid); uint(u32(at + o.uid));
  put(L.gid); uint(u32(at + o.gid));
  put(L.comm); cstr(at + o.comm, 16); put(L.quote);
  const nr = u32(at + o.nr);
  put((names[nr] ??= lit(',"syscall":"' + table.nameOf(nr) + '","nr":' + nr)));
  // The fields these records can only have null or false in are constants here, as in fmt.c.
  put(L.abi); uint(u32(at + o.native_nr));
  put(L.verdict);
  put(L.path); cstr(at + o.data, buf[at + o.path_len] | (buf[at + o.path_len + 1] << 8)); put(L.quote);
  put(L.flags);
  const a = at + o.args;
  hex64(a); put(L.sep); hex64(a + 8); put(L.sep); hex64(a + 16); put(L.sep);
  hex64(a + 24); put(L.sep); hex64(a + 32); put(L.sep); hex64(a + 40);
  put(L.ret); uint(u32(at + o.ret)); // small and not negative, as these records' are
  put(L.duration); uint(u32(at + o.duration_ns) + u32(at + o.duration_ns + 4) * 4294967296);
  put(L.end);
}

function batch() {
  if (which === 'native') {
    writeSync(fd, /** @type {(b: Buffer) => Buffer} */ (native)(buf));
  } else if (which === 'cli') {
    let s = '';
    for (const at of offsets) s += cli.line(buf, at);
    writeSync(fd, s);
  } else {
    p = 0;
    for (const at of offsets) byteLine(at);
    writeSync(fd, out, 0, p);
  }
}

p = 0;
byteLine(0);
const proto = Buffer.from(out.subarray(0, p)).toString('latin1');
if (proto !== cli.line(buf, 0)) {
  process.stderr.write(`fmt-js: the prototype's line differs from the CLI's:\n${proto}${cli.line(buf, 0)}`);
  process.exit(1);
}
if (native !== undefined) {
  let all = '';
  for (const at of offsets) all += cli.line(buf, at);
  if (!native(buf).equals(Buffer.from(all))) {
    process.stderr.write('fmt-js: the native formatter\'s batch differs from the CLI\'s\n');
    process.exit(1);
  }
}
/** @type {number[]} */
const windows = [];
for (let w = 0; w < 4; w++) {
  const t0 = process.hrtime.bigint();
  let n = 0;
  while (process.hrtime.bigint() - t0 < 1_000_000_000n) {
    batch();
    n += BATCH;
  }
  windows.push(Math.round(Number(process.hrtime.bigint() - t0) / n));
}
process.stdout.write(`${JSON.stringify({ encoder: which, ns_per_event: windows })}\n`);
