// Where the daemon's NDJSON goes: stdout (for journald), or a file it
// appends to and opens again on request (SIGUSR1: logrotate moved it away).
// Records are written between batches, on the event loop, so swapping the fd
// there loses nothing: every line goes to the old file or to the new one.
import { closeSync, fstatSync, openSync, rmSync } from 'node:fs';

/** rw-r-----: events name processes and files; the daemon's user and group (root, under the unit) read them, no one else. */
const FILE_MODE = 0o640;

export class NdjsonOutput {
  #fd: number;

  private constructor(
    /** null: stdout */
    readonly path: string | null,
    fd: number,
    /** opening the file created it */
    private readonly created = false,
  ) {
    this.#fd = fd;
  }

  /** A file, created when missing and appended to; opening it may throw (ENOENT, EACCES). */
  static file(path: string): NdjsonOutput {
    try {
      return new NdjsonOutput(path, openSync(path, 'ax', FILE_MODE), true);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      return new NdjsonOutput(path, openSync(path, 'a', FILE_MODE));
    }
  }

  static stdout(fd: number): NdjsonOutput {
    return new NdjsonOutput(null, fd);
  }

  get fd(): number {
    return this.#fd;
  }

  /** What the output is, for messages: the file's path or "stdout". */
  get name(): string {
    return this.path ?? 'stdout';
  }

  /**
   * Opens the path again and writes there from now on; false for stdout.
   * When the path cannot be opened it throws and the old file stays the
   * output: events are never dropped for want of a file.
   */
  reopen(): boolean {
    if (this.path === null) return false;
    const fd = openSync(this.path, 'a', FILE_MODE);
    const old = this.#fd;
    this.#fd = fd;
    closeSync(old);
    return true;
  }

  /** Closes the file (stdout is left open). */
  close(): void {
    if (this.path !== null) closeSync(this.#fd);
  }

  /**
   * Closes an output that was never used: the file is removed too when
   * opening it created it and it is still empty, so a daemon that could not
   * start leaves nothing behind.
   */
  abandon(): void {
    const { path } = this;
    const unused = path !== null && this.created && fstatSync(this.#fd).size === 0;
    this.close();
    if (path !== null && unused) rmSync(path, { force: true });
  }
}
