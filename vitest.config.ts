import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['server/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 300_000,
    pool: 'forks',
    // Two cores: most suites drive real containers, and more parallel files only make the
    // Docker engine the bottleneck.
    maxWorkers: 2,
  },
});
