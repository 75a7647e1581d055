/*
 * Finding CMD as the shell that execs it in the VM would: a name with a
 * slash is a file (relative to the working directory), any other name is
 * looked for in the search path.  The VM's root is the host's, so the host
 * can tell before a VM boots that CMD is missing (127) or cannot be run
 * (126); the guest looks again before it starts CMD, in its own words too.
 */
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { shellWord } from '../render/shell.js';

export type FoundCommand =
  | {
      ok: true;
      /** the file, as an absolute path */
      file: string;
      /**
       * the path /bin/sh hands execve, and the module records as it is: the
       * name when it has a slash, else the search path's entry, a slash and
       * the name (the name alone for an empty entry), relative when they
       * are; so dash does it, bash hands execve the absolute file
       */
      execPath: string;
    }
  | { ok: false; status: 126 | 127; message: string };

/** File systems the VM mounts its own of: what the host has there says nothing of the VM's. */
const VM_OWN = ['/proc', '/sys', '/dev'];

function under(file: string, dir: string): boolean {
  return file === dir || file.startsWith(`${dir}/`);
}

/** Why file can't be exec'd, or null when it can. */
function unrunnable(file: string): { status: 126 | 127; why: string } | null {
  let isFile: boolean;
  try {
    const st = statSync(file);
    if (st.isDirectory()) return { status: 126, why: 'is a directory' };
    isFile = st.isFile();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { status: 127, why: 'no such file' };
    return { status: 126, why: `cannot be read (${code ?? 'error'})` };
  }
  if (!isFile) return { status: 126, why: 'is not a regular file' };
  try {
    accessSync(file, constants.X_OK);
  } catch {
    return { status: 126, why: 'is not executable (no x permission)' };
  }
  return null;
}

export function findCommand(name: string, where: { path: string; cwd: string }): FoundCommand {
  if (name === '') return { ok: false, status: 127, message: 'the command is an empty string' };
  // Quoted as a shell would take it back: a newline or an escape sequence in
  // CMD's name must neither split the message nor reach the terminal raw.
  const shown = shellWord(name);
  if (name.includes('/')) {
    const file = resolve(where.cwd, name);
    if (VM_OWN.some((dir) => under(file, dir))) return { ok: true, file, execPath: name };
    const bad = unrunnable(file);
    return bad ? { ok: false, status: bad.status, message: `${shown}: ${bad.why}` } : { ok: true, file, execPath: name };
  }
  let firstBad: { status: 126 | 127; why: string; file: string } | null = null;
  for (const dir of where.path.split(':')) {
    // An empty entry is the working directory, as POSIX has it.
    const file = resolve(where.cwd, dir === '' ? '.' : dir, name);
    const bad = unrunnable(file);
    if (!bad) return { ok: true, file, execPath: dir === '' ? name : `${dir}/${name}` };
    if (bad.status === 126 && firstBad === null) firstBad = { ...bad, file };
  }
  // Like the shell: a file that is there but can't be run is reported as such.
  if (firstBad) return { ok: false, status: 126, message: `${shown}: ${shellWord(firstBad.file)} ${firstBad.why}` };
  return { ok: false, status: 127, message: `${shown}: not found in PATH (${shellWord(where.path)})` };
}

/**
 * The index of the first word of command that is not what this process was
 * given, or -1: node decodes its arguments as UTF-8, so bytes that are not
 * arrive as U+FFFD, and the VM would run CMD with those instead.  Looked up
 * in /proc/self/cmdline when command is the end of this process's argv
 * (the CLI as run from a shell); -1 otherwise.
 */
export function undecodedWord(
  command: readonly string[],
  argv: readonly string[] = process.argv,
  cmdline: () => Buffer = () => readFileSync('/proc/self/cmdline'),
): number {
  if (command.length === 0 || argv.length < command.length) return -1;
  const tail = argv.slice(-command.length);
  if (tail.some((word, i) => word !== command[i])) return -1;
  if (!command.some((word) => word.includes('\uFFFD'))) return -1;
  let raw: Buffer[];
  try {
    const all = cmdline();
    const words: Buffer[] = [];
    for (let at = 0; at < all.length; ) {
      const end = all.indexOf(0, at);
      words.push(all.subarray(at, end < 0 ? all.length : end));
      at = end < 0 ? all.length : end + 1;
    }
    raw = words.slice(-command.length);
  } catch {
    return -1;
  }
  if (raw.length !== command.length) return -1;
  return command.findIndex((word, i) => !Buffer.from(word).equals(raw[i]!));
}
