/**
 * PostgreSQL for the tests: each test gets a database of its own on the cluster vitest's global setup started
 * (test/support/global-setup.ts) or the one `PF_TEST_PG_URL` names. When neither is there, the PostgreSQL leg is
 * skipped out loud (`describe.skipIf(!postgresAvailable)`), never passed silently.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";

export const postgresUrl: string | undefined = process.env.PF_TEST_PG_URL || undefined;
export const postgresAvailable = postgresUrl !== undefined;

/** the backend the backend-agnostic suites run on in this vitest project */
export const testBackend: "sqlite" | "postgres" = process.env.PF_TEST_BACKEND === "postgres" ? "postgres" : "sqlite";

async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  if (!postgresUrl) throw new Error("no PostgreSQL for the tests (PF_TEST_PG_URL is not set)");
  const client = new pg.Client({ connectionString: postgresUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** a new, empty database on the test cluster; its URL */
export async function createTestDatabase(): Promise<string> {
  const name = `pf_test_${randomBytes(6).toString("hex")}`;
  await admin((c) => c.query(`CREATE DATABASE ${name}`));
  const url = new URL(postgresUrl as string);
  url.pathname = `/${name}`;
  return url.toString();
}

/** drops a database `createTestDatabase` made, closing whatever is still connected to it */
export async function dropTestDatabase(url: string): Promise<void> {
  const name = new URL(url).pathname.slice(1);
  if (!/^pf_test_[0-9a-f]+$/.test(name)) throw new Error(`refusing to drop ${name}: not a test database`);
  await admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
}
