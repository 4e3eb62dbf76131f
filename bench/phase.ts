/**
 * One benchmark phase in its own process (so its peak RSS is its own): registers and funds fresh agents on
 * the sandbox, runs the phase, and prints its PhaseResult as one JSON line. Started by bench/engine.ts.
 */
import { createPurpleFleaClient } from "../src/purpleflea/index.js";
import { runEngine } from "./engine-run.js";
import type { PhaseInput, PhaseResult } from "./phase-types.js";
import { type BenchAgent, runPlainLoop } from "./plain-loop.js";

const FUND_USD = 1_000;

async function main(): Promise<void> {
  const input = JSON.parse(process.argv[2] ?? "") as PhaseInput;
  const agents = await registerAgents(input);
  const before = await batchCalls(input);
  const result: PhaseResult =
    input.mode === "engine" ? await runEngine(input, agents) : await runPlainLoop(input, agents);
  result.httpCalls = (await batchCalls(input)) - before;
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

async function registerAgents(input: PhaseInput): Promise<BenchAgent[]> {
  const client = createPurpleFleaClient({ urls: input.urls });
  const agents: BenchAgent[] = [];
  for (let i = 0; i < input.agents; i++) {
    const reg = await client.casino.register();
    const res = await fetch(`${input.controlUrl}/_sandbox/fund`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ agent_id: reg.agentId, amount_usd: FUND_USD }),
    });
    if (!res.ok) throw new Error(`funding ${reg.agentId} failed: ${res.status} ${await res.text()}`);
    agents.push({ agentId: reg.agentId, apiKey: reg.apiKey });
  }
  await client.close();
  return agents;
}

/** bet-placing calls the sandbox has seen (single games and batches) */
async function batchCalls(input: PhaseInput): Promise<number> {
  const res = await fetch(`${input.controlUrl}/_sandbox/stats`);
  const stats = (await res.json()) as { byRoute: Record<string, number> };
  return Object.entries(stats.byRoute)
    .filter(([route]) => route.includes("/games/") || route.includes("/bets/batch"))
    .reduce((sum, [, n]) => sum + n, 0);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench phase failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  // an engine, a client or a storage left open by the failure must not keep the phase alive
  process.exit(1);
});
