import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Native addons crash vitest's worker-threads pool; each file gets its own process.
    pool: 'forks',
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
