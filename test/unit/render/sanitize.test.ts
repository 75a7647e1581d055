import { describe, expect, it } from 'vitest';
import { sanitize } from '../../../src/render/sanitize.js';

describe('sanitize', () => {
  it.each([
    { name: 'plain', text: 'cat', shown: 'cat' },
    { name: 'UTF-8 is kept', text: 'café/файл', shown: 'café/файл' },
    { name: 'backslash is kept', text: 'a\\b', shown: 'a\\b' },
    { name: 'newline', text: 'a\nb', shown: 'a\\nb' },
    { name: 'carriage return and tab', text: 'a\rb\tc', shown: 'a\\rb\\tc' },
    { name: 'ESC of a colour sequence', text: 'x\u001b[31mred', shown: 'x\\x1b[31mred' },
    { name: 'NUL and BEL', text: '\u0000\u0007', shown: '\\x00\\x07' },
    { name: 'DEL', text: 'a\u007f', shown: 'a\\x7f' },
    { name: 'C1 CSI (8-bit ESC [)', text: 'a\u009b2J', shown: 'a\\x9b2J' },
    { name: 'bidi override', text: 'evil\u202Etxt.exe', shown: 'evil\\u{202e}txt.exe' },
    { name: 'bidi isolate', text: '\u2066x\u2069', shown: '\\u{2066}x\\u{2069}' },
  ])('$name', ({ text, shown }) => {
    expect(sanitize(text)).toBe(shown);
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
