/*
 * Text that comes from the kernel (comm, path) is chosen by whoever named the
 * process or the file, so it may carry escape sequences that rewrite the
 * user's terminal.  Everything bound for a terminal passes through here.
 * NDJSON does not: JSON.stringify already escapes C0, and machines want the
 * exact bytes.
 */

// C0 controls, DEL, C1 controls (ESC's 8-bit twins: 0x9b is CSI), and the
// bidirectional overrides that make a name display as something else.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/u;
const UNSAFE_ALL = new RegExp(UNSAFE.source, 'gu');

const NAMED: Readonly<Record<string, string>> = {
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
};

function escapeOne(ch: string): string {
  const named = NAMED[ch];
  if (named !== undefined) return named;
  const code = ch.codePointAt(0) ?? 0;
  return code <= 0xff
    ? `\\x${code.toString(16).padStart(2, '0')}`
    : `\\u{${code.toString(16)}}`;
}

/** Makes s safe to print: control and bidi characters become visible escapes. */
export function sanitize(s: string): string {
  // Most names are clean: test first so the common case allocates nothing.
  return UNSAFE.test(s) ? s.replace(UNSAFE_ALL, escapeOne) : s;
}
