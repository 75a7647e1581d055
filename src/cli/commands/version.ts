/*
 * `syscallmon --version [--json]`: the package's version, the module API
 * version this syscallmon speaks (its addon's, from the uapi header it was
 * built with) and the one the loaded module speaks.  Never fails for want
 * of a module or an addon: it says which is missing.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SyscallmonError } from '../../lib/errors.js';
import { loadedModuleApiVersion } from '../../lib/monitor.js';
import { PACKAGE_ROOT } from '../../lib/package.js';
import type { Ctx } from '../context.js';

export interface VersionResult {
  version: string;
  /** the module API version this syscallmon speaks; null when its addon is not built */
  api_version: number | null;
  /** what the loaded module speaks; null when unknown (see module) */
  module_api_version: number | null;
  module: 'loaded' | 'not_loaded' | 'unknown';
  /** why the loaded module's version is unknown */
  module_note?: string;
}

/** The version in package.json. */
export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version?: unknown };
  return typeof pkg.version === 'string' ? pkg.version : 'unknown';
}

export function versionReport(ctx: Ctx): VersionResult {
  const version = packageVersion();
  let binding;
  try {
    binding = ctx.io.binding();
  } catch (e) {
    const why = e instanceof Error ? e.message.split('\n')[0] : String(e);
    return { version, api_version: null, module_api_version: null, module: 'unknown', module_note: `the addon is not loadable: ${why}` };
  }
  const api = binding.constants['API_VERSION'] ?? null;
  try {
    const loaded = loadedModuleApiVersion(binding);
    return loaded === null
      ? { version, api_version: api, module_api_version: null, module: 'not_loaded' }
      : { version, api_version: api, module_api_version: loaded, module: 'loaded' };
  } catch (e) {
    const why = e instanceof SyscallmonError && e.kind === 'permission' ? 'reading it needs root' : e instanceof Error ? e.message : String(e);
    return { version, api_version: api, module_api_version: null, module: 'unknown', module_note: why };
  }
}

export function renderVersion(r: VersionResult): string {
  const lines = [`syscallmon ${r.version}`];
  if (r.api_version === null) {
    lines.push(`module API version unknown: ${r.module_note ?? 'no addon'}`);
    return lines.join('\n') + '\n';
  }
  const speaks = `module API version ${r.api_version}`;
  if (r.module === 'not_loaded') lines.push(`${speaks}; no module is loaded`);
  else if (r.module === 'unknown') lines.push(`${speaks}; the loaded module's is unknown (${r.module_note ?? ''})`);
  else if (r.module_api_version === r.api_version) lines.push(`${speaks}; the loaded module speaks it too`);
  else {
    lines.push(
      `${speaks}; the loaded module speaks ${r.module_api_version}: rebuild and reload it (syscallmon unload && syscallmon load)`,
    );
  }
  return lines.join('\n') + '\n';
}
