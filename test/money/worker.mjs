// A pf-fleet worker process for the money tests: the built engine and tasks (dist/, `npm test` builds it) on
// a shared SQLite file, against a sandbox the parent started. It runs jobs until SIGTERM (clean stop) or
// SIGKILL (the crash under test). Usage: node worker.mjs '<json options>'
//   { dbPath, urls, rateLimits, leaseMs, concurrency, logLevel? } (logLevel: pino logs to stderr, for debugging)
// Prints "ready" on stdout once dispatching.
import { DEFAULT_CONCURRENCY } from "../../dist/src/config.js";
import { createFleetStore } from "../../dist/src/fleet/index.js";
import { openKeyVault } from "../../dist/src/fleet/key-vault.js";
import { createJobEngine } from "../../dist/src/jobs/index.js";
import { registerFleetTasks } from "../../dist/src/jobs/tasks/index.js";
import { createLogger, silentLogger } from "../../dist/src/log.js";
import { createPurpleFleaClient } from "../../dist/src/purpleflea/index.js";
import { openStorage } from "../../dist/src/storage/index.js";

const opts = JSON.parse(process.argv[2] ?? "{}");
const logger = opts.logLevel ? createLogger(opts.logLevel) : silentLogger;
const storage = await openStorage(opts.dbPath);
const big = 1_000_000_000;
const fleet = createFleetStore(
  storage,
  { limits: { maxBet: big, maxBatch: big, dailyLossLimit: big, fleetDailyLossLimit: big } },
  // the same vault as the test's own process: the key file beside SQLite, or the project's PF_SECRET_KEY
  {
    vault: openKeyVault({
      secret: process.env.PF_SECRET_KEY,
      sqlitePath: opts.dbPath.startsWith("postgres") ? undefined : opts.dbPath,
    }),
  },
);
const client = createPurpleFleaClient({ urls: opts.urls, timeoutMs: 5_000, logger });
const engine = createJobEngine({
  storage,
  config: {
    concurrency: { ...DEFAULT_CONCURRENCY, ...opts.concurrency },
    resultTtlMs: 24 * 3_600_000,
    alertWebhookUrl: undefined,
  },
  logger,
  leaseMs: opts.leaseMs ?? 1_500,
  settleMs: 200,
  pollMs: 50,
});
registerFleetTasks(engine, { storage, client, engine, fleet, logger }, { rateLimits: opts.rateLimits ?? false });
await engine.start();
// The engine's timers are unref'd (a library must not hold its host open); a worker is the host, so it does.
const keepAlive = setInterval(() => {}, 60_000);
process.stdout.write("ready\n");

process.on("SIGTERM", async () => {
  clearInterval(keepAlive);
  await engine.stop({ graceMs: 2_000 });
  await client.close();
  await storage.close();
  process.exit(0);
});
