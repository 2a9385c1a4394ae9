import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // End-to-end tests wait for a real Nomad agent; unit tests finish long before.
    testTimeout: 90_000,
    hookTimeout: 240_000,
  },
});
