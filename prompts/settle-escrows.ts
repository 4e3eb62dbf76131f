import { completable } from "@modelcontextprotocol/sdk/server/completable.js";
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import type { FleetDeps } from "../src/deps.js";
import { startingWith } from "../src/mcp/completions.js";
import { call, type OfferedTools, steps, userPrompt } from "./_prompt.js";

/** `settle_escrows`: release what counterparties finished, then go through what was skipped or failed. */

const ESCROW_IDS = /^\s*\S+(\s*[,\s]\s*\S+)*\s*$/;

export function register(server: McpServer, deps: FleetDeps, tools: OfferedTools): void {
  if (!tools.has("settle_escrows")) return;
  server.registerPrompt(
    "settle_escrows",
    {
      title: "Settle escrows",
      description:
        "Releases the fleet's escrows whose counterparty marked the work completed, then reviews what was skipped or failed and the balances after.",
      argsSchema: {
        escrow_ids: z
          .string()
          .regex(ESCROW_IDS, "must be escrow ids (`esc_…`) separated by commas or spaces")
          .optional()
          .describe(
            "escrow ids (`esc_…`), comma-separated; omit for every escrow the fleet created in the last 31 days",
          ),
        min_hours_before_timeout: completable(
          z
            .string()
            .regex(/^\d+(\.\d+)?$/, "must be a number of hours from 0 to 720")
            .refine((s) => Number(s) <= 720, "must be a number of hours from 0 to 720")
            .optional()
            .describe("skip escrows with fewer hours than this left before their timeout refund; default 0"),
          (value) => startingWith(["0", "1", "6", "24"], value ?? ""),
        ),
      },
    },
    ({ escrow_ids, min_hours_before_timeout }) => {
      const ids = escrow_ids?.split(/[\s,]+/).filter(Boolean);
      const hours = min_hours_before_timeout === undefined ? 0 : Number(min_hours_before_timeout);
      const which = ids ? `escrows ${ids.join(", ")}` : "every escrow the fleet created in the last 31 days";
      const text = [
        `Settle pf-fleet's completed escrows: ${which}. Amounts are USD; each release pays the counterparty the amount less 1% and cannot be undone.`,
        deps.mode === "live" ? "pf-fleet is in LIVE mode: releases move real money." : "pf-fleet is in sandbox mode.",
        steps([
          `${call("list_agents")}: trading must not be paused (a pause refuses releases); note any paused agent.`,
          `${call("settle_escrows", { ...(ids ? { escrow_ids: ids } : {}), min_hours_before_timeout: hours, wait_seconds: 30 })}: releases only escrows the counterparty marked \`completed\`. If its status is \`running\`, follow \`releases_job_id\` with ${call("job_status", { job_id: "<releases_job_id>", wait_seconds: 30 })}.`,
          tools.has("get_escrow")
            ? `For each failed escrow, and each skipped one close to its timeout, ${call("get_escrow", { escrow_id: "<escrow id>" })} to see where it stands.`
            : "Go through the failed and skipped escrows and their reasons.",
          `${call("wallet_balance")}: the balances after the releases, and whether each agrees with the ledger.`,
        ]),
        "Finish with what was settled (count and USD), what failed and why, and which escrows need someone to act.",
      ].join("\n");
      return userPrompt(`Settle ${which}`, text);
    },
  );
}
