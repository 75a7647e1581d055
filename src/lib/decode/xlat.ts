/*
 * Named constants and flag sets, printed the way strace prints them: flags
 * as NAME|NAME|0x<rest>, a constant as its NAME, or for an unknown value its
 * hex and a comment naming the set (0x7 then SEEK_??? in a C comment).
 * Tables are kept in strace's order, which is the order names are printed in.
 */

export interface Xlat {
  readonly entries: readonly (readonly [bigint, string])[];
  /** what the comment after an unknown value says: "SEEK_???" */
  readonly unknown: string;
}

/**
 * Constants named by their C macros: xlatOf('SEEK', { SEEK_SET: 0, ... }).
 * unknown is the set's prefix ("SEEK" gives "SEEK_???"), or strace's whole
 * text where it is not that ("?_OK").
 */
export function xlatOf(unknown: string, values: Readonly<Record<string, number | bigint>>): Xlat {
  return {
    unknown: unknown.includes('?') ? unknown : `${unknown}_???`,
    entries: Object.entries(values).map(([n, v]) => [BigInt(v), n] as const),
  };
}

/** The name of v, or undefined. */
export function nameOf(table: Xlat, v: bigint): string | undefined {
  for (const [value, name] of table.entries) if (value === v) return name;
  return undefined;
}

/** One value of a set: its name, or its hex with the comment strace adds for an unknown one. */
export function constant(table: Xlat, v: bigint): string {
  return nameOf(table, v) ?? unknownValue(table, v);
}

function unknownValue(table: Xlat, v: bigint): string {
  return `${hexOf(v)} /* ${table.unknown} */`;
}

function hexOf(v: bigint): string {
  return v === 0n ? '0' : `0x${v.toString(16)}`;
}

/**
 * Flags: every name whose bits are all set, in table order, each taking its
 * bits; what is left as hex.
 */
function flagList(table: Xlat, v: bigint): { names: string[]; rest: bigint } {
  const names: string[] = [];
  let rest = v;
  for (const [value, name] of table.entries) {
    if (value !== 0n && (rest & value) === value) {
      names.push(name);
      rest &= ~value;
    }
  }
  return { names, rest };
}

/** Flags as text; zero is what no flag at all prints as, and bits without a name at all get the set's comment. */
export function flags(table: Xlat, v: bigint, zero = '0'): string {
  if (v === 0n) return zero;
  const { names, rest } = flagList(table, v);
  if (names.length === 0) return unknownValue(table, v);
  if (rest !== 0n) names.push(hexOf(rest));
  return names.join('|');
}
