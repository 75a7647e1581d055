// errno names <-> numbers, from Node's own table (os.constants.errno), so the
// names are the ones Node users see in err.code.
import { constants } from 'node:os';
import { getSystemErrorMap } from 'node:util';

const byName = new Map<string, number>();
const byNumber = new Map<number, string>();

// Linux has two names for these numbers; strerrorname_np (what the addon
// reports in err.code) and the kernel use the first.
const PREFERRED = new Set(['EAGAIN', 'EOPNOTSUPP', 'EDEADLK']);

for (const [name, value] of Object.entries(constants.errno as Record<string, number>)) {
  byName.set(name, value);
  const have = byNumber.get(value);
  if (have === undefined || (PREFERRED.has(name) && !PREFERRED.has(have))) byNumber.set(value, name);
}

const messages = getSystemErrorMap();

/** 'EPERM' for 1; the decimal number for errnos Node has no name for. */
export function errnoName(errno: number): string {
  return byNumber.get(errno) ?? String(errno);
}

/** The number of an errno name ('EPERM', case-insensitive), or undefined. */
export function errnoNumber(name: string): number | undefined {
  return byName.get(name.toUpperCase());
}

/** "operation not permitted" for 1 (libuv's text); "" when unknown. */
export function errnoMessage(errno: number): string {
  return messages.get(-errno)?.[1] ?? '';
}

/** Every known errno name, for suggestions and help. */
export function errnoNames(): string[] {
  return [...byName.keys()];
}

/** errnoName(n) at index n for 1..max (index 0 empty): the table the addon's NDJSON formatter takes. */
export function errnoNamesByNumber(max: number): string[] {
  const names: string[] = [];
  for (let e = 1; e <= max; e++) names[e] = errnoName(e);
  return names;
}
