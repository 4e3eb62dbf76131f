import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import type { FleetDeps } from "../src/deps.js";
import { registerTool } from "../src/mcp/tool.js";
import { sandboxControl } from "./_sandbox.js";

/** Two days: past the faucet's per-IP day with room to spare; longer jumps are for tests, not a host. */
export const MAX_ADVANCE_HOURS = 48;
const HOUR_MS = 3_600_000;

export const input = {
  hours: z
    .number({ error: `must be a number of hours above 0 and at most ${MAX_ADVANCE_HOURS}` })
    .positive(`must be a number of hours above 0 and at most ${MAX_ADVANCE_HOURS}`)
    .max(MAX_ADVANCE_HOURS, `must be a number of hours above 0 and at most ${MAX_ADVANCE_HOURS}`)
    .describe(`hours forward, ≤ ${MAX_ADVANCE_HOURS}`),
};

export const output = {
  mode: z.literal("sandbox"),
  advanced_hours: z.number(),
  sandbox_time: z.string(),
};

/** Sandbox mode only: never registered against the real API. */
export function register(server: McpServer, deps: FleetDeps): void {
  if (deps.mode !== "sandbox") return;
  registerTool(server, {
    name: "sandbox_advance_clock",
    title: "Sandbox only: advance the clock",
    description: [
      "SANDBOX MODE ONLY, not the Purple Flea API: moves the sandbox's clock forward (never back), so its time",
      "rules see it: the faucet's one claim per IP per 24 h (hours: 24, then claim_faucet again), rate-limit",
      "windows, escrow timeouts. pf-fleet's own clock does not move.",
    ].join(" "),
    input,
    output,
    // destructive: open escrows may time out and be refunded, which cannot be undone
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
    async handler(args, ctx) {
      const control = await sandboxControl(deps, ctx.signal);
      const now = new Date(await control.advanceClock(Math.round(args.hours * HOUR_MS))).toISOString();
      return {
        structured: { mode: "sandbox" as const, advanced_hours: args.hours, sandbox_time: now },
        text: `[sandbox] moved the sandbox's clock ${args.hours} h forward; it now reads ${now}. pf-fleet's own clock did not move.`,
      };
    },
  });
}
