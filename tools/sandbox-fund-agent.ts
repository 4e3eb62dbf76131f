import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import type { FleetDeps } from "../src/deps.js";
import { FleetError } from "../src/errors.js";
import { TASK } from "../src/jobs/tasks/args.js";
import { localBalance } from "../src/ledger/index.js";
import { agentId, usd } from "../src/mcp/schemas.js";
import { registerTool } from "../src/mcp/tool.js";
import { awaitJob } from "../src/mcp/wait.js";
import { formatUsd, microsToUsd } from "../src/money.js";
import { sandboxControl } from "./_sandbox.js";

/** Play money per call: plenty for a first run, small enough that no one mistakes it for a bankroll. */
export const MAX_SANDBOX_FUND_USD = 100;
/** The ledger refresh that imports the credit is quick; past this the answer says it is still running. */
const SYNC_WAIT_SECONDS = 20;

export const input = {
  agent_id: agentId,
  amount: usd({ min: 0.01, max: MAX_SANDBOX_FUND_USD }).describe("USD, not cents"),
};

export const output = {
  mode: z.literal("sandbox"),
  agent_id: z.string(),
  balance_usd: z.number(),
  local_ledger_usd: z.number(),
  agrees: z.boolean().describe("balance = local ledger"),
};

/** Sandbox mode only: never registered against the real API. */
export function register(server: McpServer, deps: FleetDeps): void {
  if (deps.mode !== "sandbox") return;
  registerTool(server, {
    name: "sandbox_fund_agent",
    title: "Sandbox only: fund an agent",
    description: [
      "SANDBOX MODE ONLY, not the Purple Flea API: credits a fleet agent play money (≤ $100 a call) as a",
      "deposit, imported into pf-fleet's ledger. For agents claim_faucet cannot fund (one claim per IP per 24 h).",
      "Like a deposit, it ends the agent's faucet eligibility.",
    ].join(" "),
    input,
    output,
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
    async handler(args, ctx) {
      if (!(await deps.fleet.getAgent(args.agent_id))) {
        throw new FleetError("NOT_FOUND", `no agent \`${args.agent_id}\` in the fleet`, {
          hint: "list_agents shows the fleet; register_agent adds one",
        });
      }
      const control = await sandboxControl(deps, ctx.signal);
      await control.fund(args.agent_id, microsToUsd(args.amount));
      // The credit is a `sandbox_fund` row on the server's ledger; the refresh imports it as a deposit movement
      // (src/ledger/classify.ts), so reconciliation explains it and nothing is left unattributed.
      const refresh = await deps.engine.enqueue(TASK.ledgerRefresh, { agentIds: [args.agent_id] });
      const synced = await awaitJob(deps, refresh.id, { waitSeconds: SYNC_WAIT_SECONDS, ctx });
      const key = await deps.fleet.keyFor(args.agent_id);
      const server = (await deps.client.casino.balance(key, { signal: ctx.signal })).balance;
      const local = await localBalance(deps.storage, args.agent_id);
      const agrees = server === local;
      const ledger = agrees
        ? "pf-fleet's ledger agrees"
        : synced.finished
          ? `pf-fleet's ledger says $${formatUsd(local, 6)} (wallet_balance shows the difference)`
          : `pf-fleet's ledger says $${formatUsd(local, 6)} until ledger refresh job ${refresh.id} finishes`;
      return {
        structured: {
          mode: "sandbox" as const,
          agent_id: args.agent_id,
          balance_usd: microsToUsd(server),
          local_ledger_usd: microsToUsd(local),
          agrees,
        },
        text:
          `[sandbox] credited $${formatUsd(args.amount)} of play money to ${args.agent_id} as a sandbox deposit; ` +
          `balance $${formatUsd(server)}, ${ledger}. The faucet now refuses this agent (has_deposits).`,
      };
    },
  });
}
