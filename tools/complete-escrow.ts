import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import type { FleetDeps } from "../src/deps.js";
import { agentId, escrowId, TASK } from "../src/jobs/tasks/args.js";
import { modeField, waitSeconds } from "../src/mcp/schemas.js";
import { registerTool } from "../src/mcp/tool.js";
import { escrowView, runEscrowAction } from "./_escrow.js";
import { jobView } from "./_job.js";

/** `complete_escrow`: the counterparty (a fleet agent) marks the work done. */

const input = {
  escrow_id: escrowId.describe("escrow id (`esc_…`)"),
  agent_id: agentId
    .optional()
    .describe("the counterparty, if you want to name it; omit to use the escrow's counterparty from the fleet"),
  wait_seconds: waitSeconds,
};

const output = { mode: modeField, job: jobView, escrow: escrowView, next_steps: z.array(z.string()) };

export function register(server: McpServer, deps: FleetDeps): void {
  registerTool(server, {
    name: "complete_escrow",
    title: "Complete escrow (as counterparty)",
    description: [
      "Marks a funded Purple Flea escrow `completed`, acting as its COUNTERPARTY, which must be a fleet agent: the",
      "counterparty's way of saying the work is delivered. It moves no money by itself; the creator then releases it",
      "(release_escrow, settle_escrows, or a waiting create_escrow_chain). Only from `funded`; anything else is",
      "refused before sending (CONFLICT), as is an escrow whose counterparty is not in the fleet (FORBIDDEN).",
      "Runs as a durable job: returns the updated escrow, or the job id if not finished within wait_seconds",
      "(default 20, max 50). Not idempotent: a second call on a completed escrow is refused.",
    ].join(" "),
    input,
    output,
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
    handler: (args, ctx) =>
      runEscrowAction(deps, ctx, {
        escrowId: args.escrow_id,
        agentId: args.agent_id,
        waitSeconds: args.wait_seconds,
        role: "counterparty",
        allowed: ["funded"],
        verb: "complete",
        task: TASK.escrowComplete,
        args: (agent) => ({ agentId: agent, escrowId: args.escrow_id }),
      }),
  });
}
