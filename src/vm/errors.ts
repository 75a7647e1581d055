/**
 * Errors of the VM runner. The code tells a broken set-up (no kernel, QEMU
 * missing, a bad option) from a guest that ran and failed, for whoever maps
 * them to exit statuses (`syscallmon sandbox`, the test harness).
 */
export type VmErrorCode =
  | 'EBADOPT' // a caller passed an invalid option
  | 'ENOKERNEL' // no bootable kernel / modules / busybox on this host
  | 'EQEMU' // QEMU could not start or exited abnormally
  | 'ETIMEOUT' // the wall-clock limit was hit and QEMU was killed
  | 'EABORTED' // the caller aborted the run
  | 'ENOSTATUS'; // the guest powered off without reporting an exit status

export class VmError extends Error {
  readonly code: VmErrorCode;
  /** The serial console log, when the failure happened after QEMU started. */
  readonly consoleLog: string | undefined;

  constructor(code: VmErrorCode, message: string, consoleLog?: string) {
    super(message);
    this.name = 'VmError';
    this.code = code;
    this.consoleLog = consoleLog;
  }
}
