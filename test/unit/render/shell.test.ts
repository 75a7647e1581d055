// A command line shown so that it can be copied back: each case is read
// back by a real shell and must give the same words.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { shellWord, shellWords } from '../../../src/render/shell.js';

describe('shellWords', () => {
  it.each([
    ['plain words stay as they are', ['/bin/cat', '/etc/hostname'], '/bin/cat /etc/hostname'],
    ['a script is one quoted word', ['sh', '-c', 'cat /etc/hostname; touch /tmp/x'], "sh -c 'cat /etc/hostname; touch /tmp/x'"],
    ['single quotes inside', ['echo', "it's"], "echo 'it'\\''s'"],
    ['the empty word', ['printf', ''], "printf ''"],
    ['globs and variables are quoted', ['ls', '*', '$HOME'], "ls '*' '$HOME'"],
    ['a newline', ['printf', 'a\nb'], "printf $'a\\nb'"],
    ['an escape sequence never reaches the terminal raw', ['echo', '\u001b[2J'], "echo $'\\x1b[2J'"],
  ])('%s', (_name, argv, line) => {
    expect(shellWords(argv)).toBe(line);
  });

  it.each([
    [['sh', '-c', 'cat /etc/hostname; touch /tmp/x']],
    [['echo', "it's", '', '*', '$HOME', 'a"b', 'back\\slash']],
    [['printf', 'a\nb\tc', '\u001b[2J', "x'y\nz"]],
  ])('bash reads %j back as the same words', (argv) => {
    const r = spawnSync('bash', ['-c', `for w in ${shellWords(argv)}; do printf '%s\\0' "$w"; done`], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout.split('\0').slice(0, -1)).toEqual(argv);
  });

  it('a word with only safe characters needs no quotes', () => {
    expect(shellWord('a-b_c.d/e:f,g=h+i@j%k')).toBe('a-b_c.d/e:f,g=h+i@j%k');
  });
});
