/*
 * CMD's stdin and output across the share, while it runs.
 *
 * stdin: the host appends what arrives on its stdin to SHARE_FILES.stdin
 * and creates SHARE_FILES.stdinEnd when it ends; the guest reads the file
 * as it grows and writes it into CMD's stdin, ending that when the end
 * marker is there and the file is drained.  The guest says in
 * SHARE_FILES.stdinTaken how far it got, and the host stops reading its
 * stdin while it is more than STDIN_AHEAD bytes ahead (`yes | syscallmon
 * sandbox -- head -1` must not fill the disk).
 *
 * Output: CMD's stdout and stderr are one pipe, so they keep the order CMD
 * wrote them in; the guest copies it to SHARE_FILES.output, which the host
 * follows as it grows.  A pipe, not the file itself: `echo x > /dev/stderr`
 * opens CMD's stderr again, and on a file that truncates what was written.
 *
 * The share is 9p without caching: what one side writes the other reads at
 * once; neither side can be woken by the other, so both poll.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, constants, existsSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { SHARE_FILES } from './request.js';

/** How far the host's stdin may run ahead of what CMD was handed. */
export const STDIN_AHEAD = 1 << 20;

/** How often the host looks at the output, and at the guest's progress on stdin. */
const HOST_POLL_MS = 100;
/** How often the guest looks for more stdin, and for CMD's output when there was none. */
const GUEST_POLL_MS = 50;

/** Host: an empty stdin file, and its end marker when there is nothing to forward. */
export function prepareStdin(share: string, forwarding: boolean): void {
  writeFileSync(join(share, SHARE_FILES.stdin), '');
  if (!forwarding) writeFileSync(join(share, SHARE_FILES.stdinEnd), '');
}

/**
 * Host: copies stdin into the share until it ends or stop() is called;
 * stop() leaves the stream paused and detached.
 */
export function forwardStdin(share: string, stdin: NodeJS.ReadableStream): { stop(): void } {
  const fd = openSync(join(share, SHARE_FILES.stdin), 'a');
  const takenFile = join(share, SHARE_FILES.stdinTaken);
  let written = 0;
  let stopped = false;
  let waiting: NodeJS.Timeout | undefined;
  const taken = (): number => {
    try {
      return Number(readFileSync(takenFile, 'utf8')) || 0;
    } catch {
      return 0;
    }
  };
  const onData = (chunk: Buffer | string): void => {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    writeSync(fd, bytes);
    written += bytes.length;
    if (written - taken() <= STDIN_AHEAD) return;
    stdin.pause();
    waiting = setInterval(() => {
      if (written - taken() > STDIN_AHEAD) return;
      clearInterval(waiting);
      waiting = undefined;
      if (!stopped) stdin.resume();
    }, HOST_POLL_MS);
  };
  const detach = (): void => {
    if (stopped) return;
    stopped = true;
    if (waiting) clearInterval(waiting);
    stdin.off('data', onData);
    stdin.off('end', onEnd);
    stdin.off('error', onEnd);
    closeSync(fd);
  };
  const onEnd = (): void => {
    detach();
    writeFileSync(join(share, SHARE_FILES.stdinEnd), '');
  };
  stdin.on('data', onData);
  stdin.once('end', onEnd);
  stdin.once('error', onEnd);
  return {
    stop() {
      detach();
      stdin.pause();
    },
  };
}

/** Host: hands over what CMD wrote as it grows; stop() hands over the rest. */
export function followOutput(share: string, onOutput: (bytes: Buffer) => void): { stop(): void } {
  const file = join(share, SHARE_FILES.output);
  let at = 0;
  const buf = Buffer.alloc(64 * 1024);
  const pump = (): void => {
    let fd: number;
    try {
      fd = openSync(file, 'r');
    } catch {
      return; // the guest has not created it yet
    }
    try {
      for (let n = readSync(fd, buf, 0, buf.length, at); n > 0; n = readSync(fd, buf, 0, buf.length, at)) {
        at += n;
        onOutput(Buffer.from(buf.subarray(0, n)));
      }
    } finally {
      closeSync(fd);
    }
  };
  const timer = setInterval(pump, HOST_POLL_MS);
  return {
    stop() {
      clearInterval(timer);
      pump();
    },
  };
}

/** Resolves once sink can take more (or is gone). */
function drained(sink: Writable): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      sink.off('drain', done);
      sink.off('close', done);
      sink.off('error', done);
      resolve();
    };
    sink.on('drain', done);
    sink.on('close', done);
    sink.on('error', done);
  });
}

/**
 * Guest: writes the share's stdin into sink (CMD's stdin) as it arrives,
 * and ends sink at its end; returns when that is done, sink is gone (CMD
 * closed its stdin or exited) or stop is aborted.
 */
export async function feedStdin(share: string, sink: Writable, stop: AbortSignal): Promise<void> {
  const fd = openSync(join(share, SHARE_FILES.stdin), 'r');
  const endFile = join(share, SHARE_FILES.stdinEnd);
  const takenFile = join(share, SHARE_FILES.stdinTaken);
  const buf = Buffer.alloc(64 * 1024);
  let at = 0;
  let gone = sink.destroyed;
  const onGone = (): void => {
    gone = true;
  };
  // EPIPE once CMD has closed its stdin: nothing more to hand over.
  sink.on('error', onGone);
  sink.once('close', onGone);
  try {
    while (!gone && !stop.aborted) {
      // The end marker is looked at before reading: what was appended before it is read after.
      const ended = existsSync(endFile);
      const n = readSync(fd, buf, 0, buf.length, at);
      if (n > 0) {
        at += n;
        const more = sink.write(Buffer.from(buf.subarray(0, n)));
        writeFileSync(takenFile, String(at));
        if (!more) await drained(sink);
        continue;
      }
      if (ended) {
        sink.end();
        return;
      }
      await sleep(GUEST_POLL_MS, undefined, { signal: stop }).catch(() => {});
    }
  } finally {
    sink.off('error', onGone);
    sink.off('close', onGone);
    closeSync(fd);
  }
}

/**
 * Guest: a pipe for CMD's stdout and stderr (`fd`, for both), copied into
 * SHARE_FILES.output as it comes; finish() closes this process's end of
 * it, copies what is left and stops, without waiting on a process CMD left
 * behind that still holds it.
 */
/**
 * Where the guest can make a named pipe: its /tmp is the host's, read-only,
 * when the working directory is /tmp itself; /dev/shm and /run are the
 * guest's own tmpfs then.
 */
function pipeDir(): string {
  const tried: string[] = [];
  for (const parent of [tmpdir(), '/dev/shm', '/run']) {
    try {
      return mkdtempSync(join(parent, 'syscallmon-output-'));
    } catch (e) {
      tried.push(`${parent} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
  }
  throw new Error(`no directory to make a pipe for CMD's output in: ${tried.join(', ')}`);
}

export function relayOutput(share: string): { fd: number; finish(): void } {
  const dir = pipeDir();
  const fifo = join(dir, 'output');
  try {
    execFileSync('mkfifo', ['-m', '600', fifo], { stdio: 'ignore' });
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`cannot make a pipe for CMD's output (mkfifo ${fifo}): ${(e as Error).message}`, { cause: e });
  }
  // Reader first, non-blocking: the writer's open then finds it and does not block.
  const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  const writer = openSync(fifo, constants.O_WRONLY);
  // Both ends are open: the name is no longer needed.
  rmSync(dir, { recursive: true, force: true });
  const output = openSync(join(share, SHARE_FILES.output), 'w');
  const buf = Buffer.alloc(256 * 1024);
  /** Copies what the pipe holds now; false once every writer has closed it. */
  const copy = (): { open: boolean; copied: boolean } => {
    let copied = false;
    for (;;) {
      let n: number;
      try {
        n = readSync(reader, buf, 0, buf.length, null);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EAGAIN') return { open: true, copied };
        throw e;
      }
      if (n === 0) return { open: false, copied };
      writeSync(output, buf, 0, n);
      copied = true;
    }
  };
  let timer: NodeJS.Timeout | undefined;
  let finished = false;
  // Again at once while CMD writes, so a fast writer is not held to a pipe's worth per tick.
  const tick = (): void => {
    const { open, copied } = copy();
    if (open && !finished) timer = setTimeout(tick, copied ? 0 : GUEST_POLL_MS);
  };
  timer = setTimeout(tick, GUEST_POLL_MS);
  return {
    fd: writer,
    finish() {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      closeSync(writer);
      try {
        copy();
      } finally {
        closeSync(reader);
        closeSync(output);
      }
    },
  };
}
