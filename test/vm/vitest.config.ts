// vitest settings for the integration tests (test/vm), run by
// test/vm/guest-suite.sh as root against the real module, usually inside the
// TCG guest where everything is several times slower and the repo is read-only.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  root: fileURLToPath(new URL('../..', import.meta.url)),
  // vite's default cache (node_modules/.vite) is inside the read-only repo.
  cacheDir: join(tmpdir(), 'syscallmon-vitest-cache'),
  test: {
    include: ['test/vm/**/*.test.ts'],
    // One kernel module is global state: test files must not overlap.
    fileParallelism: false,
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    teardownTimeout: 60_000,
    watch: false,
  },
});
