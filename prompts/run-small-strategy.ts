import { completable } from "@modelcontextprotocol/sdk/server/completable.js";
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import type { FleetDeps } from "../src/deps.js";
import { startingWith } from "../src/mcp/completions.js";
import { formatUsd, usdToMicros } from "../src/money.js";
import { agentIdArg, call, type OfferedTools, steps, userPrompt, whose } from "./_prompt.js";

/**
 * `run_small_strategy`: a budget split into at most ten bets, placed the careful way — limits and balance first,
 * a dry run that sends nothing, the batch, then its PnL checked against the server.
 */

/** Each game's tool and the even-odds bet a first run uses. */
const GAMES = {
  crash: { tool: "place_crash_batch", bet: { cash_out_at: 2 }, label: "crash (cash out at 2×)" },
  coinflip: { tool: "place_coinflip_batch", bet: { side: "heads" }, label: "coin-flip (heads)" },
  dice: { tool: "place_dice_batch", bet: { direction: "over", threshold: 50 }, label: "dice (over 50)" },
} as const;
type Game = keyof typeof GAMES;
const GAME_NAMES = Object.keys(GAMES) as Game[];

const MAX_BETS = 10;
const CENT = 10_000; // micro-USD

/** `1` → 10 bets of $0.10; `0.05` → 5 bets of $0.01: whole cents per bet, never more than the budget in all. */
export function smallBatch(budgetUsd: number): { count: number; amountUsd: number } {
  const cents = Math.floor(usdToMicros(budgetUsd) / CENT);
  const count = Math.min(MAX_BETS, cents);
  return { count, amountUsd: Math.floor(cents / count) / 100 };
}

export function register(server: McpServer, deps: FleetDeps, tools: OfferedTools): void {
  const games = GAME_NAMES.filter((g) => tools.has(GAMES[g].tool));
  if (games.length === 0) return;
  server.registerPrompt(
    "run_small_strategy",
    {
      title: "Run a small betting strategy safely",
      description:
        "Checks limits and balance, dry-runs a batch of at most 10 bets within your budget, places it, then reviews its PnL against the server.",
      argsSchema: {
        game: completable(
          z
            .enum(games as [Game, ...Game[]], { error: `must be one of ${games.join(", ")}` })
            .describe(games.join(" | ")),
          (value) => startingWith(games, value ?? ""),
        ),
        budget_usd: completable(
          z
            .string()
            .regex(/^\d+(\.\d{1,2})?$/, "must be a USD amount such as 1 or 0.50 (not cents)")
            .refine((s) => Number(s) >= 0.01, "must be at least 0.01 USD")
            .describe("the most to stake in all, in USD (0.50 = fifty cents), split into at most 10 bets"),
          (value) => startingWith(["0.10", "0.50", "1", "2", "5"], value ?? ""),
        ),
        agent_id: agentIdArg(deps, "one fleet agent to bet with; omit to spread the bets over the fleet"),
      },
    },
    ({ game, budget_usd, agent_id }) => {
      const g = GAMES[game];
      const { count, amountUsd } = smallBatch(Number(budget_usd));
      const batch = { ...g.bet, count, amount: amountUsd, ...(agent_id ? { agent_ids: [agent_id] } : {}) };
      const stake = `${count} bets of $${formatUsd(usdToMicros(amountUsd))}`;
      const text = [
        `Run a small ${g.label} strategy with pf-fleet for ${whose(agent_id)}: ${stake}, at most $${budget_usd} in all.`,
        deps.mode === "live"
          ? "pf-fleet is in LIVE mode: these bets stake real money."
          : "pf-fleet is in sandbox mode: play money.",
        "Do these steps in order and stop at the first one that refuses or looks wrong, saying why:",
        steps([
          `${call("get_risk_limits")}: the per-bet maximum and the daily loss limit must leave room for ${stake}, and trading must not be paused.`,
          `${call("wallet_balance", { agent_id })}: the balance must cover $${budget_usd}${tools.has("claim_faucet") ? " (a new agent can get $1 once with `claim_faucet`)" : ""}.`,
          `${call(g.tool, { ...batch, dry_run: true })}: a dry run that sends nothing. Read its plan (stakes, Kelly caps, expected value, house edge); if \`blocked_by\` is set, explain it and stop.`,
          `${call(g.tool, { ...batch, dry_run: false, wait_seconds: 30 })}: the same batch for real. If its status is \`running\`, follow it with ${call("job_status", { job_id: "<job_id from the result>", wait_seconds: 30 })}.`,
          tools.has("pnl_report")
            ? `${call("pnl_report", { period: "today", ...(agent_id ? { agent_ids: [agent_id] } : {}), reconcile: true })}: today's PnL, and whether each agent's ledger agrees with its server balance.`
            : `${call("wallet_balance", { agent_id })} again: the balance after the batch, and whether it agrees with the ledger.`,
        ]),
        "Finish with a short summary: what was staked, won and lost, the PnL, and anything that needs attention.",
      ].join("\n");
      return userPrompt(`A small ${g.label} batch within $${budget_usd}`, text);
    },
  );
}
