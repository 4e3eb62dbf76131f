import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import type { FleetDeps } from "../src/deps.js";
import { FleetError, toFleetError } from "../src/errors.js";
import {
  formatReport,
  type PeriodKind,
  periodRange,
  pnlReport,
  type ReconciliationLine,
  reconciliationReport,
} from "../src/ledger/index.js";
import { FLEET_VIEW_META } from "../src/mcp/apps/fleet-view.js";
import { pnlFiguresView } from "../src/mcp/pnl-view.js";
import { agentId, modeField } from "../src/mcp/schemas.js";
import { registerTool } from "../src/mcp/tool.js";
import { formatUsd, type Micros, microsToUsd } from "../src/money.js";
import { readWithRetry } from "../src/purpleflea/read-retry.js";
import { unknownAgents } from "./_agents.js";

/**
 * `pnl_report`: the ledger's PnL analytics for a period, optionally with each agent's local ledger checked
 * against its server balance. Reads only; the reconciliation line is the one part that calls the server.
 */

const PERIODS = ["today", "day", "week", "range", "all"] as const;

const input = {
  period: z
    .enum(PERIODS)
    .default("today")
    .describe(
      "today (UTC) | day (needs date) | week (ISO week; date optional, default this week) | range (needs from and to) | all",
    ),
  date: z
    .string()
    .regex(/^\d{4}-(\d{2}-\d{2}|W\d{2})$/, "must be YYYY-MM-DD, or YYYY-Www for a week")
    .optional()
    .describe("day: YYYY-MM-DD (UTC); week: an ISO week YYYY-Www such as 2026-W48, or any YYYY-MM-DD inside it"),
  from: z
    .string()
    .min(10, "must be an ISO date or date-time such as 2026-11-01 or 2026-11-01T12:00:00Z")
    .optional()
    .describe("range start, inclusive: ISO date or date-time (read as UTC without a zone)"),
  to: z
    .string()
    .min(10, "must be an ISO date or date-time such as 2026-11-08 or 2026-11-08T00:00:00Z")
    .optional()
    .describe("range end, exclusive: ISO date or date-time (read as UTC without a zone)"),
  agent_ids: z
    .array(agentId)
    .min(1, "must list at least one agent id, or be omitted for the whole fleet")
    .optional()
    .describe("only these fleet agents; omit for the whole fleet"),
  reconcile: z
    .boolean()
    .default(false)
    .describe("also compare each agent's local ledger with its server balance (one balance call per agent)"),
};

const usdAmount = z.number();
const trade = z.object({ client_seed: z.string(), bet_id: z.string(), net_usd: usdAmount }).nullable();
const tradeStats = z.object({
  bets: z.number().int(),
  wins: z.number().int(),
  losses: z.number().int(),
  win_rate: z.number().nullable().describe("0–1; null with no bets"),
  wagered_usd: usdAmount,
  returned_usd: usdAmount,
  pnl_usd: usdAmount,
  best: trade,
  worst: trade,
});
const day = z.object({ date: z.string(), pnl_usd: usdAmount, bets: z.number().int() });

const output = {
  mode: modeField,
  period: z.object({
    kind: z.enum(PERIODS),
    from: z.string().nullable().describe("inclusive, ISO; null = from the start"),
    to: z.string().nullable().describe("exclusive, ISO; null = until now"),
  }),
  agent_ids: z.array(z.string()).nullable().describe("the filter applied; null = whole fleet"),
  totals: tradeStats,
  by_game: z.record(z.string(), tradeStats),
  by_agent: z.record(z.string(), tradeStats),
  escrow_fees_usd: usdAmount,
  faucet_income_usd: usdAmount,
  net_change_usd: usdAmount.describe("change of the agents' balances, every ledger row"),
  days: z.array(day),
  average_daily_pnl_usd: usdAmount.nullable(),
  best_day: day.nullable(),
  worst_day: day.nullable(),
  sharpe_per_bet: z.number().nullable().describe("per bet, not annualised"),
  sharpe_daily: z.number().nullable().describe("daily, not annualised"),
  max_drawdown_usd: usdAmount,
  reconciliation: z
    .array(
      z.object({
        agent_id: z.string(),
        local_usd: usdAmount.nullable(),
        server_usd: usdAmount.nullable(),
        difference_usd: usdAmount.nullable().describe("server − local"),
        unattributed_usd: usdAmount
          .nullable()
          .describe("of local: money the server moved that no server ledger row pf-fleet saw explains"),
        ok: z.boolean(),
        error: z.string().optional().describe("why the server balance could not be read"),
      }),
    )
    .optional(),
};

type Input = z.output<z.ZodObject<typeof input>>;

export function register(server: McpServer, deps: FleetDeps): void {
  registerTool(server, {
    name: "pnl_report",
    title: "PnL report",
    description: [
      "Profit and loss from pf-fleet's own ledger, in USD: bets, wins, win rate, PnL, best/worst bet, by",
      "game and by agent; escrow fees, faucet income, net balance change; per-day PnL, Sharpe ratios (per",
      "bet and daily, not annualised) and max drawdown. Periods are UTC: today, day, week (ISO week, Monday",
      "to Monday), range (from inclusive, to exclusive), all. reconcile: true also compares each agent's",
      "ledger with its server balance (a difference is shown, never hidden). Read-only; for an agent's live",
      "balance use wallet_balance. Returns the report and a text table.",
    ].join(" "),
    input,
    output,
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
    // hosts with MCP Apps show the report in the PnL view (chart by day, per-agent table)
    _meta: FLEET_VIEW_META,
    async handler(args, ctx) {
      const range = resolvePeriod(args);
      const agentIds = args.agent_ids ? await knownAgents(deps, args.agent_ids) : undefined;
      const report = await pnlReport(deps.storage, { ...range, ...(agentIds ? { agentIds } : {}) });
      const reconciliation = args.reconcile
        ? await reconcile(deps, agentIds ?? (await deps.fleet.listAgents()).map((a) => a.agentId), ctx.signal)
        : undefined;
      return {
        structured: {
          mode: deps.mode,
          period: {
            kind: args.period,
            from: range.from === undefined ? null : new Date(range.from).toISOString(),
            to: range.to === undefined ? null : new Date(range.to).toISOString(),
          },
          agent_ids: agentIds ?? null,
          ...pnlFiguresView(report),
          ...(reconciliation ? { reconciliation: reconciliationOut(reconciliation) } : {}),
        },
        text: [`[${deps.mode}]`, formatReport(report), ...reconciliationText(reconciliation)].join("\n"),
      };
    },
  });
}

/** Rejects fields that do not belong to the period (a `date` with `range` is a misunderstanding, not noise). */
function resolvePeriod(args: Input): { from?: number; to?: number } {
  const misplaced: string[] = [];
  if (args.date !== undefined && args.period !== "day" && args.period !== "week") misplaced.push("date");
  if (args.from !== undefined && args.period !== "range") misplaced.push("from");
  if (args.to !== undefined && args.period !== "range") misplaced.push("to");
  if (args.period === "day" && args.date !== undefined && args.date.includes("W")) {
    throw invalid(`period \`day\` needs date YYYY-MM-DD, got \`${args.date}\``);
  }
  if (misplaced.length) {
    throw invalid(`${misplaced.join(", ")} do not apply to period \`${args.period}\``);
  }
  try {
    return periodRange(args.period as PeriodKind, {
      now: Date.now(),
      ...(args.date !== undefined ? { date: args.date } : {}),
      ...(args.from !== undefined ? { from: args.from } : {}),
      ...(args.to !== undefined ? { to: args.to } : {}),
    });
  } catch (err) {
    const e = toFleetError(err);
    throw e.code === "INVALID_INPUT" ? invalid(e.message) : e;
  }
}

function invalid(message: string): FleetError {
  return new FleetError("INVALID_INPUT", message, {
    hint: "day needs date (YYYY-MM-DD); week takes an optional date (YYYY-Www or a day in it); range needs from and to",
  });
}

async function knownAgents(deps: FleetDeps, ids: string[]): Promise<string[]> {
  const unknown = await unknownAgents(deps, ids);
  if (unknown.length) {
    throw new FleetError("NOT_FOUND", `not fleet agents: ${unknown.join(", ")}`, {
      hint: "list_agents shows the fleet's agent ids",
    });
  }
  return [...new Set(ids)];
}

interface ReconciledAgent {
  agentId: string;
  line?: ReconciliationLine;
  /** why the server balance could not be read */
  error?: string;
}

/** One balance read per agent; an agent whose read fails gets its error, the others still their line. */
async function reconcile(deps: FleetDeps, agentIds: string[], signal: AbortSignal): Promise<ReconciledAgent[]> {
  const balances = await Promise.all(
    agentIds.map(async (agentId) => {
      try {
        const key = await deps.fleet.keyFor(agentId);
        const b = await readWithRetry(() => deps.client.casino.balance(key, { signal }), { signal });
        return { agentId, balance: b.balance };
      } catch (err) {
        return { agentId, error: toFleetError(err).message };
      }
    }),
  );
  const read = new Map(balances.flatMap((b) => (b.balance === undefined ? [] : [[b.agentId, b.balance] as const])));
  const lines = new Map((await reconciliationReport(deps.storage, read)).map((l) => [l.agentId, l]));
  return balances.map((b) => {
    const line = lines.get(b.agentId);
    return line ? { agentId: b.agentId, line } : { agentId: b.agentId, error: b.error ?? "no balance" };
  });
}

function reconciliationOut(agents: ReconciledAgent[]) {
  return agents.map(({ agentId, line, error }) =>
    line
      ? {
          agent_id: agentId,
          local_usd: microsToUsd(line.local),
          server_usd: microsToUsd(line.server),
          difference_usd: microsToUsd(line.difference),
          unattributed_usd: microsToUsd(line.unattributed),
          ok: line.ok,
        }
      : {
          agent_id: agentId,
          local_usd: null,
          server_usd: null,
          difference_usd: null,
          unattributed_usd: null,
          ok: false,
          error,
        },
  );
}

function reconciliationText(agents: ReconciledAgent[] | undefined): string[] {
  if (!agents) return [];
  const usd = (m: Micros) => formatUsd(m, 6);
  return [
    "",
    "Reconciliation (local ledger vs server balance, USD):",
    ...agents.map(({ agentId, line, error }) =>
      line
        ? `  ${agentId}  local ${usd(line.local)}  server ${usd(line.server)}  difference ${usd(line.difference)}  ${line.ok ? "ok" : "MISMATCH"}` +
          (line.unattributed === 0
            ? ""
            : `  (local includes ${usd(line.unattributed)} unattributed: server rows the 50-row ledger window never showed)`)
        : `  ${agentId}  server balance unavailable: ${error}`,
    ),
  ];
}
