import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import type { FleetDeps } from "../src/deps.js";
import { escrowId } from "../src/jobs/tasks/args.js";
import { modeField } from "../src/mcp/schemas.js";
import { registerTool } from "../src/mcp/tool.js";
import { formatUsd, usdToMicros } from "../src/money.js";
import { escrowView, loadEscrow, nextSteps, toEscrowView } from "./_escrow.js";

/** `get_escrow`: one escrow as the server has it now, and what may be done with it next. */

const input = {
  escrow_id: escrowId.describe("escrow id (`esc_…`), as create_escrow_chain returned it"),
  include_events: z
    .boolean()
    .default(true)
    .describe("also fetch the event log (needs a fleet agent as a party; costs one more read)"),
};

const output = {
  mode: modeField,
  escrow: escrowView,
  events: z.array(z.unknown()).describe("the server's event log, when a party is a fleet agent; else empty"),
  next_steps: z.array(z.string()),
};

export function register(server: McpServer, deps: FleetDeps): void {
  registerTool(server, {
    name: "get_escrow",
    title: "Get escrow",
    description: [
      "Reads one Purple Flea escrow by id (`esc_…`): status (funded | completed | released | disputed | refunded),",
      "amount, the 1% commission, what a release pays the counterparty (USD), the two parties and whether each is a",
      "fleet agent, the timeout (auto_release_at: the server then REFUNDS the creator less 1%), and the event log when",
      "a party is in the fleet. Also lists the next steps its state allows (complete_escrow, release_escrow,",
      "dispute_escrow). Read-only; moves nothing. Use it to check an escrow before acting on it. There is no list",
      "endpoint: you need the id (create_escrow_chain returns it).",
    ].join(" "),
    input,
    output,
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
    async handler(args, ctx) {
      const escrow = await loadEscrow(deps, args.escrow_id, ctx.signal, { events: args.include_events });
      const view = await toEscrowView(deps, escrow);
      const steps = nextSteps(view);
      return {
        structured: { mode: deps.mode, escrow: view, events: escrow.events ?? [], next_steps: steps },
        text: [
          `[${deps.mode}] ${view.escrow_id} is ${view.status}: $${usdText(view.amount_usd)} from ${view.creator_id} to ${view.counterparty_id} ($${usdText(view.net_to_counterparty_usd)} on release).`,
          ...steps.map((s) => `- ${s}`),
        ].join("\n"),
      };
    },
  });
}

/** Cents, or as many more places as the amount has (a 1% commission leaves $0.198). */
function usdText(usd: number): string {
  const micros = usdToMicros(usd);
  let decimals = 2;
  while (decimals < 6 && micros % 10 ** (6 - decimals) !== 0) decimals++;
  return formatUsd(micros, decimals);
}
