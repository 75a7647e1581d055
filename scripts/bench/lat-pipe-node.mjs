// @ts-check
/**
 * The floor for any node consumer: messages "/<t0>\n" from `lat pipe-write`
 * arrive on stdin (a pipe) through node's own event loop, as a plain
 * 'data' listener gets them. Comparing the library's latency with this
 * separates what node's wake-up costs from what syscallmon's library adds.
 *
 *   lat pipe-write N | node scripts/bench/lat-pipe-node.mjs N
 */
const n = Number(process.argv[2]);
if (!Number.isInteger(n) || n < 1) {
  process.stderr.write('usage: node scripts/bench/lat-pipe-node.mjs N\n');
  process.exit(2);
}
/** @type {number[]} */
const samples = [];
let partial = '';
process.stdin.setEncoding('latin1');
process.stdin.on('data', (/** @type {string} */ chunk) => {
  const now = process.hrtime.bigint();
  const lines = (partial + chunk).split('\n');
  partial = lines.pop() ?? '';
  for (const line of lines) if (line.startsWith('/') && samples.length < n) samples.push(Number(now - BigInt(line.slice(1))));
});
process.stdin.on('end', () => {
  process.stdout.write(`${JSON.stringify({ expected: n, samples_ns: samples })}\n`);
});
process.stderr.write('ready\n');
