import { completable } from "@modelcontextprotocol/sdk/server/completable.js";
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import type { FleetDeps } from "../src/deps.js";
import { DAY_MS, isoWeekKey, utcDateKey } from "../src/ledger/index.js";
import { ledgerDays, startingWith } from "../src/mcp/completions.js";
import { agentIdArg, call, type OfferedTools, steps, userPrompt, whose } from "./_prompt.js";

/**
 * `review_pnl`: a period's PnL with the ledger reconciled against the server, and where to look when they
 * disagree.
 */

const NAMED_PERIODS = ["today", "yesterday", "this_week", "last_week", "all"] as const;
const PERIOD = /^(today|yesterday|this_week|last_week|all|\d{4}-\d{2}-\d{2}|\d{4}-W\d{2})$/;

/** A prompt's period → pnl_report's `period` and `date`, and how to say it. */
export function pnlPeriod(period: string, now: number): { args: { period: string; date?: string }; label: string } {
  switch (period) {
    case "today":
      return { args: { period: "today" }, label: "today (UTC)" };
    case "yesterday": {
      const date = utcDateKey(now - DAY_MS);
      return { args: { period: "day", date }, label: `yesterday, ${date} (UTC)` };
    }
    case "this_week":
      return { args: { period: "week" }, label: `this ISO week, ${isoWeekKey(now)}` };
    case "last_week": {
      const week = isoWeekKey(now - 7 * DAY_MS);
      return { args: { period: "week", date: week }, label: `last ISO week, ${week}` };
    }
    case "all":
      return { args: { period: "all" }, label: "all time" };
    default:
      return period.includes("W")
        ? { args: { period: "week", date: period }, label: `ISO week ${period}` }
        : { args: { period: "day", date: period }, label: `${period} (UTC)` };
  }
}

export function register(server: McpServer, deps: FleetDeps, tools: OfferedTools): void {
  if (!tools.has("pnl_report")) return;
  server.registerPrompt(
    "review_pnl",
    {
      title: "Review PnL",
      description:
        "PnL for a period (today, yesterday, this or last week, a day, all time) by game and agent, with each agent's ledger reconciled against its server balance.",
      argsSchema: {
        period: completable(
          z
            .string()
            .regex(PERIOD, `must be ${NAMED_PERIODS.join(", ")}, a day YYYY-MM-DD or an ISO week YYYY-Www`)
            .optional()
            .describe(`${NAMED_PERIODS.join(" | ")} | YYYY-MM-DD | YYYY-Www; default today`),
          // the named periods, then the days the ledger holds bets on
          async (value) => [...startingWith(NAMED_PERIODS, value ?? ""), ...(await ledgerDays(deps, value ?? ""))],
        ),
        agent_id: agentIdArg(deps, "one fleet agent; omit for the whole fleet"),
      },
    },
    ({ period, agent_id }) => {
      const { args, label } = pnlPeriod(period ?? "today", Date.now());
      const agents = agent_id ? { agent_ids: [agent_id] } : {};
      const text = [
        `Review pf-fleet's trading PnL for ${label}, for ${whose(agent_id)}. Amounts are USD.`,
        steps([
          `${call("pnl_report", { ...args, ...agents, reconcile: true })}: report the total PnL, wagered, win rate, the split by game and by agent, the best and worst bet, and fees or faucet income.`,
          "Look at its reconciliation: for each agent the local ledger should agree with the server balance to the micro-dollar.",
          tools.has("transaction_history")
            ? `For an agent that does not agree, ${call("transaction_history", { agent_id: "<that agent>" })} to find the rows that differ.`
            : null,
          tools.has("list_jobs")
            ? `${call("list_jobs", { state: ["unknown", "failed", "dead"] })}: a money job with an unknown outcome can explain a gap until it is reconciled.`
            : null,
        ]),
        "Finish with two or three sentences: how the period went, and whether the books agree.",
      ].join("\n");
      return userPrompt(`PnL for ${label}, reconciled`, text);
    },
  );
}
