import { completable } from "@modelcontextprotocol/sdk/server/completable.js";
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import type { FleetDeps } from "../src/deps.js";
import { scheduleNames } from "../src/mcp/completions.js";
import { agentIdArg, call, type OfferedTools, steps, userPrompt, whose } from "./_prompt.js";

/** `fleet_health`: the fleet at a glance — pause state, balances against the ledger, queues, failures, schedules. */

export function register(server: McpServer, deps: FleetDeps, tools: OfferedTools): void {
  server.registerPrompt(
    "fleet_health",
    {
      title: "Check the fleet's health",
      description:
        "Pause state, each agent's balance against the ledger, queue backlogs, failed or unknown jobs, schedules and risk limits, with a verdict.",
      argsSchema: {
        agent_id: agentIdArg(deps, "look at one agent only; omit for the whole fleet"),
        schedule: completable(
          z.string().min(1).optional().describe("a schedule to look at closely (its last firing and job)"),
          (value) => scheduleNames(deps, value ?? ""),
        ),
      },
    },
    ({ agent_id, schedule }) => {
      const text = [
        `Check the health of pf-fleet (${deps.mode} mode) for ${whose(agent_id)}, reading only: change nothing.`,
        steps([
          `${call("list_agents")}: is trading paused fleet-wide or for any agent, and why?`,
          `${call("wallet_balance", { agent_id })}: does each agent's server balance agree with pf-fleet's ledger? Name any difference in USD.`,
          tools.has("queue_stats")
            ? `${call("queue_stats")}: backlog (queued, retrying), dead and unknown counts per queue, and throughput.`
            : null,
          tools.has("list_jobs")
            ? `${call("list_jobs", { state: ["failed", "dead", "unknown"] })}: recent failures with their error codes; a money job with an unknown outcome needs attention first.`
            : null,
          tools.has("list_schedules")
            ? `${call("list_schedules")}: enabled schedules, next run times and the state of each last firing's job${schedule ? `; look closely at \`${schedule}\`` : ""}.`
            : `Read the resource \`schedules://list\` for the schedules and their last firings${schedule ? `; look closely at \`${schedule}\`` : ""}.`,
          `${call("get_risk_limits")}: the limits in force and how much of today's loss limit is used.`,
        ]),
        "Finish with a verdict — healthy, or needs attention — and at most three things to do, most urgent first.",
      ].join("\n");
      return userPrompt(`Health check of ${whose(agent_id)}`, text);
    },
  );
}
