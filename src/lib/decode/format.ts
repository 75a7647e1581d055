/*
 * How strace writes the pieces of a call: numbers of each C type, pointers,
 * octal modes, quoted strings and fd targets.
 */

const MASK32 = 0xffffffffn;

/** The value as a C int (the low 32 bits, signed): how the kernel reads fds, pids and int flags. */
export function int(v: bigint): number {
  return Number(BigInt.asIntN(32, v));
}

/** The value as a C unsigned int. */
export function uint(v: bigint): number {
  return Number(v & MASK32);
}

/** A long (off_t, loff_t, ssize_t): signed 64 bits. */
export function long(v: bigint): string {
  return BigInt.asIntN(64, v).toString();
}

/** An unsigned long (size_t): unsigned 64 bits. */
export function ulong(v: bigint): string {
  return BigInt.asUintN(64, v).toString();
}

/** C's %#lx: "0" for zero, else 0x and lower-case hex. */
export function hex(v: bigint): string {
  const u = BigInt.asUintN(64, v);
  return u === 0n ? '0' : `0x${u.toString(16)}`;
}

/** An address: NULL or 0x... */
export function pointer(v: bigint): string {
  const u = BigInt.asUintN(64, v);
  return u === 0n ? 'NULL' : `0x${u.toString(16)}`;
}

/** A uid_t or gid_t: -1 (no change) for all ones, else unsigned. */
export function id(v: bigint): string {
  const u = uint(v);
  return u === 0xffffffff ? '-1' : String(u);
}

/** C's %#03o, how strace writes modes: 000, 0644, 04755. */
export function octal(v: number): string {
  const digits = v.toString(8);
  return digits.length >= 2 ? `0${digits}` : `0${digits.padStart(2, '0')}`;
}

const NAMED_ESCAPES: Readonly<Record<number, string>> = {
  0x09: '\\t', 0x0a: '\\n', 0x0b: '\\v', 0x0c: '\\f', 0x0d: '\\r', 0x22: '\\"', 0x5c: '\\\\',
};

/**
 * strace's quoting of a byte string (without the quotes): printable ASCII
 * as it is, C escapes for the usual controls, quotes and backslashes, octal
 * for every other byte (UTF-8 included) — three digits only when a digit
 * follows, so the escape can't swallow it.  extra holds characters escaped
 * in octal too ("<>" inside an fd target).
 */
function quoteBytes(bytes: Uint8Array, extra = ''): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i] as number;
    const named = NAMED_ESCAPES[c];
    if (named !== undefined) {
      out += named;
    } else if (c >= 0x20 && c < 0x7f && !extra.includes(String.fromCharCode(c))) {
      out += String.fromCharCode(c);
    } else {
      const next = bytes[i + 1];
      const digitFollows = next !== undefined && next >= 0x30 && next <= 0x37;
      out += '\\' + (digitFollows ? c.toString(8).padStart(3, '0') : c.toString(8));
    }
  }
  return out;
}

const utf8 = new TextEncoder();

/** A string argument as strace prints it: "..." and, when the record holds only its start, "..."... */
export function quoted(bytes: Uint8Array, truncated = false): string {
  return `"${quoteBytes(bytes)}"${truncated ? '...' : ''}`;
}

const DELETED = utf8.encode(' (deleted)');

function endsWith(bytes: Uint8Array, tail: Uint8Array): boolean {
  const at = bytes.length - tail.length;
  return at >= 0 && tail.every((b, i) => bytes[at + i] === b);
}

/** An fd's target the way strace -y decorates the fd: <path>, with a deleted file's mark after it. */
export function targetSuffix(target: Uint8Array): string {
  const deleted = endsWith(target, DELETED);
  const path = deleted ? target.subarray(0, target.length - DELETED.length) : target;
  return `<${quoteBytes(path, '<>')}>${deleted ? '(deleted)' : ''}`;
}

/** seconds with microseconds, like strace -T's <0.000012> */
export function seconds(ns: bigint | number): string {
  const n = BigInt(ns);
  const micros = n / 1000n; // truncated, as strace does
  return `${micros / 1_000_000n}.${(micros % 1_000_000n).toString().padStart(6, '0')}`;
}
