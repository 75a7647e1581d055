// Packages only some commands need (the policy files' parser and validator,
// the daemon's metrics) are loaded the first time they are used: every
// command, and every library user, would otherwise pay for loading them,
// which is a good part of the CLI's start-up.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** The package `name`, required on the first call. */
export function lazy<T>(name: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= require(name) as T);
}
