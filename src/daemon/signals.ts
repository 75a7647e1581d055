// The daemon's SIGHUP and SIGUSR1 must never meet Node's default actions:
// SIGHUP kills the process, and SIGUSR1 starts the inspector, a debugger on
// 127.0.0.1:9229 that any local user may attach to and run code in a root
// process. The daemon command takes both before its first await and holds
// them for the whole life of the process; one that arrives while nobody
// listens (before the daemon has started, after it stopped) is kept, and the
// next listener for it runs once.
import type { SignalSource } from './daemon.js';

/** The signals held: the ones the daemon acts on whose default action is not to stop. */
export const HELD_SIGNALS: readonly NodeJS.Signals[] = ['SIGHUP', 'SIGUSR1'];

/**
 * A SignalSource over another that always listens for HELD_SIGNALS on it;
 * every other signal is passed through as it is.
 */
export class HeldSignals implements SignalSource {
  readonly #listeners = new Map<NodeJS.Signals, Set<() => void>>();
  /** arrived while nobody listened; a second arrival before delivery is the same request */
  readonly #pending = new Set<NodeJS.Signals>();

  constructor(private readonly source: SignalSource) {
    for (const signal of HELD_SIGNALS) {
      this.#listeners.set(signal, new Set());
      // Never removed: without a listener the process meets the default action.
      source.on(signal, () => this.#arrived(signal));
    }
  }

  on(signal: NodeJS.Signals, listener: () => void): this {
    const listeners = this.#listeners.get(signal);
    if (!listeners) {
      this.source.on(signal, listener);
      return this;
    }
    listeners.add(listener);
    if (this.#pending.delete(signal)) listener();
    return this;
  }

  off(signal: NodeJS.Signals, listener: () => void): this {
    const listeners = this.#listeners.get(signal);
    if (listeners) listeners.delete(listener);
    else this.source.off(signal, listener);
    return this;
  }

  #arrived(signal: NodeJS.Signals): void {
    const listeners = this.#listeners.get(signal) ?? new Set();
    if (listeners.size === 0) this.#pending.add(signal);
    for (const listener of [...listeners]) listener();
  }
}
