/**
 * One BullMQ run in its own process (so its peak RSS is its own), like bench/phase.ts for the engine: registers
 * and funds fresh agents on the sandbox, runs `runBullmq` against the redis-server it is given, and prints one
 * JSON line: the BullmqResult plus the casino calls the sandbox saw and the agents' balance change (a check on
 * the parent's PnL). Started by bench/compare-bullmq.ts; exits when its stdin closes (the runner died).
 */
import type { ServiceUrls } from "../src/config.js";
import { createPurpleFleaClient } from "../src/purpleflea/index.js";
import { type BullmqResult, runBullmq } from "./bullmq.js";
import type { RedisHandle } from "./bullmq-redis.js";
import { casinoCalls, registerAgents } from "./sandbox-agents.js";

export interface BullmqPhaseInput {
  n: number;
  inFlight: number;
  agents: number;
  urls: ServiceUrls;
  /** the sandbox's control origin (funding, stats) */
  controlUrl: string;
  redis: RedisHandle;
}

export interface BullmqPhaseResult extends BullmqResult {
  /** `bets/batch` (and single-game) calls the sandbox answered during the run: > calls means re-sends */
  httpCalls: number;
  /** Σ agents' balance after − before, micro-USD (the server rounds balances to the cent) */
  balanceDelta: number;
}

async function main(): Promise<void> {
  process.stdin.on("end", () => process.exit(1));
  process.stdin.resume();
  const input = JSON.parse(process.argv[2] ?? "") as BullmqPhaseInput;
  const client = createPurpleFleaClient({ urls: input.urls });
  const agents = await registerAgents(input.urls, input.controlUrl, input.agents);
  const balances = async (): Promise<number> =>
    (await Promise.all(agents.map((a) => client.casino.balance(a.apiKey)))).reduce((s, b) => s + b.balance, 0);
  const balanceBefore = await balances();
  const callsBefore = await casinoCalls(input.controlUrl);
  const result = await runBullmq({
    n: input.n,
    inFlight: input.inFlight,
    urls: input.urls,
    agents,
    redis: input.redis,
  });
  const out: BullmqPhaseResult = {
    ...result,
    httpCalls: (await casinoCalls(input.controlUrl)) - callsBefore,
    balanceDelta: (await balances()) - balanceBefore,
  };
  await client.close();
  process.stdout.write(`${JSON.stringify(out)}\n`);
  process.exit(0);
}

main().catch((err: unknown) => {
  process.stderr.write(`bullmq phase failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
