import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Each file starts real servers on 127.0.0.1; two workers match the machine's two cores.
    maxWorkers: 2,
  },
});
