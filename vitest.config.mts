import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Native addons crash vitest's worker-threads pool; each file gets its own process.
    pool: 'forks',
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Test files run in parallel processes on a few cores: libtorch's default of one intra-op
    // thread per core in each of them oversubscribes the machine, and OpenMP's barriers then make
    // small ops 50-100x slower. One thread per test process (and per Python reference it starts,
    // which inherits the setting) is faster and keeps both sides' reduction orders alike. A
    // value set by the caller wins.
    env: { OMP_NUM_THREADS: process.env.OMP_NUM_THREADS ?? '1' },
  },
});
