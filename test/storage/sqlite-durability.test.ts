/**
 * What only the SQLite backend has to prove: its commits are made durable by an fsync of the WAL that runs off
 * the event loop, shared by every commit that lands while one runs (group commit), and nothing is acknowledged
 * before it; the engine's older rows are migrated on open.
 */
import { spawnSync } from "node:child_process";
import { channel } from "node:diagnostics_channel";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openSqliteStorage } from "../../src/storage/index.js";
import { Checkpointer } from "../../src/storage/sqlite/checkpointer.js";
import { migrate, openDatabase, SqliteConn } from "../../src/storage/sqlite/connection.js";
import { JOBS_MIGRATIONS } from "../../src/storage/sqlite/jobs-schema.js";
import { migrateAll, sqliteRepos } from "../../src/storage/sqlite/repos.js";
import { SqliteStorage } from "../../src/storage/sqlite/storage.js";
import { sqliteDbForTests } from "../../src/storage/sqlite/testing.js";
import { WalSync } from "../../src/storage/sqlite/wal-sync.js";
import { assertDistIsFresh, distUrl } from "../pack/built.js";

let dir: string;
const opened: SqliteStorage[] = [];
const open = (name = "fleet.db") => {
  const storage = openSqliteStorage(join(dir, name));
  opened.push(storage);
  return storage;
};

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "pf-fleet-durability-"));
});
afterEach(async () => {
  for (const s of opened.splice(0)) await s.close();
  rmSync(dir, { recursive: true, force: true });
});

const rateDraw = (key: string) => [{ key, limit: 1_000, windowMs: 60_000 }];

describe("SQLite storage: durable commits off the event loop", () => {
  it("runs without SQLite's own fsync at COMMIT; pf-fleet syncs the WAL itself", () => {
    const db = sqliteDbForTests(open());
    expect(db.pragma("synchronous", { simple: true })).toBe(1); // NORMAL
    expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
  });

  it("acknowledges a write only after an fsync that started after its commit", async () => {
    const storage = open();
    const before = storage.syncs;
    await storage.transaction((tx) => tx.rateLimits.takeAll(rateDraw("k"), Date.now()));
    expect(storage.syncs).toBe(before + 1);
    await storage.rateLimits.takeAll(rateDraw("k"), Date.now());
    expect(storage.syncs).toBe(before + 2);
  });

  it("a transaction that changed nothing waits for no fsync", async () => {
    const storage = open();
    const before = storage.syncs;
    for (let i = 0; i < 5; i++) await storage.transaction((tx) => tx.jobs.stateCounts());
    expect(storage.syncs).toBe(before);
  });

  it("a read that sees nothing new waits for no fsync", async () => {
    const storage = open();
    await storage.rateLimits.takeAll(rateDraw("k"), Date.now());
    const before = storage.syncs;
    for (let i = 0; i < 5; i++) await storage.jobs.stateCounts();
    expect(storage.syncs).toBe(before);
  });

  it("shares one fsync among the commits that land while another runs (group commit)", async () => {
    const storage = open();
    const before = storage.syncs;
    const writes = Array.from({ length: 200 }, (_, i) =>
      storage.transaction((tx) => tx.rateLimits.takeAll(rateDraw(`k${i % 7}`), Date.now())),
    );
    const results = await Promise.all(writes);
    expect(results.every((r) => r.ok)).toBe(true);
    const syncs = storage.syncs - before;
    expect(syncs).toBeGreaterThanOrEqual(1);
    expect(syncs).toBeLessThan(20);
  });

  it("checkpoints the WAL into the database file on a thread of its own, never in a COMMIT", async () => {
    const storage = open();
    const db = sqliteDbForTests(storage);
    expect(db.pragma("wal_autocheckpoint", { simple: true })).toBe(0);
    const file = join(dir, "fleet.db");
    const before = statSync(file).size;
    for (let i = 0; i < 200; i++) {
      await storage.transaction((tx) =>
        tx.rateLimits.takeAll(rateDraw(`checkpointed-${i}-${"x".repeat(150)}`), Date.now()),
      );
    }
    // the commits only appended to the WAL; the checkpointer copies them into the file shortly after
    await expect.poll(() => statSync(file).size, { timeout: 5_000 }).toBeGreaterThan(before);
  });

  it("under a steady stream of commits the WAL still starts again from the top, rather than only growing", async () => {
    const storage = open();
    const wal = join(dir, "fleet.db-wal");
    await storage.rateLimits.takeAll(rateDraw("first"), Date.now());
    // the WAL header's checkpoint sequence number (bytes 12–15) counts the times the log started again
    const restarts = () => readFileSync(wal).readUInt32BE(12);
    const before = restarts();
    // eight writers with no pause between their commits: a checkpoint that ran alongside them never saw the WAL
    // without frames it had not copied, so nothing ever let SQLite start it again
    const until = Date.now() + 1_500;
    let commits = 0;
    await Promise.all(
      Array.from({ length: 8 }, async (_, w) => {
        while (Date.now() < until) {
          await storage.rateLimits.takeAll(rateDraw(`steady-${w}-${commits++}-${"x".repeat(150)}`), Date.now());
        }
      }),
    );
    expect(commits).toBeGreaterThan(500);
    // a checkpoint every ~200 ms, each followed by a pass under the writer lock that starts the WAL again
    expect(restarts() - before).toBeGreaterThanOrEqual(3);
  });

  it("checkpoints every storage of the process on one thread, and lets a closed storage's file go", async () => {
    const threads = channel("worker_threads");
    let started = 0;
    const count = () => started++;
    threads.subscribe(count);
    try {
      const files = [join(dir, "first.db"), join(dir, "second.db")];
      const [first, second] = [open("first.db"), open("second.db")];
      const sizes = files.map((f) => statSync(f).size);
      for (let i = 0; i < 100; i++) {
        for (const s of [first, second]) {
          await s.rateLimits.takeAll(rateDraw(`shared-${i}-${"x".repeat(150)}`), Date.now());
        }
      }
      for (const [i, file] of files.entries()) {
        await expect.poll(() => statSync(file).size, { timeout: 5_000 }).toBeGreaterThan(sizes[i] ?? 0);
      }
      // at most the one thread, if no earlier storage of this process had started it
      expect(started).toBeLessThanOrEqual(1);

      // the last connection to a file removes its WAL when it closes. The thread's closes first, so the storage's
      // is the last once close() returns (two closing at the same moment can each leave the WAL to the other)
      await first.close();
      expect(existsSync(`${files[0]}-wal`)).toBe(false);
      await second.rateLimits.takeAll(rateDraw("after-the-first-closed"), Date.now());
      const before = statSync(files[1] ?? "").size;
      for (let i = 0; i < 100; i++) {
        await second.rateLimits.takeAll(rateDraw(`second-only-${i}-${"x".repeat(150)}`), Date.now());
      }
      await expect.poll(() => statSync(files[1] ?? "").size, { timeout: 5_000 }).toBeGreaterThan(before);
    } finally {
      threads.unsubscribe(count);
    }
  });

  it("a process closing its storage while a checkpoint runs waits for it, rather than ending half way", () => {
    assertDistIsFresh();
    const dist = (...p: string[]) => JSON.stringify(distUrl("src", "storage", ...p));
    // a storage whose checkpoints start at once; a large commit, then close() while its checkpoint runs
    const script = `
      import { Checkpointer } from ${dist("sqlite", "checkpointer.js")};
      import { openDatabase, SqliteConn } from ${dist("sqlite", "connection.js")};
      import { migrateAll, sqliteRepos } from ${dist("sqlite", "repos.js")};
      import { SqliteStorage } from ${dist("sqlite", "storage.js")};
      import { WalSync } from ${dist("sqlite", "wal-sync.js")};
      const path = process.argv[1];
      const conn = new SqliteConn(openDatabase(path, { synchronous: "NORMAL" }));
      migrateAll(conn);
      conn.db.pragma("wal_autocheckpoint = 0");
      const checkpointer = new Checkpointer(path, { delayMs: 0 });
      const storage = new SqliteStorage(path, conn, sqliteRepos(conn), { wal: new WalSync(path), checkpointer });
      await storage.transaction(async (tx) => {
        for (let i = 0; i < 3000; i++) {
          await tx.rateLimits.takeAll([{ key: "k" + i + "x".repeat(500), limit: 9, windowMs: 60000 }], Date.now());
        }
      });
      await new Promise((resolve) => setTimeout(resolve, 5)); // the checkpoint has been asked for
      await storage.close();
      console.log("closed");
    `;
    const run = spawnSync(process.execPath, ["--input-type=module", "-e", script, join(dir, "closing.db")], {
      encoding: "utf8",
      timeout: 30_000,
    });
    expect(run.stderr).toBe("");
    expect(run.stdout.trim()).toBe("closed");
  });

  it("stops all work once an fsync fails, instead of acknowledging writes that may not be on disk", async () => {
    const path = join(dir, "failing.db");
    const conn = new SqliteConn(openDatabase(path, { synchronous: "NORMAL" }));
    migrateAll(conn);
    let diskFails = false;
    const wal = new WalSync(path, {
      datasync: async (handle) => {
        if (diskFails) throw Object.assign(new Error("EIO: i/o error, fdatasync"), { code: "EIO" });
        await handle.datasync();
      },
    });
    const storage = new SqliteStorage(path, conn, sqliteRepos(conn), { wal, checkpointer: new Checkpointer(path) });
    opened.push(storage);
    expect((await storage.rateLimits.takeAll(rateDraw("before"), Date.now())).ok).toBe(true);

    diskFails = true;
    const failure = { code: "INTERNAL", hint: expect.stringMatching(/restart pf-fleet/) };
    await expect(
      storage.transaction((tx) => tx.rateLimits.takeAll(rateDraw("lost"), Date.now())),
    ).rejects.toMatchObject(failure);
    // the disk may come back; what was committed meanwhile may not be on it, so the storage stays stopped
    diskFails = false;
    await expect(storage.jobs.stateCounts()).rejects.toMatchObject(failure);
    await expect(storage.settled()).rejects.toMatchObject(failure);
    await expect(storage.transaction(async () => undefined)).rejects.toMatchObject(failure);
  });

  it("refuses a storage-level call from inside a transaction body, which would wait for itself", async () => {
    const storage = open();
    await expect(storage.transaction(() => storage.jobs.stateCounts())).rejects.toThrow(
      /inside a transaction: use the transaction's tx/,
    );
  });

  it("rolls a failed transaction back whole and runs none of its after-commit work", async () => {
    const storage = open();
    let ran = false;
    await expect(
      storage.transaction(async (tx) => {
        await tx.rateLimits.takeAll(rateDraw("gone"), Date.now());
        tx.afterCommit(() => {
          ran = true;
        });
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    expect(ran).toBe(false);
    const left = await storage.rateLimits.takeAll([{ key: "gone", limit: 1, windowMs: 60_000 }], Date.now());
    expect(left.ok).toBe(true);
  });
});

describe("SQLite storage: migrations", () => {
  it("turns casino.bet jobs an earlier version queued into one-bet casino.bet_batch jobs, keeping their money state", async () => {
    const path = join(dir, "old.db");
    const db = openDatabase(path);
    // the schema as it stood just before casino.bet jobs became batches
    const betToBatch = JOBS_MIGRATIONS.findIndex((m) => m.includes("WHERE task = 'casino.bet'"));
    migrate(db, "jobs", JOBS_MIGRATIONS.slice(0, betToBatch));
    const insert = db.prepare(
      `INSERT INTO jobs (id, task, queue, state, args, result, max_attempts, money, money_state, phase,
         idempotency_key, created_at, updated_at, due_at)
       VALUES (?, 'casino.bet', 'casino', ?, ?, ?, 8, 1, ?, ?, ?, 0, 0, 0)`,
    );
    const bet = (seed: string) =>
      JSON.stringify({
        agentId: "ag_0123456789ab",
        bet: { game: "coin-flip", side: "heads" },
        amount: 10_000,
        clientSeed: seed,
      });
    const receipt = JSON.stringify({
      agentId: "ag_0123456789ab",
      clientSeed: "seed-done-0001",
      betId: "bet_1",
      game: "coin-flip",
      stake: 10_000,
      payout: 19_800,
      net: 9_800,
      won: true,
    });
    insert.run("job-queued", "queued", bet("seed-queued-01"), null, null, "run", "seed-queued-01");
    insert.run("job-lost", "retrying", bet("seed-lost-0001"), null, "unknown", "reconcile", "seed-lost-0001");
    insert.run("job-done", "succeeded", bet("seed-done-0001"), receipt, "done", "run", "seed-done-0001");
    db.close();

    const storage = open("old.db");
    const queued = await storage.jobs.get("job-queued");
    expect(queued).toMatchObject({
      task: "casino.bet_batch",
      idempotencyKey: "seed-queued-01",
      args: {
        agentId: "ag_0123456789ab",
        bet: { game: "coin-flip", side: "heads" },
        amount: 10_000,
        clientSeeds: ["seed-queued-01"],
      },
    });
    // a bet whose answer was lost is still reconciled, never re-sent
    expect(await storage.jobs.get("job-lost")).toMatchObject({
      task: "casino.bet_batch",
      phase: "reconcile",
      moneyState: "unknown",
    });
    expect((await storage.jobs.get("job-done"))?.result).toEqual({
      agentId: "ag_0123456789ab",
      bets: [JSON.parse(receipt)],
      refused: [],
    });
  });
});
