// A worker process for the FIFO soak (test/money/fifo-soak.test.ts): the built engine (dist/) on the test's
// shared database, running one plain task under a tight per-agent rate limit. It runs until SIGTERM (clean stop)
// or SIGKILL (the crash under test). Usage: node fifo-worker.mjs '<json options>'
//   { dbPath, limit, windowMs, failRate, concurrency, leaseMs }
// Prints "ready" on stdout once dispatching.
import { z } from "zod";
import { DEFAULT_CONCURRENCY } from "../../dist/src/config.js";
import { FleetError } from "../../dist/src/errors.js";
import { DatabaseClock } from "../../dist/src/jobs/database-clock.js";
import { createJobEngine } from "../../dist/src/jobs/index.js";
import { silentLogger } from "../../dist/src/log.js";
import { openStorage } from "../../dist/src/storage/index.js";

const opts = JSON.parse(process.argv[2] ?? "{}");
const storage = await openStorage(opts.dbPath);
// on a shared PostgreSQL every process keeps the database's time, as pf-fleet does (src/server.ts)
const clock = storage.dialect === "postgres" ? await DatabaseClock.start(storage) : undefined;
const engine = createJobEngine({
  storage,
  config: {
    concurrency: { ...DEFAULT_CONCURRENCY, casino: opts.concurrency ?? 4 },
    resultTtlMs: 3_600_000,
    alertWebhookUrl: undefined,
  },
  logger: silentLogger,
  leaseMs: opts.leaseMs ?? 1_500,
  pollMs: 50,
  ...(clock ? { clock } : {}),
});
engine.register({
  name: "fifo.step",
  queue: "casino",
  moneyMoving: false,
  timeLimitMs: 10_000,
  retry: { maxAttempts: 20, baseDelayMs: 100, maxDelayMs: 400, jitter: 0.2 },
  args: z.object({ agent: z.string(), n: z.number() }),
  rateLimits: (args) => [{ key: `fifo:agent:${args.agent}`, limit: opts.limit, windowMs: opts.windowMs }],
  async run({ signal }) {
    // a call's worth of work, and now and then the transient failure an upstream 500 would be
    await new Promise((resolve) => setTimeout(resolve, 5 + Math.floor(Math.random() * 30)));
    signal.throwIfAborted();
    if (Math.random() < (opts.failRate ?? 0))
      throw new FleetError("UPSTREAM_UNAVAILABLE", "injected transient failure");
    return "ok";
  },
});
await engine.start();
const keepAlive = setInterval(() => {}, 60_000);
process.stdout.write("ready\n");

process.on("SIGTERM", async () => {
  clearInterval(keepAlive);
  await engine.stop({ graceMs: 2_000 });
  clock?.stop();
  await storage.close();
  process.exit(0);
});
