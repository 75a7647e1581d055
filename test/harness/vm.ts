/**
 * `npm run test:vm`: the integration suite against the real module, in the VM
 * (or on a host that can load modules; SYSCALLMON_TEST_TARGET=vm|host forces).
 * Prints one line per test and ends with the closing line "N passed, N failed".
 */
import { VmError, type VmErrorCode } from '../../src/vm/runner.js';
import { printSuiteReport, linePrefixer } from './report.js';
import { closingLine, tally } from './results.js';
import { abortOnSignals, runSuite } from './suite.js';

/** A set-up that kept the suite from running exits with its own status, so scripts can tell why. */
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
    const report = await runSuite({ signal: abortOnSignals(), onOutput: live.push });
    live.flush();
    const write = (line: string): void => console.log(line);
    printSuiteReport(report, write);
    const t = tally(report.outcomes);
    write(closingLine(t));
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
