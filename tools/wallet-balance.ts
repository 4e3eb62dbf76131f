import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import type { FleetDeps } from "../src/deps.js";
import { FleetError, toFleetError } from "../src/errors.js";
import { localBalance, recordBalanceSnapshot } from "../src/ledger/index.js";
import { redactSecrets } from "../src/log.js";
import { agentId, modeField } from "../src/mcp/schemas.js";
import { registerTool } from "../src/mcp/tool.js";
import { formatUsd, microsToUsd } from "../src/money.js";
import { readWithRetry } from "../src/purpleflea/read-retry.js";

export const input = { agent_id: agentId.optional().describe("one agent; omit for every agent in the fleet") };

const line = z.object({
  agent_id: z.string(),
  label: z.string(),
  balance_usd: z
    .number()
    .nullable()
    .describe("the casino's balance_usd (the real USD balance), as the server reports it"),
  local_ledger_usd: z.number().describe("what pf-fleet's ledger says the agent holds"),
  difference_usd: z.number().nullable().describe("server − ledger; 0 when they agree to the micro-dollar"),
  agrees: z.boolean().nullable(),
  tier: z.string().nullable(),
  risk_factor: z.number().nullable().describe("the casino's Kelly risk factor for this agent"),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
});

export const output = {
  mode: modeField,
  agents: z.array(line),
  total_usd: z.number().describe("of the balances read"),
};

export function register(server: McpServer, deps: FleetDeps): void {
  registerTool(server, {
    name: "wallet_balance",
    title: "Wallet balances",
    description: [
      "Reads each agent's USD balance from the casino (GET /auth/balance: the one real balance, shared by",
      "casino, escrow and faucet) and compares it with pf-fleet's local ledger; a difference is reported,",
      "never hidden. One agent (agent_id) or the whole fleet; an agent whose balance cannot be read gets an",
      "error entry. Use it before betting or creating escrows. Read-only.",
    ].join(" "),
    input,
    output,
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
    async handler(args, ctx) {
      const agents = args.agent_id ? [await deps.fleet.getAgent(args.agent_id)] : await deps.fleet.listAgents();
      if (args.agent_id && !agents[0]) {
        throw new FleetError("NOT_FOUND", `no agent \`${args.agent_id}\` in the fleet`, {
          hint: "list_agents shows the fleet",
        });
      }
      const lines = await Promise.all(
        agents
          .flatMap((a) => (a ? [a] : []))
          .map(async (a) => {
            const local = await localBalance(deps.storage, a.agentId);
            try {
              const key = await deps.fleet.keyFor(a.agentId);
              const b = await readWithRetry(() => deps.client.casino.balance(key, { signal: ctx.signal }), {
                signal: ctx.signal,
              });
              const difference = b.balance - local;
              // kept as the latest server balance the console shows; an observation, not a change of state
              await recordBalanceSnapshot(deps.storage, {
                agentId: a.agentId,
                at: Date.now(),
                server: b.balance,
                serverUsd: b.balanceUsd,
                local,
              });
              return {
                agent_id: a.agentId,
                label: a.label,
                balance_usd: b.balanceUsd,
                local_ledger_usd: microsToUsd(local),
                difference_usd: microsToUsd(difference),
                agrees: difference === 0,
                tier: b.tier,
                risk_factor: b.riskFactor,
                error: null,
                micros: b.balance,
              };
            } catch (err) {
              const e = toFleetError(err);
              return {
                agent_id: a.agentId,
                label: a.label,
                balance_usd: null,
                local_ledger_usd: microsToUsd(local),
                difference_usd: null,
                agrees: null,
                tier: null,
                risk_factor: null,
                error: { code: e.code, message: redactSecrets(e.message) },
                micros: 0,
              };
            }
          }),
      );
      const total = lines.reduce((n, l) => n + l.micros, 0);
      const text = lines.length
        ? [
            `${deps.mode} mode; total $${formatUsd(total)}`,
            ...lines.map((l) =>
              l.error
                ? `${l.agent_id}: unavailable (${l.error.code}: ${l.error.message})`
                : `${l.agent_id}: $${formatUsd(l.micros, 6)}${l.agrees ? "" : ` — ledger differs by $${l.difference_usd}`}`,
            ),
          ].join("\n")
        : "no agents in the fleet; register_agent creates one";
      return {
        structured: {
          mode: deps.mode,
          agents: lines.map(({ micros: _m, ...rest }) => rest),
          total_usd: microsToUsd(total),
        },
        text,
      };
    },
  });
}
