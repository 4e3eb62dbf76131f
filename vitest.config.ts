import { defineConfig } from "vitest/config";

/**
 * Two projects: every test on the embedded SQLite default, and the backend-agnostic suites (the storage
 * conformance suite, the money tests) again on PostgreSQL. The PostgreSQL project starts a throwaway cluster
 * (test/support/global-setup.ts) unless PF_TEST_PG_URL names one; without PostgreSQL its tests report as skipped.
 */
const POSTGRES_SUITES = [
  "test/storage/postgres.test.ts",
  "test/storage/postgres-outage.test.ts",
  "test/storage/postgres-commit-loss.test.ts",
  "test/jobs/egress.test.ts",
  "test/money/*.test.ts",
  // schedules created from the chat fire once per slot across processes on a shared database
  "test/scheduler/create-delete.test.ts",
  // namespaces as machines of one fleet on one PostgreSQL: PostgreSQL only, and root (it skips itself otherwise)
  "test/hosts/*.test.ts",
];

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
    projects: [
      {
        extends: true,
        test: {
          name: "sqlite",
          include: ["test/**/*.test.ts"],
          exclude: ["test/storage/postgres*.test.ts", "test/hosts/**"],
        },
      },
      {
        extends: true,
        test: {
          name: "postgres",
          include: POSTGRES_SUITES,
          globalSetup: ["test/support/global-setup.ts"],
          // a shared database has no key file: every process of a test fleet is given the same secret
          env: { PF_TEST_BACKEND: "postgres", PF_SECRET_KEY: "7f".repeat(32) },
        },
      },
    ],
  },
});
