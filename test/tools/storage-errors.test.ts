import Database from "better-sqlite3";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toFleetError } from "../../src/errors.js";
import { TASK } from "../../src/jobs/tasks/args.js";
import { sqliteDbForTests } from "../../src/storage/sqlite/testing.js";
import { startHarness, type ToolHarness, toolError } from "./harness.js";

/**
 * D10: a full disk was reported as "INTERNAL … this is a pf-fleet bug". Storage failures say what they are, with a
 * hint the operator can act on: STORAGE_FULL, STORAGE_READ_ONLY, STORAGE_IO_ERROR.
 */

let h: ToolHarness;
let agent: string;

beforeAll(async () => {
  h = await startHarness();
  agent = await h.agent(0);
});
afterAll(async () => {
  if (h) sqliteDbForTests(h.fleet.deps.storage).pragma("max_page_count = 1073741823");
  await h?.close();
});

describe("storage failures", () => {
  it("a full database gives tools STORAGE_FULL with a hint, not INTERNAL", async () => {
    const db = sqliteDbForTests(h.fleet.deps.storage);
    db.exec("CREATE TABLE test_filler (b BLOB)");
    // The real SQLITE_FULL: the database may not grow past its current pages, and the free ones are used up.
    db.pragma(`max_page_count = ${db.pragma("page_count", { simple: true })}`);
    const fill = db.prepare("INSERT INTO test_filler VALUES (randomblob(2000))");
    expect(() => {
      for (let i = 0; i < 100_000; i++) fill.run();
    }).toThrow(expect.objectContaining({ code: "SQLITE_FULL" }));
    // Pages of the jobs table still have room for a few rows: fill them with jobs due in an hour.
    const { engine } = h.fleet.deps;
    const later = Date.now() + 3_600_000;
    let refused: unknown;
    for (let i = 0; i < 10_000 && refused === undefined; i++) {
      await engine
        .enqueue(TASK.balanceCheck, { agentIds: [agent], claimFaucetWhenLow: false }, { dueAt: later })
        .catch((err: unknown) => {
          refused = err;
        });
    }
    expect(toFleetError(refused).code).toBe("STORAGE_FULL");
    const jobsBefore = h.rows().jobs;

    const error = toolError(await h.call("claim_faucet", { agent_id: agent }));
    expect(error.code).toBe("STORAGE_FULL");
    expect(error.message).toMatch(/SQLITE_FULL/);
    expect(error.hint).toMatch(/full: free space/);
    expect(error.hint).not.toMatch(/pf-fleet bug/);
    expect(h.rows().jobs).toBe(jobsBefore);

    // Space is back: the same call works.
    db.exec("DROP TABLE test_filler");
    db.pragma("max_page_count = 1073741823");
    const again = await h.call("claim_faucet", { agent_id: agent, wait_seconds: 0 });
    expect(again.isError ?? false).toBe(false);
  });

  it("a read-only database file is STORAGE_READ_ONLY", () => {
    const file = h.fleet.deps.storage.location;
    const readOnly = new Database(file, { readonly: true });
    try {
      const thrown = (() => {
        try {
          readOnly.exec("CREATE TABLE never (x INTEGER)");
        } catch (err) {
          return err;
        }
        return undefined;
      })();
      const e = toFleetError(thrown);
      expect(e.code).toBe("STORAGE_READ_ONLY");
      expect(e.hint).toMatch(/cannot be written/);
      expect(e.kind).toBe("ambiguous");
    } finally {
      readOnly.close();
    }
  });

  it("PostgreSQL's disk_full, read_only_sql_transaction and io_error have their codes too", () => {
    const pgError = (code: string) =>
      Object.assign(new pg.DatabaseError("could not extend file", 0, "error"), { code });
    expect(toFleetError(pgError("53100")).code).toBe("STORAGE_FULL");
    expect(toFleetError(pgError("25006")).code).toBe("STORAGE_READ_ONLY");
    expect(toFleetError(pgError("58030")).code).toBe("STORAGE_IO_ERROR");
    // anything else is still what it was
    expect(toFleetError(pgError("42P01")).code).toBe("INTERNAL");
  });
});
