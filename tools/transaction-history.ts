import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import type { FleetDeps } from "../src/deps.js";
import { FleetError } from "../src/errors.js";
import { localHistoryPage } from "../src/mcp/local-history.js";
import { agentId, cursor, modeField, pageLimit } from "../src/mcp/schemas.js";
import { registerTool } from "../src/mcp/tool.js";
import { microsToUsd } from "../src/money.js";

export const input = {
  agent_id: agentId,
  source: z
    .enum(["server", "local", "both"])
    .default("both")
    .describe(
      "server: the casino's own ledger rows (its last 50); local: pf-fleet's ledger (bets and movements, paginated)",
    ),
  limit: pageLimit(200, 50),
  cursor: cursor.describe("`next_cursor` of the previous local page"),
};

const serverRow = z.object({
  id: z.string(),
  type: z.string(),
  amount_usd: z.number(),
  balance_after_usd: z.number(),
  reason: z.string(),
  reference: z.string().nullable(),
  service: z.string(),
  at: z.string(),
});

const localRow = z.object({
  kind: z.string().describe("bet, or a movement: faucet, escrow_lock, escrow_release, opening_balance, …"),
  reference: z.string().describe("client_seed for a bet; escrow id / claim id / server row for a movement"),
  amount_usd: z.number().describe("signed change of the agent's balance"),
  detail: z.string(),
  job_id: z.string().nullable(),
  at: z.string(),
});

export const output = {
  mode: modeField,
  agent_id: z.string(),
  server: z.array(serverRow).nullable(),
  local: z.array(localRow).nullable(),
  next_cursor: z.string().nullable(),
};

export function register(server: McpServer, deps: FleetDeps): void {
  registerTool(server, {
    name: "transaction_history",
    title: "Transaction history",
    description: [
      "An agent's money history, newest first: the casino's own ledger rows (GET /auth/ledger: credits,",
      "debits, escrow locks and releases, faucet; the server keeps its last 50) and/or pf-fleet's local",
      "ledger (every bet and movement, paginated with next_cursor). Amounts are signed USD. Use it to",
      "explain a balance or audit bets; for totals and win rates use pnl_report. Read-only.",
    ].join(" "),
    input,
    output,
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
    async handler(args, ctx) {
      if (!(await deps.fleet.getAgent(args.agent_id))) {
        throw new FleetError("NOT_FOUND", `no agent \`${args.agent_id}\` in the fleet`, {
          hint: "list_agents shows the fleet",
        });
      }
      const wantServer = args.source !== "local" && !args.cursor;
      const wantLocal = args.source !== "server";
      const serverRows = wantServer
        ? (await deps.client.casino.ledger(await deps.fleet.keyFor(args.agent_id), { signal: ctx.signal }))
            .slice(0, args.limit)
            .map((e) => ({
              id: e.id,
              type: e.type,
              amount_usd: microsToUsd(e.amount),
              balance_after_usd: microsToUsd(e.balanceAfter),
              reason: e.reason,
              reference: e.reference,
              service: e.service,
              at: e.at,
            }))
        : null;
      const page = wantLocal ? await localHistoryPage(deps.storage, args.agent_id, args.limit, args.cursor) : null;
      const text = [
        `${args.agent_id} (${deps.mode} mode)`,
        serverRows ? `server ledger: ${serverRows.length} row(s)` : "",
        ...(serverRows ?? []).slice(0, 10).map((r) => `  ${r.at} ${r.type} ${r.amount_usd} USD — ${r.reason}`),
        page ? `local ledger: ${page.rows.length} row(s)${page.nextCursor ? " (more: pass next_cursor)" : ""}` : "",
        ...(page?.rows ?? []).slice(0, 10).map((r) => `  ${r.at} ${r.kind} ${r.amount_usd} USD — ${r.detail}`),
      ]
        .filter(Boolean)
        .join("\n");
      return {
        structured: {
          mode: deps.mode,
          agent_id: args.agent_id,
          server: serverRows,
          local: page?.rows ?? null,
          next_cursor: page?.nextCursor ?? null,
        },
        text,
      };
    },
  });
}
