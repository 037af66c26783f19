import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration files each start their own Prometheus/Redis on random ports; two cores, so keep it modest.
    maxWorkers: 2,
    minWorkers: 1,
  },
});
