import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import type { FleetDeps } from "../src/deps.js";
import { agentId, escrowId, TASK } from "../src/jobs/tasks/args.js";
import { modeField, waitSeconds } from "../src/mcp/schemas.js";
import { registerTool } from "../src/mcp/tool.js";
import { escrowView, runEscrowAction } from "./_escrow.js";
import { jobView } from "./_job.js";

/** `dispute_escrow`: either party (a fleet agent) freezes the escrow. */

const input = {
  escrow_id: escrowId.describe("escrow id (`esc_…`)"),
  reason: z
    .string()
    .trim()
    .min(10, "must say why in at least 10 characters")
    .max(500, "must be at most 500 characters")
    .describe("why, 10–500 characters; shown to both parties and to Purple Flea"),
  agent_id: agentId
    .optional()
    .describe("the disputing party, if you want to name it; omit to use the fleet's party (creator first)"),
  wait_seconds: waitSeconds,
};

const output = { mode: modeField, job: jobView, escrow: escrowView, next_steps: z.array(z.string()) };

export function register(server: McpServer, deps: FleetDeps): void {
  registerTool(server, {
    name: "dispute_escrow",
    title: "Dispute escrow",
    description: [
      "Disputes a Purple Flea escrow as one of its parties (creator or counterparty, a fleet agent), with a reason of",
      "at least 10 characters. Allowed from `funded` or `completed`. A dispute is FINAL in the API: there is no",
      "resolve endpoint, so the funds stay locked until Purple Flea settles it by hand — neither side is paid",
      "automatically and the timeout refund no longer applies. Use only when the work or payment is contested;",
      "prefer release_escrow or letting it time out otherwise. Refused before sending when the state does not allow",
      "it (CONFLICT) or no party is in the fleet (FORBIDDEN). Runs as a durable job: returns the updated escrow, or the",
      "job id if not finished within wait_seconds (default 20, max 50). The result states the mode.",
    ].join(" "),
    input,
    output,
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
    handler: (args, ctx) =>
      runEscrowAction(deps, ctx, {
        escrowId: args.escrow_id,
        agentId: args.agent_id,
        waitSeconds: args.wait_seconds,
        role: "party",
        allowed: ["funded", "completed"],
        verb: "dispute",
        task: TASK.escrowDispute,
        args: (agent) => ({ agentId: agent, escrowId: args.escrow_id, reason: args.reason }),
      }),
  });
}
