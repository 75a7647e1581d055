// --version: the package's version and the module API versions, this
// syscallmon's and the loaded module's, whatever is missing.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createFakeBinding } from '../fake-binding.js';
import { runCli } from './harness.js';

const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
const fake0 = createFakeBinding();
const API = fake0.c('API_VERSION');

describe('--version', () => {
  it('the package, and the API the loaded module speaks too', async () => {
    const r = await runCli(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`syscallmon ${pkg.version}\nmodule API version ${API}; the loaded module speaks it too\n`);
    expect(r.stderr).toBe('');
    expect((await runCli(['-V'])).stdout).toBe(r.stdout);
  });

  it('no module loaded', async () => {
    const r = await runCli(['--version'], { fake: createFakeBinding((f) => { f.loaded = false; }) });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`syscallmon ${pkg.version}\nmodule API version ${API}; no module is loaded\n`);
  });

  it('a module of another version: says so and how to fix it', async () => {
    const r = await runCli(['--version'], { fake: createFakeBinding((f) => { f.apiVersion = API + 1; }) });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`module API version ${API}; the loaded module speaks ${API + 1}: rebuild and reload it`);
  });

  it('not root: the loaded module\'s version is unknown', async () => {
    const r = await runCli(['--version'], { fake: createFakeBinding((f) => { f.openError = 'EACCES'; }) });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`module API version ${API}; the loaded module's is unknown (reading it needs root)`);
  });

  it('no addon: the package version still, and why the rest is unknown', async () => {
    const r = await runCli(['--version'], { binding: () => { throw new Error('cannot load the addon: build/Release/syscallmon.node'); } });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`syscallmon ${pkg.version}\nmodule API version unknown: the addon is not loadable: cannot load the addon: build/Release/syscallmon.node\n`);
  });

  it('--json: one object', async () => {
    const r = await runCli(['--version', '--json']);
    expect(JSON.parse(r.stdout)).toEqual({ version: pkg.version, api_version: API, module_api_version: API, module: 'loaded' });
  });

  it('with a controller flag: usage error, nothing done', async () => {
    const fake = createFakeBinding();
    const r = await runCli(['--version', '--log', '--syscall', 'openat'], { fake });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('syscallmon: --version goes alone (or with --json), not with --log --syscall\n');
    expect(fake.targets.size).toBe(0);
  });
});

describe('--help lists the errno names --errno takes', () => {
  it.each([[['--help']], [['sandbox', '--help']]])('%j', async (argv) => {
    const r = await runCli(argv);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Errno names for --errno \(or a number from 1 to 4095\):\n  EPERM ENOENT ESRCH /);
    expect(r.stdout).toContain(' EACCES ');
    expect(r.stdout).toMatch(/ EHWPOISON\n/);
  });
});
