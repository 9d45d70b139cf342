import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/setup/fast-check.ts'],
    // Compiles the Java parts when they are out of date, so that a single test file can be run on its own.
    globalSetup: ['test/setup/build-java.ts'],
    // Each test file starts its own simulator runner (a JVM); forks keep them apart.
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default'],
  },
});
