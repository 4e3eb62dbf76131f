/**
 * What every prompt shares: arguments that complete from the fleet, the tools this session really offers
 * (toolsets and read-only mode leave some out), and steps that name a tool with its arguments filled in.
 */
import { completable } from "@modelcontextprotocol/sdk/server/completable.js";
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { GetPromptResult } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import type { FleetDeps } from "../src/deps.js";
import { fleetAgentIds } from "../src/mcp/completions.js";

/** The tools registered on this server: a prompt names only tools the model can call. */
export type OfferedTools = ReadonlySet<string>;

export function offeredTools(server: McpServer): OfferedTools {
  // The SDK has no public list of registered tools; toolsets decide which were registered (tools/index.ts).
  const registered = (server as unknown as { _registeredTools: Record<string, { enabled: boolean }> })._registeredTools;
  return new Set(Object.entries(registered ?? {}).flatMap(([name, t]) => (t.enabled ? [name] : [])));
}

/** `` `pnl_report` with `{"period":"today"}` `` — the exact call, so the model need not guess an argument. */
export function call(tool: string, args: Record<string, unknown> = {}): string {
  const given = Object.fromEntries(Object.entries(args).filter(([, v]) => v !== undefined));
  return Object.keys(given).length ? `\`${tool}\` with \`${JSON.stringify(given)}\`` : `\`${tool}\``;
}

/** A numbered plan; `null` steps (a tool this session lacks) are left out and the rest renumbered. */
export function steps(list: ReadonlyArray<string | null | false>): string {
  return list
    .filter((s): s is string => typeof s === "string")
    .map((s, i) => `${i + 1}. ${s}`)
    .join("\n");
}

export function userPrompt(description: string, text: string): GetPromptResult {
  return { description, messages: [{ role: "user", content: { type: "text", text } }] };
}

/** An optional fleet agent id that completes from the fleet's agents. */
export function agentIdArg(deps: FleetDeps, description: string) {
  return completable(
    z
      .string()
      .regex(/^\S+$/, "must be one agent id without spaces, as list_agents shows it")
      .optional()
      .describe(description),
    (value) => fleetAgentIds(deps, value ?? ""),
  );
}

/** One agent, or the whole fleet, in words. */
export function whose(agentId: string | undefined): string {
  return agentId ? `agent ${agentId}` : "the whole fleet";
}
