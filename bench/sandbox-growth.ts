/**
 * Does the sandbox slow down as it fills? Runs the sandbox's own casino code (world, bet engine, one transaction
 * per bet as `POST /games/*` and `bets/batch` settle them) in this process on the two in-memory databases it could
 * sit on, and times each block of bets as the database grows:
 * - `:memory:` — what the sandbox used until 2026-12: every page in SQLite's page cache, walked at each COMMIT;
 * - memdb — `openMemoryDatabase()`, what it uses now: pages in one buffer behind a bounded page cache.
 * Modes alternate within each round; medians over rounds with ranges. No HTTP: the block times are the storage's.
 * Writes the `sandbox-growth` section of bench/RESULTS.md.
 *
 *   node dist/bench/sandbox-growth.js [--rounds 3] [--blocks 8] [--block 20000]
 */
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { silentLogger } from "../src/log.js";
import { createCasinoContext } from "../src/sandbox/casino/context.js";
import { SandboxClock } from "../src/sandbox/clock.js";
import { hashApiKey, newCasinoIdentity } from "../src/sandbox/ids.js";
import { SANDBOX_MIGRATIONS } from "../src/sandbox/schema.js";
import { createWorld } from "../src/sandbox/world.js";
import { type Db, migrate, openDatabase, openMemoryDatabase } from "../src/storage/sqlite/connection.js";
import { replaceSection } from "./markdown-section.js";
import { percentile } from "./stats.js";

const RESULTS = fileURLToPath(new URL("../../bench/RESULTS.md", import.meta.url));
const AGENTS = 4;

type Mode = ":memory:" | "memdb";
const MODES: readonly Mode[] = [":memory:", "memdb"];

/** µs per bet in each block of `blockSize` bets, from an empty database to blocks × blockSize bets */
function runOnce(mode: Mode, blocks: number, blockSize: number): number[] {
  const db: Db = mode === "memdb" ? openMemoryDatabase() : openDatabase(":memory:");
  try {
    migrate(db, "sandbox", SANDBOX_MIGRATIONS);
    const world = createWorld(db, new SandboxClock(), silentLogger);
    const casino = createCasinoContext(world);
    const agents = Array.from({ length: AGENTS }, () => {
      const identity = newCasinoIdentity();
      const keyHash = hashApiKey(identity.apiKey);
      world.agents.insert({ id: identity.agentId, keyHash, referralCode: identity.referralCode, referredBy: null });
      world.ledger.credit(identity.agentId, 1_000_000, { reason: "sandbox_fund", service: "sandbox" });
      return identity.agentId;
    });
    const perBet: number[] = [];
    let n = 0;
    for (let b = 0; b < blocks; b++) {
      const started = process.hrtime.bigint();
      for (let i = 0; i < blockSize; i++, n++) {
        const agent = agents[n % AGENTS] as string;
        casino.engine.place(agent, { game: "coin-flip", side: "heads" }, 0.01, `growth-${n}`);
      }
      perBet.push(Number(process.hrtime.bigint() - started) / 1000 / blockSize);
    }
    return perBet;
  } finally {
    db.close();
  }
}

function main(): void {
  const { values } = parseArgs({
    options: {
      rounds: { type: "string", default: "3" },
      blocks: { type: "string", default: "8" },
      block: { type: "string", default: "20000" },
    },
  });
  const rounds = Number(values.rounds);
  const blocks = Number(values.blocks);
  const blockSize = Number(values.block);
  const runs = new Map<Mode, number[][]>(MODES.map((m) => [m, []]));
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? MODES : [...MODES].reverse();
    for (const mode of order) {
      const perBet = runOnce(mode, blocks, blockSize);
      runs.get(mode)?.push(perBet);
      process.stderr.write(`round ${r + 1} ${mode}: ${perBet.map((us) => us.toFixed(1)).join(" ")} µs/bet\n`);
    }
  }

  const fmt = (xs: number[]) => {
    const m = percentile(xs, 50) as number;
    return `${m.toFixed(1)} (${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)})`;
  };
  const header = Array.from({ length: blocks }, (_, b) => `${((b + 1) * blockSize).toLocaleString("en-US")}`);
  const rows = MODES.map((mode) => {
    const perRound = runs.get(mode) as number[][];
    const cells = header.map((_, b) => fmt(perRound.map((run) => run[b] as number)));
    return `| ${mode === "memdb" ? "memdb (now)" : ":memory: (before)"} | ${cells.join(" | ")} |`;
  });
  const ratio = (mode: Mode) => {
    const perRound = runs.get(mode) as number[][];
    return percentile(
      perRound.map((run) => (run[blocks - 1] as number) / (run[0] as number)),
      50,
    ) as number;
  };
  const body = [
    "## The sandbox as it fills (`node dist/bench/sandbox-growth.js`)",
    "",
    `µs per settled bet (the sandbox's bet engine, one transaction per bet, ${AGENTS} agents, no HTTP), in blocks of ` +
      `${blockSize.toLocaleString("en-US")} bets from an empty database; the column is the bets stored at the block's ` +
      `end. Median of ${rounds} rounds (range), modes alternated. ${new Date().toISOString().slice(0, 16)}Z, ` +
      `node ${process.version}.`,
    "",
    `| database | ${header.join(" | ")} |`,
    `|---|${header.map(() => "---:").join("|")}|`,
    ...rows,
    "",
    `Last block ÷ first: \`:memory:\` ${ratio(":memory:").toFixed(2)}×, memdb ${ratio("memdb").toFixed(2)}×. A ` +
      "`:memory:` database keeps every page in SQLite's page cache and each COMMIT walks it " +
      "(`pcache1TruncateUnsafe`, 78 % of a filled sandbox's CPU in `perf`), so the sandbox slowed as it filled — and " +
      "so did every bench that shared one sandbox across rounds.",
  ].join("\n");
  replaceSection(RESULTS, "sandbox-growth", body);
  process.stdout.write(`${body}\n`);
}

main();
