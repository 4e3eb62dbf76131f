import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import type { FleetDeps } from "../src/deps.js";
import { FleetError } from "../src/errors.js";
import { batchDescription, registerBatchTool } from "./_batch.js";

/** `place_dice_batch`: N dice bets over or under a threshold. */

const input = {
  direction: z
    .enum(["over", "under"], { error: "must be `over` or `under`" })
    .describe("over: wins above threshold; under: below"),
  threshold: z
    .number({ error: "must be a whole number from 1 to 99" })
    .int("must be a whole number from 1 to 99")
    .min(1, "must be a whole number from 1 to 99")
    .max(99, "must be a whole number from 1 to 99")
    .describe("1–99; `under` needs ≥ 2 (under 1 can never win)"),
};

export function register(server: McpServer, deps: FleetDeps): void {
  registerBatchTool(server, deps, {
    name: "place_dice_batch",
    title: "Place a dice bet batch",
    description: batchDescription(
      [
        "Places Purple Flea dice bets on a value 1–100: `over` wins when it is > threshold, `under` when < threshold;",
        "the payout is round4(0.995 / p), p = (100 − threshold)/100 for over, threshold/100 for under. Quirk of the",
        "real engine: `under` wins only (threshold − 1)/100 of the time, worse than priced (under 50: a 2.5% edge, not",
        "0.5%); prefer `over`.",
      ].join(" "),
    ),
    input,
    check(a) {
      if (a.direction === "under" && a.threshold < 2) {
        throw new FleetError("INVALID_INPUT", `dice under ${a.threshold} can never win (dice values are 1–100)`, {
          hint: "use a threshold of 2–99 with `under`, or bet `over`; nothing was sent",
        });
      }
    },
    bet: (a) => ({ game: "dice", direction: a.direction, threshold: a.threshold }),
    betView: (a) => ({ game: "dice", direction: a.direction, threshold: a.threshold }),
    label: (a) => `dice ${a.direction} ${a.threshold}`,
  });
}
