/**
 * The floor of a job per bet (how single `casino.bet` jobs run, and how planned batches ran before they became
 * a job per `bets/batch` call): the SQLite work one durable bet costs with nothing else around it — the
 * shipped jobs and ledger schemas, the engine's statements prepared once and run back to back, no JavaScript
 * between them, group commits of `--batch` bets, synchronous=FULL. Per bet: its job row and event (enqueued in
 * chords of 500), then in one transaction per batch the previous batch's completions (row, event, ledger row,
 * chord counter) and this batch's claims (row, event). Whatever the engine does, it cannot beat this.
 *
 *   npx tsc -p tsconfig.build.json && node dist/bench/sql-floor.js [--n 10000] [--batch 25,64]
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { openDatabase } from "../src/db.js";
import { migrateJobs } from "../src/jobs/index.js";
import { newJobId } from "../src/jobs/job-id.js";
import { migrateLedger } from "../src/ledger/index.js";

const CHORD = 500;

function floor(n: number, batch: number): { enqueueUs: number; cycleUs: number } {
  const dir = mkdtempSync(join(tmpdir(), "pf-floor-"));
  const db = openDatabase(join(dir, "floor.db"));
  db.pragma("temp_store = MEMORY"); // as the job store sets it
  migrateJobs(db);
  migrateLedger(db);
  const insertJob = db.prepare(
    `INSERT INTO jobs (id, task, queue, kind, state, priority, args, max_attempts, money, idempotency_key, parent_id,
       canvas_id, canvas_index, created_at, updated_at, due_at)
     VALUES (?, 'casino.bet', 'casino', 'task', 'queued', 5, ?, 8, 1, ?, 'chord', 'chord', ?, ?, ?, ?)`,
  );
  const event = db.prepare("INSERT INTO job_events (job_id, at, from_state, to_state, reason) VALUES (?, ?, ?, ?, ?)");
  const claim = db.prepare(
    `UPDATE jobs SET state = 'running', updated_at = ?, lease_owner = 'host:1:abcdef', lease_expires_at = ?,
       started_at = ?, phase = 'run', attempts = 1, money_state = 'intent'
     WHERE id = ? AND state = 'queued' RETURNING cancel_requested, progress, lease_expires_at`,
  );
  const succeed = db.prepare(
    `UPDATE jobs SET state = 'succeeded', updated_at = ?, lease_owner = NULL, lease_expires_at = NULL,
       finished_at = ?, result = ?, error = NULL, money_state = 'done'
     WHERE id = ? AND state = 'running' AND lease_owner = 'host:1:abcdef' AND started_at = ?
     RETURNING cancel_requested, progress, lease_expires_at`,
  );
  const bet = db.prepare(
    `INSERT INTO bets (agent_id, client_seed, bet_id, game, params, stake, multiplier_basis, payout_multiplier, won,
       payout, server_seed_hash, nonce, result_hash, roll, job_id, placed_at, source, recorded_at)
     VALUES (?, ?, ?, 'coin-flip', '{"side":"heads"}', 10000, 19800, 1.98, 1, 19800, ?, ?, ?, 42.5, ?, ?,
       'response', ?) ON CONFLICT DO NOTHING`,
  );
  const countDown = db.prepare(
    `UPDATE jobs SET open_members = open_members - 1, updated_at = ?,
       progress = json_object('done', json_extract(args, '$.size') - open_members + 1,
                              'total', json_extract(args, '$.size'))
     WHERE id = 'chord' AND state = 'waiting' AND callback_id IS NULL RETURNING open_members`,
  );
  db.prepare(
    `INSERT INTO jobs (id, task, queue, kind, state, priority, args, max_attempts, created_at, updated_at, due_at,
       open_members) VALUES ('chord', 'chord', 'analytics', 'chord', 'waiting', 0, ?, 1, 0, 0, 0, ?)`,
  ).run(JSON.stringify({ size: n }), n);

  const now = Date.now();
  const ids = Array.from({ length: n }, () => newJobId());
  const seed = (i: number) => `pfb-0123456789abcdef-${i}`;
  const agent = (i: number) => `ag_00000000000${i % 4}`;
  const args = (i: number) =>
    JSON.stringify({
      agentId: agent(i),
      bet: { game: "coin-flip", side: "heads" },
      amount: 10_000,
      clientSeed: seed(i),
    });

  let started = performance.now();
  for (let first = 0; first < n; first += CHORD) {
    db.transaction(() => {
      for (let i = first; i < Math.min(n, first + CHORD); i++) {
        insertJob.run(ids[i], args(i), seed(i), i, now, now, now);
        event.run(ids[i], now, null, "queued", `member ${i + 1} of chord chord`);
      }
    }).immediate();
  }
  const enqueueMs = performance.now() - started;

  started = performance.now();
  for (let first = 0; first <= n; first += batch) {
    db.transaction(() => {
      for (let i = Math.max(0, first - batch); i < first; i++) {
        const betId = `bet_${randomUUID()}`;
        const result = { agentId: agent(i), clientSeed: seed(i), betId, game: "coin-flip", stake: 10_000 };
        succeed.get(now, now, JSON.stringify({ ...result, payout: 19_800, net: 9_800, won: true }), ids[i], now);
        event.run(ids[i], now, "running", "succeeded", "finished on attempt 1");
        bet.run(agent(i), seed(i), betId, "a".repeat(64), i, "b".repeat(64), ids[i], now, now);
        countDown.get(now);
      }
      for (let i = first; i < Math.min(n, first + batch); i++) {
        claim.get(now, now + 30_000, now, ids[i]);
        event.run(ids[i], now, "queued", "running", "claimed by host:1:abcdef: attempt 1 of 8");
      }
    }).immediate();
  }
  const cycleMs = performance.now() - started;
  db.close();
  rmSync(dir, { recursive: true, force: true });
  return { enqueueUs: (enqueueMs * 1000) / n, cycleUs: (cycleMs * 1000) / n };
}

function option(argv: string[], flag: string, fallback: string): string {
  const i = argv.indexOf(flag);
  return i === -1 ? fallback : (argv[i + 1] ?? fallback);
}

const argv = process.argv.slice(2);
const n = Number(option(argv, "--n", "10000"));
const batches = option(argv, "--batch", "25,64").split(",").map(Number);
for (const value of [n, ...batches]) {
  if (!Number.isInteger(value) || value < 1)
    throw new Error(`--n and --batch need whole numbers ≥ 1, got \`${value}\``);
}
for (const batch of batches) {
  const { enqueueUs, cycleUs } = floor(n, batch);
  const total = enqueueUs + cycleUs;
  process.stdout.write(
    `batch ${batch}: enqueue ${enqueueUs.toFixed(1)} µs/bet + claim & complete ${cycleUs.toFixed(1)} µs/bet = ` +
      `${total.toFixed(1)} µs/bet of SQLite alone (≤ ${Math.round(1e6 / total)} bets/s on one core)\n`,
  );
}
