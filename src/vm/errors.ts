/**
 * Errors of the VM runner and the test orchestration. Each kind has its own
 * exit code so scripts (CI, `syscallmon sandbox`) can tell a broken set-up
 * from a guest that ran and failed.
 */
export type VmErrorCode =
  | 'EBADOPT' // a caller passed an invalid option
  | 'ENOKERNEL' // no bootable kernel / modules / busybox on this host
  | 'EQEMU' // QEMU could not start or exited abnormally
  | 'ETIMEOUT' // the wall-clock limit was hit and QEMU was killed
  | 'EABORTED' // the caller aborted the run
  | 'ENOSTATUS'; // the guest powered off without reporting an exit status

const EXIT_CODES: Readonly<Record<VmErrorCode, number>> = {
  EBADOPT: 2,
  ENOKERNEL: 3,
  EQEMU: 4,
  ETIMEOUT: 5,
  EABORTED: 6,
  ENOSTATUS: 7,
};

export class VmError extends Error {
  readonly code: VmErrorCode;
  readonly exitCode: number;
  /** The serial console log, when the failure happened after QEMU started. */
  readonly consoleLog: string | undefined;

  constructor(code: VmErrorCode, message: string, consoleLog?: string) {
    super(message);
    this.name = 'VmError';
    this.code = code;
    this.exitCode = EXIT_CODES[code];
    this.consoleLog = consoleLog;
  }
}
