import { randomUUID } from "node:crypto";
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import type { FleetDeps } from "../src/deps.js";
import { agentId, escrowId, TASK } from "../src/jobs/tasks/args.js";
import {
  confirmToken,
  confirmTokenFor,
  confirmTokenLine,
  confirmTokenOut,
  requireConfirmation,
} from "../src/mcp/confirm.js";
import { modeField, waitSeconds } from "../src/mcp/schemas.js";
import { registerTool } from "../src/mcp/tool.js";
import { usdToMicros } from "../src/money.js";
import { type EscrowAction, escrowView, nextSteps, prepareEscrowAction, runEscrowAction } from "./_escrow.js";
import { jobView } from "./_job.js";
import { releaseMoneyPlan } from "./_money-plans.js";

/** `release_escrow`: the creator (a fleet agent) pays the counterparty. */

const input = {
  escrow_id: escrowId.describe("escrow id (`esc_…`)"),
  agent_id: agentId.optional().describe("the creator, if you want to name it; omit to use the escrow's creator"),
  wait_seconds: waitSeconds,
  dry_run: z.boolean().default(false).describe("true: check and show the release, send NOTHING"),
  confirm_token: confirmToken,
};

const output = {
  mode: modeField,
  job: jobView.nullable().describe("null for a dry run"),
  escrow: escrowView,
  next_steps: z.array(z.string()),
  confirm_token: confirmTokenOut,
};

export function register(server: McpServer, deps: FleetDeps): void {
  registerTool(server, {
    name: "release_escrow",
    title: "Release escrow (pay the counterparty)",
    description: [
      "Releases a Purple Flea escrow, acting as its CREATOR (must be a fleet agent): the counterparty is credited the",
      "amount less the 1% commission. Irreversible. Allowed from `funded` (no completion needed) or `completed`;",
      "anything else is refused before sending (CONFLICT), as is an escrow whose creator is not in the fleet",
      "(FORBIDDEN). Use it once the counterparty's work is verified; to release only escrows the counterparty marked",
      "completed, use settle_escrows; to contest, dispute_escrow. Runs as a durable job: returns the updated escrow,",
      "or the job id if not finished within wait_seconds (default 20, max 50). The result states the mode.",
      "Refused with TRADING_PAUSED while the fleet or the creator is paused (pause_trading).",
    ].join(" "),
    input,
    output,
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
    async handler(args, ctx) {
      const action: EscrowAction = {
        escrowId: args.escrow_id,
        agentId: args.agent_id,
        waitSeconds: args.wait_seconds,
        role: "creator",
        allowed: ["funded", "completed"],
        verb: "release",
        task: TASK.escrowRelease,
        movesMoney: true,
        args: (agent) => ({ agentId: agent, escrowId: args.escrow_id, requestId: randomUUID() }),
      };
      const prepared = await prepareEscrowAction(deps, ctx, action);
      const { before, agent } = prepared;
      const plan = releaseMoneyPlan("release_escrow", args, [
        { view: before, agentId: agent, amount: usdToMicros(before.amount_usd) },
      ]);
      if (args.dry_run) {
        const token = confirmTokenFor(deps, plan);
        return {
          structured: {
            mode: deps.mode,
            job: null,
            escrow: before,
            next_steps: nextSteps(before),
            ...(token ? { confirm_token: token } : {}),
          },
          text: [
            `[${deps.mode}] DRY RUN, nothing sent: releasing ${before.escrow_id} as ${agent} would pay $${before.net_to_counterparty_usd} to ${before.counterparty_id} (irreversible).`,
            ...confirmTokenLine(deps, plan, token),
          ].join("\n"),
        };
      }
      await requireConfirmation(deps, ctx, plan, args.confirm_token);
      return runEscrowAction(deps, ctx, action, prepared);
    },
  });
}
