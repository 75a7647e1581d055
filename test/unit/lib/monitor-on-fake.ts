// A Monitor over a fresh fake binding, and what a failing call throws, as
// the library's tests compare them.
import type { SyscallmonError } from '../../../src/lib/errors.js';
import { Monitor } from '../../../src/lib/monitor.js';
import { FakeBinding } from '../fake-binding.js';

/** A Monitor opened on a new FakeBinding; `init` sets the fake up before the open. */
export function openOnFake(init?: (f: FakeBinding) => void): { fake: FakeBinding; mon: Monitor } {
  const fake = new FakeBinding();
  init?.(fake);
  return { fake, mon: Monitor.open({ binding: fake }) };
}

/** "kind: message" of the error fn throws, or 'no error'. */
export function kindOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return `${(e as SyscallmonError).kind}: ${(e as Error).message}`;
  }
  return 'no error';
}
