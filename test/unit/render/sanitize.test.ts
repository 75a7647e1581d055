import { describe, expect, it } from 'vitest';
import { sanitize } from '../../../src/render/sanitize.js';

describe('sanitize', () => {
  it.each([
    ['plain', 'cat', 'cat'],
    ['UTF-8 is kept', 'café/файл', 'café/файл'],
    ['backslash is kept', 'a\\b', 'a\\b'],
    ['newline', 'a\nb', 'a\\nb'],
    ['carriage return and tab', 'a\rb\tc', 'a\\rb\\tc'],
    ['ESC of a colour sequence', 'x\u001b[31mred', 'x\\x1b[31mred'],
    ['NUL and BEL', '\u0000\u0007', '\\x00\\x07'],
    ['DEL', 'a\u007f', 'a\\x7f'],
    ['C1 CSI (8-bit ESC [)', 'a\u009b2J', 'a\\x9b2J'],
    ['bidi override', 'evil\u202Etxt.exe', 'evil\\u{202e}txt.exe'],
    ['bidi isolate', '\u2066x\u2069', '\\u{2066}x\\u{2069}'],
  ])('%s', (_name, input, output) => {
    expect(sanitize(input)).toBe(output);
  });

  it('returns the same string object when nothing needs escaping', () => {
    const s = 'openat /etc/hostname';
    expect(sanitize(s)).toBe(s);
  });

  it('leaves nothing a terminal would interpret', () => {
    let all = '';
    for (let c = 0; c < 0x3000; c++) all += String.fromCharCode(c);
    expect(sanitize(all)).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
  });
});
