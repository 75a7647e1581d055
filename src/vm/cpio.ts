/**
 * Minimal writer for the "newc" cpio format the kernel unpacks as an
 * initramfs. Written here rather than shelling out to cpio(1) so that device
 * nodes (/dev/console) can be put in the archive without root or mknod.
 */

export type CpioEntry =
  | { kind: 'dir'; path: string; mode?: number }
  | { kind: 'file'; path: string; data: Buffer; mode?: number }
  | { kind: 'symlink'; path: string; target: string }
  | { kind: 'chardev'; path: string; major: number; minor: number; mode?: number };

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;

/** A header field: eight hex digits, so anything past 32 bits would shift every field after it. */
function hex8(value: number): string {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw new RangeError(`cpio: ${value} does not fit a 32-bit header field`);
  return value.toString(16).padStart(8, '0');
}

/** Pads to the 4-byte alignment newc requires after headers and data. */
function pad4(length: number): Buffer {
  return Buffer.alloc((4 - (length % 4)) % 4);
}

interface RawEntry {
  name: string;
  mode: number;
  data: Buffer;
  rdevMajor: number;
  rdevMinor: number;
}

function toRaw(entry: CpioEntry): RawEntry {
  // The kernel wants archive names without a leading slash.
  const name = entry.path.replace(/^\/+/, '');
  // The name ends at its first NUL: one inside it would name another file.
  if (name === '' || name.includes('\0')) throw new RangeError(`cpio: invalid entry name ${JSON.stringify(entry.path)}`);
  // Permission bits only: the type bits come from the kind, and an OR would mix two types.
  const mode = 'mode' in entry ? entry.mode : undefined;
  if (mode !== undefined && (!Number.isInteger(mode) || mode < 0 || mode > 0o7777)) {
    throw new RangeError(`cpio: mode ${mode} of ${entry.path} is not permission bits (0 to 0o7777)`);
  }
  if (entry.kind === 'symlink' && (entry.target === '' || entry.target.includes('\0'))) {
    throw new RangeError(`cpio: invalid symlink target ${JSON.stringify(entry.target)} for ${entry.path}`);
  }
  switch (entry.kind) {
    case 'dir':
      return { name, mode: S_IFDIR | (entry.mode ?? 0o755), data: Buffer.alloc(0), rdevMajor: 0, rdevMinor: 0 };
    case 'file':
      return { name, mode: S_IFREG | (entry.mode ?? 0o644), data: entry.data, rdevMajor: 0, rdevMinor: 0 };
    case 'symlink':
      return { name, mode: S_IFLNK | 0o777, data: Buffer.from(entry.target), rdevMajor: 0, rdevMinor: 0 };
    case 'chardev':
      return { name, mode: S_IFCHR | (entry.mode ?? 0o600), data: Buffer.alloc(0), rdevMajor: entry.major, rdevMinor: entry.minor };
  }
}

function encodeEntry(raw: RawEntry, ino: number): Buffer[] {
  const nameBytes = Buffer.from(`${raw.name}\0`);
  const fields = [
    ino,
    raw.mode,
    0, // uid
    0, // gid
    1, // nlink
    0, // mtime: fixed so the same input gives a byte-identical archive
    raw.data.length,
    0, // dev major
    0, // dev minor
    raw.rdevMajor,
    raw.rdevMinor,
    nameBytes.length,
    0, // check (unused by newc)
  ];
  const header = Buffer.from(`070701${fields.map(hex8).join('')}`, 'ascii');
  return [header, nameBytes, pad4(header.length + nameBytes.length), raw.data, pad4(raw.data.length)];
}

/** Builds a complete archive, parents before children as the caller lists them. */
export function buildCpio(entries: readonly CpioEntry[]): Buffer {
  const parts: Buffer[] = [];
  entries.forEach((entry, index) => parts.push(...encodeEntry(toRaw(entry), index + 1)));
  parts.push(...encodeEntry({ name: 'TRAILER!!!', mode: 0, data: Buffer.alloc(0), rdevMajor: 0, rdevMinor: 0 }, 0));
  return Buffer.concat(parts);
}
