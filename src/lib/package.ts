// Where the package is: the files beside the code (the addon and module
// builds, package.json) are found from here. This file sits two levels
// below the root in src/ and dist/ alike, as does the CLI's bundle
// (dist/bundle/syscallmon.js), so one relative URL serves every layout.
import { fileURLToPath } from 'node:url';

/** The package root, with a trailing slash. */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));
