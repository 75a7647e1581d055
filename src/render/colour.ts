/*
 * The one place that decides whether output is coloured.  chalk's own
 * detection reads process.argv and the environment behind our back, so we
 * never use its default instance: a Palette is built from an explicit
 * decision, which also lets tests pin it.
 */
import { Chalk, type ChalkInstance } from 'chalk';

export interface ColourInputs {
  /** is the stream we are about to write to a terminal? */
  isTTY: boolean;
  env: Readonly<Record<string, string | undefined>>;
  /** commander's value for --color / --no-color: false when --no-color was given */
  flag?: boolean;
}

/** --no-color wins, then NO_COLOR (any non-empty value, per no-color.org), then TTY-ness. */
export function colourEnabled({ isTTY, env, flag }: ColourInputs): boolean {
  if (flag === false) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (!isTTY) return false;
  return env.TERM !== 'dumb';
}

export interface Palette {
  readonly enabled: boolean;
  blocked(s: string): string;
  wouldBlock(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
  warn(s: string): string;
  ok(s: string): string;
}

const identity = (s: string): string => s;

export function palette(enabled: boolean): Palette {
  if (!enabled) {
    return { enabled, blocked: identity, wouldBlock: identity, dim: identity, bold: identity, warn: identity, ok: identity };
  }
  // Level 1 (16 colours) is all we use and every colour terminal has it.
  const c: ChalkInstance = new Chalk({ level: 1 });
  return {
    enabled,
    blocked: (s) => c.red.bold(s),
    wouldBlock: (s) => c.yellow(s),
    dim: (s) => c.dim(s),
    bold: (s) => c.bold(s),
    warn: (s) => c.yellow(s),
    ok: (s) => c.green(s),
  };
}
