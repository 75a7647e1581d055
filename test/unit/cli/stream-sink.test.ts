import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { StreamSink } from '../../../src/cli/main.js';

describe('StreamSink', () => {
  it('waits for drain when the stream is full', async () => {
    const chunks: string[] = [];
    let release: (() => void) | undefined;
    const slow = new Writable({
      highWaterMark: 4,
      write(chunk: Buffer, _enc, cb) {
        chunks.push(chunk.toString());
        release = cb;
      },
    });
    const sink = new StreamSink(slow);
    expect(sink.write('a')).toBeUndefined();
    const pending = sink.write('bbbbbbbb');
    expect(pending).toBeInstanceOf(Promise);
    let resolved = false;
    void (pending as Promise<void>).then(() => (resolved = true));
    await new Promise((r) => setImmediate(r));
    expect(resolved).toBe(false);
    release?.();
    await new Promise((r) => setImmediate(r));
    release?.();
    await pending;
    expect(chunks.join('')).toBe('abbbbbbbb');
  });

  it('goes quiet and signals once the reader is gone (EPIPE)', async () => {
    const broken = new Writable({
      highWaterMark: 1,
      write(_chunk, _enc, cb) {
        cb(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
      },
    });
    const sink = new StreamSink(broken);
    const pending = sink.write('first');
    await pending;
    await new Promise((r) => setImmediate(r));
    expect(sink.closed).toBe(true);
    expect(sink.closedSignal.aborted).toBe(true);
    expect(sink.write('more')).toBeUndefined();
    expect(sink.failure).toBeUndefined();
  });

  it('a write that fails otherwise (ENOSPC) also goes quiet, but is kept as the failure', async () => {
    const full = new Writable({
      highWaterMark: 1,
      write(_chunk, _enc, cb) {
        cb(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }));
      },
    });
    const sink = new StreamSink(full);
    await sink.write('first');
    await new Promise((r) => setImmediate(r));
    expect(sink.closed).toBe(true);
    expect(sink.failure?.code).toBe('ENOSPC');
  });
});
