import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import type { FleetDeps } from "../src/deps.js";
import type { CoinSide } from "../src/purpleflea/fairness.js";
import { batchDescription, registerBatchTool } from "./_batch.js";

/** `place_coinflip_batch`: N coin flips on one side, or alternating sides. */

const input = {
  side: z
    .enum(["heads", "tails", "alternate"], { error: "must be `heads`, `tails` or `alternate`" })
    .describe("heads | tails | alternate (each agent's bets go heads, tails, heads, …)"),
};

const sideFor = (side: "heads" | "tails" | "alternate", agentBet: number): CoinSide =>
  side === "alternate" ? (agentBet % 2 === 0 ? "heads" : "tails") : side;

export function register(server: McpServer, deps: FleetDeps): void {
  registerBatchTool(server, deps, {
    name: "place_coinflip_batch",
    title: "Place a coin-flip bet batch",
    description: batchDescription(
      [
        "Places Purple Flea coin flips on heads, tails or alternating sides. A win pays 1.99× the stake (the engine's",
        "real payout; marketing pages say 1.96×) at exactly 50%: a 0.5% house edge. At the default risk factor the",
        "Kelly cap is 12.5% of an agent's balance per bet ($0.12 on $1).",
      ].join(" "),
    ),
    input,
    bet: (a) => ({ game: "coin-flip", side: sideFor(a.side, 0) }),
    betAt: (a, agentBet) => ({ game: "coin-flip", side: sideFor(a.side, agentBet) }),
    betView: (a) => ({ game: "coin-flip", side: a.side }),
    label: (a) => `coin flips on ${a.side}`,
  });
}
