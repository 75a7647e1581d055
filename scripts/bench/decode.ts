// Decode throughput: raw records -> event objects, on the host (goal:
// >= 2 M events/s). Records are built by the shared encoder with the real
// addon's offsets. Run: npx vite-node scripts/bench/decode.ts [seconds]
import { loadBinding } from '../../src/lib/binding.js';
import { EventDecoder, type MonitorEvent } from '../../src/lib/events.js';
import { encodeBatch, type RecordInit } from '../../src/lib/records.js';

const seconds = Number(process.argv[2] ?? 2);
const binding = loadBinding();
const c = binding.constants as Record<string, number>;
const decoder = EventDecoder.forBinding(binding);
const openat = binding.syscalls.find((s) => s.name === 'openat')?.nr ?? 0;
const write = binding.syscalls.find((s) => s.name === 'write')?.nr ?? 1;

// A batch like a busy LOG target produces: mostly complete openat calls
// with a path, some write (no path, an fd target), an exit now and then.
const BATCH = 256;
const inits: RecordInit[] = [];
for (let i = 0; i < BATCH; i++) {
  const isExit = i % 64 === 63;
  const isWrite = i % 4 === 1;
  inits.push(
    isExit
      ? { type: c.RECORD_EXIT!, seq: i, ts_ns: 1_700_000_000_000_000_000n + BigInt(i), pid: 1000 + (i % 7),
          tgid: 1000, ppid: 1, comm: 'worker', exit_code: 0, utime_ns: 12345n, stime_ns: 678n }
      : { type: c.RECORD_SYSCALL!, nr: isWrite ? write : openat, seq: i, ts_ns: 1_700_000_000_000_000_000n + BigInt(i),
          pid: 1000 + (i % 7), tgid: 1000, ppid: 1, uid: 0, gid: 0, verdict: c.VERDICT_ALLOWED,
          comm: 'node', args: [0xffffff9cn, 0x7ffc12345678n, 0x80000n, 0n, 0n, 0n], ret: isWrite ? 4096 : 3, duration_ns: 2100n,
          path: isWrite ? undefined : `/usr/lib/x86_64-linux-gnu/libfoo.so.${i}`, target: isWrite ? 'pipe:[4242]' : undefined },
  );
}
const batch = encodeBatch(binding, inits);

type Mode = 'decode' | 'decode+time+args';
function run(mode: Mode): number {
  // Wall-clock deadline; throughput is reported per CPU-second too, which
  // other load on the host (VMs, test runs) disturbs far less.
  const deadline = performance.now() + seconds * 1000;
  let events = 0;
  let sink = 0;
  let out: MonitorEvent[] = [];
  while (performance.now() < deadline) {
    for (let r = 0; r < 50; r++) {
      out = decoder.decode(batch, []);
      events += out.length;
      if (mode !== 'decode') {
        for (const e of out) if (e.type === 'syscall') sink += e.time.getTime() + Number(e.args[1] ?? 0n);
      }
    }
  }
  if (sink === -1) console.log(out);
  return events;
}

run('decode'); // warm-up: let the JIT settle
for (const mode of ['decode', 'decode+time+args'] as const) {
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const n = run(mode);
  const dt = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuSecs = (cpu.user + cpu.system) / 1e6;
  console.log(
    `${mode.padEnd(18)} ${(n / dt / 1e6).toFixed(2)} M events/s wall, ${(n / cpuSecs / 1e6).toFixed(2)} M events/CPU-s ` +
      `(${n} events, ${dt.toFixed(2)} s, batches of ${BATCH})`,
  );
}
