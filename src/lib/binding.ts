// The raw N-API addon (native/), declared as an interface so the library can
// take a fake in host tests (node-pty's native.d.ts, better-sqlite3's
// nativeBinding option). The addon only converts values and makes syscalls:
// numbers mean what kernel/include/uapi/syscallmon.h says, nothing is
// validated or defaulted here.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export interface RawTarget {
  nr: number;
  action: number;
  err: number;
  flags: number;
  /** enum syscallmon_record_mode */
  record: number;
  pids: number[];
}

/** struct syscallmon_target_info, field for field (npids is the length of pids). */
export interface RawTargetInfo extends RawTarget {
  armed: boolean;
  hits: bigint;
  logged: bigint;
  blocked: bigint;
  missed: bigint;
  no_result: bigint;
  failed_skipped: bigint;
}

/** struct syscallmon_status, field for field (the header's names). */
export interface RawStatus {
  api_version: number;
  mode: number;
  flags: number;
  return_slots: number;
  ntargets: number;
  armed: number;
  readers: number;
  hooked: number;
  ring_size: bigint;
  head: bigint;
  tail: bigint;
  head_seq: bigint;
  tail_seq: bigint;
  events: bigint;
  overwritten: bigint;
  cleared: bigint;
  reader_lost: bigint;
  reader_seq: bigint;
  exits: bigint;
  missed: bigint;
  no_result: bigint;
  calls_in_flight: bigint;
  allocs_live: bigint;
  nrules: number;
  file_hooks: number;
  tree_missed: bigint;
  file_hooks_missed: bigint;
  config_records: bigint;
  mode_set: number;
  mode_holders: number;
  exits_holders: number;
}

/** struct syscallmon_id_range */
export interface RawIdRange {
  min: number;
  max: number;
}

/**
 * struct syscallmon_rule, field for field, but syscalls: the numbers whose
 * bits the bitmap sets, and pids: the list npids and pids point to.
 */
export interface RawRule {
  id: number;
  /** enum syscallmon_rule_class */
  rule_class: number;
  name: string;
  syscalls: number[];
  /** enum syscallmon_rule_action */
  action: number;
  err: number;
  /** SYSCALLMON_RULE_*, SYSCALLMON_SEL_* */
  flags: number;
  /** enum syscallmon_record_mode */
  record: number;
  /** SYSCALLMON_FILE_* */
  file_ops: number;
  pids: number[];
  uid: RawIdRange;
  euid: RawIdRange;
  auid: RawIdRange;
  gid: RawIdRange;
  comm: string;
  exe: string;
  cgroup: string;
  path: string;
  file: string;
}

/** struct syscallmon_rule_info, field for field; its rule has npids (how many processes it holds) for pids. */
export interface RawRuleInfo {
  rule: Omit<RawRule, 'pids'> & { npids: number };
  exe_dev: bigint;
  exe_ino: bigint;
  cgroup_id: bigint;
  matched: bigint;
  logged: bigint;
  blocked: bigint;
  killed: bigint;
  would_act: bigint;
  file_dev: bigint;
  file_ino: bigint;
  /** SYSCALLMON_RULE_STALE */
  state: number;
}

/** struct syscallmon_policy, with its rules as a list. */
export interface RawPolicy {
  mode: number;
  /** SYSCALLMON_EXITS_* */
  exits: number;
  tag: string;
  rules: RawRule[];
}

export interface RawVersion {
  apiVersion: number;
  recordMax: number;
  maxPids: number;
  nrLimit: number;
}

export interface SyscallEntry {
  nr: number;
  name: string;
  /** kernel entry point the module probes, e.g. "__x64_sys_openat" */
  symbol: string;
  /** index of the first user-path argument, -1 when there is none */
  pathArg: number;
  /** index of the first fd argument (a dirfd for *at calls), -1 when there is none */
  fdArg: number;
}

/** A member of a record struct: offsetof() and its C type ("u32", "s64", "u64[6]", "char[16]", "char[]"). */
export interface RawMember {
  offset: number;
  type: string;
}

/** A record struct: sizeof() of its fixed part and every member, embedded structs' as "h.seq", "task.pid". */
export interface RawRecordStruct {
  size: number;
  members: Record<string, RawMember>;
}

export type RecordStructName = 'syscall' | 'exit' | 'config' | 'lost';

/** How NDJSON writes a field (kernel/include/uapi/syscallmon_schema.h). */
export type FieldKind = 'DECIMAL' | 'DECIMAL_STRING' | 'HEX' | 'ISO_TIME' | 'STRING' | 'BOOL';

/** One row of the event schema (kernel/include/uapi/syscallmon_schema.h), in its order. */
export interface SchemaField {
  name: string;
  kind: FieldKind;
  /** null in a record that lacks it */
  nullable: boolean;
  /** the record types that carry it: bit (1 << RECORD_*) */
  records: number;
  /** the struct it is read from, and the member */
  rec: RecordStructName;
  member: string;
  /** the SYSCALLMON_SYSCALL_* flag a BOOL is, or without which a nullable field is null; 0: none */
  flag: number;
}

export interface StreamHandle {
  /** Ends the stream; idempotent. No onBatch call follows it. */
  stop(): void;
  /**
   * Bytes of records the kernel waits for before it wakes the stream: 1
   * (any record), or a quarter of the ring while a flood lasts.
   */
  wakeup(): number;
}

export type BatchCallback = (err: Error | null, batch: Buffer | null) => void;

export interface Binding {
  /**
   * Every integer SYSCALLMON_* constant of the uapi headers by its name
   * without the prefix (MODE_BLOCK, TARGET_ALL_PIDS, API_VERSION, RECORD_MAX…).
   */
  constants: Record<string, number>;
  /** struct syscallmon_syscall, _exit, _config and _lost as the addon was compiled against them */
  records: Record<RecordStructName, RawRecordStruct>;
  /** the event schema's table, field by field */
  schema: SchemaField[];
  /** SYSCALLMON_DEVICE_PATH and SYSCALLMON_PROC_DIR, the header's two string constants */
  devicePath: string;
  procDir: string;
  /** generated from unistd_64.h by scripts/gen-syscalls.sh (the data the module uses) */
  syscalls: SyscallEntry[];

  /** O_RDWR | O_CLOEXEC (| O_NONBLOCK); returns the fd */
  open(path: string, nonblock: boolean): number;
  close(fd: number): void;
  getVersion(fd: number): RawVersion;
  setMode(fd: number, mode: number): void;
  /** SYSCALLMON_IOC_HOLD: while the file is open, the mode at least mode (MODE_OFF: none) and exit events on if EXITS_ON */
  hold(fd: number, mode: number, exits: number): void;
  addTarget(fd: number, t: RawTarget): void;
  delTarget(fd: number, nr: number): void;
  addPids(fd: number, nr: number, pids: number[]): void;
  delPids(fd: number, nr: number, pids: number[]): void;
  clear(fd: number, flags: number): void;
  getStatus(fd: number): RawStatus;
  getTargets(fd: number): RawTargetInfo[];
  seek(fd: number, whence: number): void;
  setExits(fd: number, on: boolean): void;
  /** SYSCALLMON_IOC_ADD_RULE (rule.id is ignored); returns the rule's id */
  addRule(fd: number, rule: RawRule): number;
  /** SYSCALLMON_IOC_DEL_RULE */
  /** SYSCALLMON_IOC_DEL_RULES: all of them in one step, or none (ENOENT: one is not there) */
  deleteRules(fd: number, ids: number[]): void;
  /** SYSCALLMON_IOC_GET_RULES: every rule, in evaluation order */
  getRules(fd: number): RawRuleInfo[];
  /** SYSCALLMON_IOC_REPLACE_POLICY */
  replacePolicy(fd: number, policy: RawPolicy): void;
  /** SYSCALLMON_IOC_GET_PIDS of rule id: the processes of its pid set or process tree, in our pid namespace */
  rulePids(fd: number, id: number): number[];
  /**
   * Non-blocking read() of whole records, at most maxBytes of them
   * (maxBytes >= RECORD_MAX); an empty Buffer when none (EAGAIN).
   */
  read(fd: number, maxBytes: number): Buffer;
  /**
   * Follows the device as a mapped reader (mmap + SYSCALLMON_IOC_FETCH),
   * woken by poll in Node's event loop: each wake-up hands over the whole
   * records that arrived, at most maxBytes of them (>= RECORD_MAX), as
   * onBatch(null, buf), a lost record first when some were overwritten
   * before the stream got to them. An error is delivered once as
   * onBatch(err, null) and ends the stream. coalesceMs > 0: after a batch
   * that did not fill maxBytes, wait that long before the next; under a
   * flood (16 KiB or more per wait), 20 ms or until a quarter of the ring
   * is pending, whichever comes first. transient:
   * each batch is a view of the stream's buffer, valid until the next,
   * instead of a copy. Stopping hands the file's cursor what was delivered.
   */
  startStream(fd: number, maxBytes: number, onBatch: BatchCallback, coalesceMs?: number, transient?: boolean): StreamHandle;
  /**
   * The NDJSON formatter in C (native/ndjson.cc): a function that turns a
   * batch of whole records into the NDJSON lines of the records selection
   * keeps, as UTF-8 bytes, byte for byte the library's JS encoder's; and
   * writes them to an fd instead (writeTo, writeLast). errnoNames[n] and
   * syscallNames[nr] are the library's names, handed over once (holes print
   * the number). The selection keeps every lost record, and the events of the
   * syscalls in nrs (none: every syscall, exit and config record) made by the processes or
   * threads in pids (none: every one); limit (0: none) caps the events
   * written over every call.
   */
  ndjsonFormatter(
    errnoNames: readonly (string | undefined)[],
    syscallNames: readonly (string | undefined)[],
    selection?: NdjsonSelection,
  ): NdjsonFormatter;
  /**
   * A stream like startStream's whose batches formatter writes to outFd as
   * NDJSON (waiting while outFd is full); JS gets onProgress(null, read,
   * shown, lost, full) per batch (FormatCounts). Once full the stream stops
   * by itself. A read or write error (or a record the formatter refuses)
   * is delivered once as onProgress(err) and ends the stream.
   */
  startNdjsonStream(
    fd: number,
    maxBytes: number,
    formatter: NdjsonFormatter,
    outFd: number,
    onProgress: NdjsonProgress,
    coalesceMs?: number,
  ): StreamHandle;
}

export interface NdjsonSelection {
  nrs?: readonly number[];
  pids?: readonly number[];
  limit?: number;
}

/** What one formatter call saw; records after the one that reached the limit are neither written nor counted. */
export interface FormatCounts {
  /** event records (syscall, exit and config) looked at */
  read: number;
  /** event records written */
  shown: number;
  /** the counts of the lost records looked at, summed */
  lost: number;
  /** the limit is reached: nothing more will be written */
  full: boolean;
}

export type NdjsonProgress = (err: Error | null, read?: number, shown?: number, lost?: number, full?: boolean) => void;

/**
 * Where writeTo's tally counts (a Float64Array of `slots` numbers): calls by
 * syscall and verdict at nr << verdictBits | verdict (nr below `rows`; a
 * file access in no syscall, nr NR_NONE, in row `rows`), and the other
 * kinds at their own index.
 */
export interface TallyLayout {
  rows: number;
  verdictBits: number;
  exits: number;
  configs: number;
  /** records overwritten before the reader read them, configuration records left out */
  lostOverwritten: number;
  /** configuration records overwritten */
  lostConfig: number;
  /** calls recorded without their result */
  noResult: number;
  slots: number;
}

export interface NdjsonFormatter {
  (batch: Buffer): Buffer;
  /**
   * Writes the batch's selected lines to fd, all of them, waiting while fd
   * is full; adds every record of the batch to tally (see TallyLayout).
   */
  writeTo(fd: number, batch: Buffer, tally?: Float64Array): FormatCounts;
  readonly tallyLayout: TallyLayout;
  /**
   * Of records already held (read before following), the last n selected
   * events, lost records left out; nothing counts as read.
   */
  writeLast(fd: number, held: Buffer, n: number): FormatCounts;
}

/** Error thrown by the addon for a failed syscall (like Node's own ErrnoException). */
export interface BindingError extends Error {
  /** 'EPERM', 'ENOENT', 'ENOTTY', … */
  code: string;
  /** positive errno */
  errno: number;
  /** 'open', 'read', 'ioctl:ADD_TARGET', … */
  syscall: string;
}

export function isBindingError(e: unknown): e is BindingError {
  return (
    e instanceof Error &&
    typeof (e as Partial<BindingError>).code === 'string' &&
    typeof (e as Partial<BindingError>).errno === 'number' &&
    typeof (e as Partial<BindingError>).syscall === 'string'
  );
}

/**
 * The API version (SYSCALLMON_API_VERSION) this library's code speaks: the
 * methods and constants it uses. An addon built from another header would
 * have the module checked against the wrong version (test/unit/lib/addon.test.ts
 * checks this against the header).
 */
export const API_VERSION = 6;

export const ADDON_NAME = 'syscallmon.node';
export const BUILD_COMMAND = 'npm run build:addon';

/** Where the addon may be, in the order tried: both src/lib and dist/lib sit two levels below the package root. */
export function addonCandidates(): string[] {
  return ['Release', 'Debug'].map((config) =>
    fileURLToPath(new URL(`../../build/${config}/${ADDON_NAME}`, import.meta.url)),
  );
}

let cached: Binding | undefined;

/** Loads the built addon once (loadBindingFrom over addonCandidates()). */
export function loadBinding(): Binding {
  cached ??= loadBindingFrom(addonCandidates());
  return cached;
}

/**
 * Loads the first candidate that exists, loads and was built for this
 * library's API_VERSION. Throws one error naming every path tried and the
 * command that builds the addon, with the first load failure (wrong Node
 * ABI, missing symbol, a stale build) as its cause.
 */
export function loadBindingFrom(candidates: readonly string[]): Binding {
  const require = createRequire(import.meta.url);
  let firstFailure: unknown;
  for (const candidate of candidates) {
    // A missing file is the common case; only a present-but-broken addon
    // deserves to be the cause.
    if (!existsSync(candidate)) continue;
    try {
      const binding = require(candidate) as Binding;
      const built = binding.constants?.API_VERSION;
      if (built !== API_VERSION) {
        throw new Error(`${candidate} was built for API version ${String(built)}, this library speaks ${API_VERSION}`);
      }
      return binding;
    } catch (e) {
      firstFailure ??= e;
    }
  }
  const reason = firstFailure instanceof Error ? ` (${firstFailure.message.split('\n')[0]})` : '';
  throw new Error(
    `syscallmon native addon not loadable${reason}; tried ${candidates.join(', ')}; build it with \`${BUILD_COMMAND}\``,
    { cause: firstFailure },
  );
}
