import { describe, expect, it } from 'vitest';
import { colourEnabled, palette } from '../../../src/render/colour.js';

describe('colourEnabled: one decision from TTY, NO_COLOR and --no-color', () => {
  it.each([
    ['terminal', { isTTY: true, env: {} }, true],
    ['pipe or file', { isTTY: false, env: {} }, false],
    ['--no-color on a terminal', { isTTY: true, env: {}, flag: false }, false],
    ['NO_COLOR=1', { isTTY: true, env: { NO_COLOR: '1' } }, false],
    ['NO_COLOR empty counts as unset (no-color.org)', { isTTY: true, env: { NO_COLOR: '' } }, true],
    ['TERM=dumb', { isTTY: true, env: { TERM: 'dumb' } }, false],
    ['commander default (flag true) on a terminal', { isTTY: true, env: {}, flag: true }, true],
  ] as const)('%s', (_name, inputs, expected) => {
    expect(colourEnabled(inputs)).toBe(expected);
  });
});

describe('palette', () => {
  it('is the identity when colour is off', () => {
    const p = palette(false);
    expect(p.blocked('BLOCKED EPERM')).toBe('BLOCKED EPERM');
    expect(p.bold('x')).toBe('x');
  });

  it('paints blocked red when colour is on, whatever chalk would have guessed', () => {
    const p = palette(true);
    expect(p.blocked('BLOCKED')).toBe('\u001b[31m\u001b[1mBLOCKED\u001b[22m\u001b[39m');
  });
});
