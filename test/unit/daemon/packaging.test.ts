// The service files as their own tools read them: systemd-analyze verify on
// the unit, logrotate's debug run on its config (pointed at a scratch file,
// so nothing is rotated), and the unit and logrotate agreeing on the paths
// and on SIGUSR1; install.sh's refusal of a checkout the service cannot see;
// Fluent Bit's configuration naming the parsers file shipped with it.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = new URL('../../../', import.meta.url).pathname;
const unitPath = join(root, 'packaging/syscallmon.service');
const unit = readFileSync(unitPath, 'utf8');
const rotate = readFileSync(join(root, 'packaging/syscallmon.logrotate'), 'utf8');
const dir = mkdtempSync(join(tmpdir(), 'smon-packaging-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('packaging', () => {
  it('systemd-analyze verify passes the unit', () => {
    const r = spawnSync('systemd-analyze', ['verify', unitPath], { encoding: 'utf8' });
    expect(r.error).toBeUndefined();
    expect({ status: r.status, out: r.stdout + r.stderr }).toEqual({ status: 0, out: '' });
  });

  it('the unit runs the daemon on the policy, writing the file logrotate rotates; reload is SIGHUP', () => {
    const exec = /^ExecStart=(.*)$/m.exec(unit)?.[1] ?? '';
    expect(exec.split(/\s+/).slice(0, 3)).toEqual(['/usr/bin/node', '/usr/local/lib/syscallmon/bin/syscallmon', 'daemon']);
    const output = /--output (\S+)/.exec(exec)?.[1];
    expect(output).toBe('/var/log/syscallmon/events.ndjson');
    expect(rotate).toContain(`${output} {`);
    expect(unit).toMatch(/^ExecReload=\/bin\/kill -HUP \$MAINPID$/m);
    expect(unit).toMatch(/^LogsDirectory=syscallmon$/m);
    // What would stop it: no module loading, no /dev/syscallmon.
    expect(unit).not.toMatch(/^(ProtectKernelModules|PrivateDevices|MemoryDenyWriteExecute)=yes/m);
    expect(unit).toMatch(/^CapabilityBoundingSet=.*CAP_SYS_MODULE/m);
    expect(unit).toMatch(/^CapabilityBoundingSet=.*CAP_SYS_ADMIN/m);
    // What a retry will not fix (a bad policy file 2, no permission 4, a kernel refusal 5) is not retried, and retries end.
    expect(unit).toMatch(/^RestartPreventExitStatus=2 4 5$/m);
    expect(unit).toMatch(/^StartLimitIntervalSec=\d+$/m);
    expect(unit).toMatch(/^StartLimitBurst=\d+$/m);
    // The events are readable by group adm, where shippers run.
    expect(unit).toMatch(/^Group=adm$/m);
  });

  it('the unit binds the metrics port and nothing else (no inspector on 9229)', () => {
    const port = /--metrics \S*:(\d+)/.exec(unit)?.[1];
    expect(port).toBeDefined();
    expect(unit).toMatch(new RegExp(`^SocketBindAllow=tcp:${port}$`, 'm'));
    expect(unit).toMatch(/^SocketBindDeny=any$/m);
  });

  it("the unit shows the policy's exe: and file: paths under /home and /root as they are", () => {
    expect(unit).toMatch(/^ProtectHome=read-only$/m);
    expect(unit).toMatch(/^CapabilityBoundingSet=.*CAP_DAC_READ_SEARCH/m);
  });

  it('install.sh refuses a checkout under /tmp, which the service cannot see, before it does anything', () => {
    const checkout = mkdtempSync('/tmp/smon-checkout-');
    try {
      mkdirSync(join(checkout, 'packaging'));
      copyFileSync(join(root, 'packaging/install.sh'), join(checkout, 'packaging/install.sh'));
      const r = spawnSync('sh', [join(checkout, 'packaging/install.sh')], { encoding: 'utf8' });
      expect({ status: r.status, stdout: r.stdout, stderr: r.stderr }).toEqual({
        status: 2,
        stdout: '',
        stderr:
          `install.sh: the service cannot see ${checkout} (PrivateTmp=yes gives it a /tmp of its own): ` +
          'clone syscallmon under /opt or /usr/local/src, say, build it there and run its packaging/install.sh\n',
      });
    } finally {
      rmSync(checkout, { recursive: true, force: true });
    }
  });

  it("Fluent Bit's configuration loads the parsers file shipped next to it, which defines its input's parser", () => {
    const conf = readFileSync(join(root, 'packaging/fluent-bit.conf'), 'utf8');
    const parsersFile = /^\s*Parsers_File\s+(\S+)$/m.exec(conf)?.[1] ?? '';
    expect(existsSync(join(root, 'packaging', parsersFile)), parsersFile).toBe(true);
    const parser = /^\s*Parser\s+(\S+)$/m.exec(conf)?.[1];
    expect(readFileSync(join(root, 'packaging', parsersFile), 'utf8')).toMatch(new RegExp(`^\\s*Name\\s+${parser}$`, 'm'));
  });

  it("logrotate reads its config; the postrotate sends SIGUSR1 to the daemon's main process", () => {
    expect(rotate).toMatch(/postrotate\n\s+systemctl kill --signal=SIGUSR1 --kill-whom=main syscallmon\.service/);
    const log = join(dir, 'events.ndjson');
    writeFileSync(log, '{}\n');
    const config = join(dir, 'logrotate.conf');
    writeFileSync(config, rotate.replace('/var/log/syscallmon/events.ndjson', log));
    const r = spawnSync('logrotate', ['--debug', '--force', '--state', join(dir, 'state'), config], { encoding: 'utf8' });
    expect(r.error).toBeUndefined();
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain(`rotating pattern: ${log}`);
    expect(r.stderr).not.toMatch(/error/i);
  });
});
