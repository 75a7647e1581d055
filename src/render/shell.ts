/*
 * A command line as a shell would take it back: words that need no quoting
 * as they are, others in single quotes, and words with control characters
 * in $'…' (bash, zsh, ksh and POSIX 2024 sh), so nothing reaches the
 * terminal raw and the line can be copied and run again.
 */
const PLAIN = /^[A-Za-z0-9_@%+=:,./-]+$/;
// Controls, DEL, C1 and the bidi overrides, as sanitize() has them.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/u;

const ESCAPES: Readonly<Record<string, string>> = { '\n': '\\n', '\t': '\\t', '\r': '\\r', "'": "\\'", '\\': '\\\\' };

function ansiC(word: string): string {
  let out = "$'";
  for (const ch of word) {
    const code = ch.codePointAt(0) ?? 0;
    if (ESCAPES[ch] !== undefined) out += ESCAPES[ch];
    else if (UNSAFE.test(ch)) out += code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return out + "'";
}

/** One word, quoted only as much as it needs. */
export function shellWord(word: string): string {
  if (PLAIN.test(word)) return word;
  if (UNSAFE.test(word)) return ansiC(word);
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** argv as one line a shell reads back as the same argv. */
export function shellWords(argv: readonly string[]): string {
  return argv.map(shellWord).join(' ');
}
