import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import type { FleetDeps } from "../src/deps.js";
import { batchDescription, registerBatchTool } from "./_batch.js";

/** `place_crash_batch`: N crash bets, each cashing out at a fixed multiplier. */

const input = {
  cash_out_at: z
    .number({ error: "must be a multiplier from 1.01 to 100" })
    .min(1.01, "must be a multiplier from 1.01 to 100")
    .max(100, "must be a multiplier from 1.01 to 100")
    .refine((x) => Math.abs(x * 100 - Math.round(x * 100)) < 1e-9, {
      message: "must have at most 2 decimal places (crash points are rounded to 0.01)",
    })
    .describe("multiplier each bet cashes out at, 1.01–100, at most 2 decimals"),
};

export function register(server: McpServer, deps: FleetDeps): void {
  registerBatchTool(server, deps, {
    name: "place_crash_batch",
    title: "Place a crash bet batch",
    description: batchDescription(
      [
        "Places Purple Flea crash bets: a bet wins if the crash point reaches cash_out_at (ties win) and returns",
        "stake × cash_out_at, else the stake is lost. Win chance ≈ 0.995 / cash_out_at (house edge ≈ 0.5%); the",
        "target is fixed when the bet is placed (no manual cash-out).",
      ].join(" "),
    ),
    input,
    bet: (a) => ({ game: "crash", cash_out_at: a.cash_out_at }),
    betView: (a) => ({ game: "crash", cash_out_at: a.cash_out_at }),
    label: (a) => `crash at ${a.cash_out_at}×`,
  });
}
