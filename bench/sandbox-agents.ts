/** What every bench phase does on the sandbox before and after it measures: fund fresh agents, count calls. */
import type { ServiceUrls } from "../src/config.js";
import { createPurpleFleaClient } from "../src/purpleflea/index.js";

const FUND_USD = 1_000;

export interface FundedAgent {
  agentId: string;
  apiKey: string;
}

/** `count` fresh casino agents, each funded with $1,000 through the sandbox's control route. */
export async function registerAgents(urls: ServiceUrls, controlUrl: string, count: number): Promise<FundedAgent[]> {
  const client = createPurpleFleaClient({ urls });
  const agents: FundedAgent[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const reg = await client.casino.register();
      const res = await fetch(`${controlUrl}/_sandbox/fund`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ agent_id: reg.agentId, amount_usd: FUND_USD }),
      });
      if (!res.ok) throw new Error(`funding ${reg.agentId} failed: ${res.status} ${await res.text()}`);
      agents.push({ agentId: reg.agentId, apiKey: reg.apiKey });
    }
  } finally {
    await client.close();
  }
  return agents;
}

/** bet-placing calls the sandbox has answered (single games and batches) */
export async function casinoCalls(controlUrl: string): Promise<number> {
  const res = await fetch(`${controlUrl}/_sandbox/stats`);
  const stats = (await res.json()) as { byRoute: Record<string, number> };
  return Object.entries(stats.byRoute)
    .filter(([route]) => route.includes("/games/") || route.includes("/bets/batch"))
    .reduce((sum, [, n]) => sum + n, 0);
}
