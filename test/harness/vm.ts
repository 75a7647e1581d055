/**
 * `npm run test:vm`: the integration suite against the real module, on every
 * tested kernel (SYSCALLMON_TEST_KERNELS picks lines), each in the VM or on a
 * host that runs it and can load modules (SYSCALLMON_TEST_TARGET=vm|host
 * forces). Prints one line per test and ends with the closing line
 * "N passed, N failed".
 */
import { VmError, type VmErrorCode } from '../../src/vm/runner.js';
import { linePrefixer, printFailureDetails, printOutcomeLines, printSuiteReport } from './report.js';
import { closingLine, tally } from './results.js';
import { abortOnSignals, runSuites } from './suite.js';

/** A set-up that kept a kernel's run from happening exits with its own status, so scripts can tell why. */
const EXIT_STATUS: Readonly<Record<VmErrorCode, number>> = {
  EBADOPT: 2,
  ENOKERNEL: 3,
  EQEMU: 4,
  ETIMEOUT: 5,
  EABORTED: 6,
  ENOSTATUS: 7,
};

async function main(): Promise<number> {
  const live = linePrefixer('vm| ', (text) => process.stderr.write(text));
  try {
    const { reports, unplanned } = await runSuites({ signal: abortOnSignals(), onOutput: live.push });
    live.flush();
    const write = (line: string): void => console.log(line);
    for (const report of reports) printSuiteReport(report, write);
    printOutcomeLines(unplanned, write);
    printFailureDetails(unplanned, write);
    const t = tally([...reports.flatMap((r) => r.outcomes), ...unplanned]);
    write(closingLine(t));
    const setupError = reports.find((r) => r.error !== undefined)?.error;
    if (setupError !== undefined) return EXIT_STATUS[setupError.code];
    return t.failed > 0 ? 1 : 0;
  } catch (err) {
    live.flush();
    if (!(err instanceof VmError)) throw err;
    console.error(`test:vm: ${err.message}`);
    console.log(closingLine({ passed: 0, failed: 1, skipped: 0 }));
    return EXIT_STATUS[err.code];
  }
}

process.exitCode = await main();
