import {defineConfig} from 'vitest/config'

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          include: ['test/cli/**/*.test.ts', 'test/lib/**/*.test.ts', 'test/ui/**/*.test.{ts,tsx}', 'test/e2e/**/*.test.ts', 'test/contract/embedded.test.ts', 'test/contract/registry-server.test.ts'],
          name: 'unit',
          testTimeout: 30_000,
        },
      },
      {
        test: {
          // Reliability properties that need no broker: decoder fuzzing, concurrent evt processes, secrets.
          include: ['test/reliability/**/*.local.test.ts'],
          name: 'reliability-local',
          testTimeout: 60_000,
        },
      },
      {
        test: {
          // One real broker and registry for the whole run, started by the repo's own scripts.
          fileParallelism: false,
          globalSetup: ['test/integration/kafka-global-setup.ts'],
          hookTimeout: 180_000,
          include: ['test/contract/kafka.test.ts', 'test/integration/**/*.test.ts', 'test/reliability/**/*.kafka.test.ts'],
          name: 'integration',
          testTimeout: 60_000,
        },
      },
      {
        test: {
          // Views built in a real PostgreSQL server (scripts/postgres), read from the embedded log.
          globalSetup: ['test/postgres/postgres-global-setup.ts'],
          include: ['test/postgres/**/*.test.ts'],
          name: 'postgres',
          testTimeout: 60_000,
        },
      },
      {
        test: {
          // A 3-node KRaft cluster (scripts/kafka/start.sh --brokers 3) for tests that stop, kill and
          // restart single nodes. Run on its own (`npm run test:cluster`, or the second vitest run
          // of `npm test`): the single-node harness of 'integration' must not run at the same time.
          fileParallelism: false,
          globalSetup: ['test/cluster/cluster-global-setup.ts'],
          hookTimeout: 240_000,
          include: ['test/cluster/**/*.test.ts'],
          name: 'cluster',
          testTimeout: 180_000,
        },
      },
    ],
  },
})
