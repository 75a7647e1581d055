// A flag that takes one value, given twice: commander keeps the last and
// drops the first without a word, so `daemon --policy a --policy b` would
// enforce b alone. Each is refused (exit 2) before anything is touched.
import { describe, expect, it } from 'vitest';
import { createFakeBinding } from '../fake-binding.js';
import { FakeKmod, runCli } from './harness.js';

describe('a one-value flag given twice', () => {
  it.each([
    ['load --ring-size', ['load', '--ring-size', '3', '--ring-size', '1M']],
    ['load --return-slots', ['load', '--return-slots', '10', '--return-slots', '20']],
    ['ps --sort', ['ps', '--sort', 'rss', '--sort', 'pid']],
    ['daemon --policy', ['daemon', '--policy', '/tmp/a.yaml', '--policy', '/tmp/b.yaml']],
    ['daemon --output', ['daemon', '--policy', '/tmp/a.yaml', '--output', '/tmp/a', '--output', '/tmp/b']],
    ['daemon --metrics', ['daemon', '--policy', '/tmp/a.yaml', '--metrics', ':1', '--metrics', ':2']],
    ['daemon --on-stop', ['daemon', '--policy', '/tmp/a.yaml', '--on-stop', 'off', '--on-stop', 'keep']],
    ['daemon --ring-size', ['daemon', '--policy', '/tmp/a.yaml', '--ring-size', '1M', '--ring-size', '2M']],
    ['--exits', ['--exits', 'on', '--exits', 'off']],
    ['--file', ['--log', '--file', '/tmp/a.json', '--file', '/tmp/b.json']],
    ['--errno', ['--block', '--syscall', 'write', '--errno', 'EACCES', '--errno', 'EPERM']],
    ['--record', ['--log', '--syscall', 'read', '--record', 'entry', '--record', 'complete']],
  ])('%s: exit 2, one line naming it, nothing done', async (flag, argv) => {
    const fake = createFakeBinding();
    const kmod = new FakeKmod();
    const r = await runCli(argv, { fake, kmod });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^syscallmon: .*${flag.split(' ').pop()} is given twice: it takes one value \\(see --help\\)\\n$`));
    expect(r.stdout).toBe('');
    expect(fake.calls).toEqual([]);
    expect(kmod.calls).toEqual([]);
  });

  it('daemon --on-stop once is taken, and without it keep is the default shown', async () => {
    const help = await runCli(['daemon', '--help']);
    expect(help.stdout).toMatch(/--on-stop <what> .*\(default: keep\)/s);
    const r = await runCli(['daemon', '--policy', '/nonexistent/p.yaml', '--on-stop', 'off']);
    expect(r.stderr).not.toMatch(/given twice/);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cannot read the policy file/);
  });
});
