import { randomUUID } from "node:crypto";
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import type { FleetDeps } from "../src/deps.js";
import { agentId, escrowId, TASK } from "../src/jobs/tasks/args.js";
import { modeField, waitSeconds } from "../src/mcp/schemas.js";
import { registerTool } from "../src/mcp/tool.js";
import { escrowView, runEscrowAction } from "./_escrow.js";
import { jobView } from "./_job.js";

/** `release_escrow`: the creator (a fleet agent) pays the counterparty. */

const input = {
  escrow_id: escrowId.describe("escrow id (`esc_…`)"),
  agent_id: agentId.optional().describe("the creator, if you want to name it; omit to use the escrow's creator"),
  wait_seconds: waitSeconds,
};

const output = { mode: modeField, job: jobView, escrow: escrowView, next_steps: z.array(z.string()) };

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
    handler: (args, ctx) =>
      runEscrowAction(deps, ctx, {
        escrowId: args.escrow_id,
        agentId: args.agent_id,
        waitSeconds: args.wait_seconds,
        role: "creator",
        allowed: ["funded", "completed"],
        verb: "release",
        task: TASK.escrowRelease,
        movesMoney: true,
        args: (agent) => ({ agentId: agent, escrowId: args.escrow_id, requestId: randomUUID() }),
      }),
  });
}
