import {defineConfig} from 'vitest/config'

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          include: ['test/lib/**/*.test.ts', 'test/ui/**/*.test.{ts,tsx}', 'test/e2e/**/*.test.ts', 'test/contract/embedded.test.ts'],
          name: 'unit',
          testTimeout: 30_000,
        },
      },
    ],
  },
})
