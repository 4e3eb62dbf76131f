/**
 * Toolsets, like GitHub's MCP server: every tool belongs to exactly one, and `--toolsets` (PF_TOOLSETS) picks
 * which are registered — the tool list is context a model pays for in every conversation. `fleet` is always
 * registered: the agents, balances and limits every other toolset relies on. `--read-only`
 * (PF_READ_ONLY) registers only tools whose annotations say they are read-only: nothing that moves money or
 * changes state, on the server or in pf-fleet (no bet, claim, escrow, domain, pause, retry or schedule change).
 *
 * A light module (names only): the configuration validates PF_TOOLSETS with it before anything else loads.
 */
import { FleetError } from "../errors.js";

export const TOOLSETS = {
  fleet: ["register_agent", "list_agents", "wallet_balance", "get_risk_limits"],
  casino: ["place_crash_batch", "place_coinflip_batch", "place_dice_batch", "verify_bets"],
  faucet: ["claim_faucet"],
  escrow: [
    "create_escrow_chain",
    "complete_escrow",
    "release_escrow",
    "dispute_escrow",
    "get_escrow",
    "settle_escrows",
  ],
  domains: ["search_domains", "register_domain"],
  analytics: ["pnl_report", "transaction_history"],
  jobs: ["job_status", "list_jobs", "cancel_job"],
  /** the operator's controls: the kill switch, dead-letter retries, queue health, periodic schedules */
  admin: [
    "pause_trading",
    "resume_trading",
    "retry_job",
    "queue_stats",
    "list_schedules",
    "set_schedule",
    "create_schedule",
    "delete_schedule",
    "run_schedule_now",
  ],
  /** play money and a movable clock for the embedded sandbox; registered in sandbox mode only, never live */
  sandbox: ["sandbox_fund_agent", "sandbox_advance_clock"],
} as const satisfies Record<string, readonly string[]>;

export type Toolset = keyof typeof TOOLSETS;
export const TOOLSET_NAMES = Object.keys(TOOLSETS) as Toolset[];

/** Registered whatever `--toolsets` says. */
export const ALWAYS_ON: Toolset = "fleet";

/** A fleet that bets, funds itself, follows its jobs and reviews its PnL; escrow, domains and admin on request. */
export const DEFAULT_TOOLSETS: readonly Toolset[] = ["fleet", "casino", "faucet", "jobs", "analytics"];

/** The defaults of a mode: sandbox mode adds `sandbox`, so a new user can fund a fleet from the host. */
export function defaultToolsets(mode: "sandbox" | "live"): readonly Toolset[] {
  return mode === "sandbox" ? [...DEFAULT_TOOLSETS, "sandbox"] : DEFAULT_TOOLSETS;
}

const toolsetOfTool = new Map<string, Toolset>(
  TOOLSET_NAMES.flatMap((set) => TOOLSETS[set].map((tool) => [tool, set] as const)),
);

/**
 * `casino,escrow` / `all` → the toolsets (`fleet` included); unknown names are a startup error naming the valid ones.
 * `sandbox` may be listed in live mode too: its tools register themselves only in sandbox mode.
 */
export function parseToolsets(raw: string | undefined, mode: "sandbox" | "live" = "live"): readonly Toolset[] {
  if (raw === undefined || raw.trim() === "") return defaultToolsets(mode);
  const names = raw
    .split(",")
    .map((n) => n.trim().toLowerCase())
    .filter(Boolean);
  if (names.includes("all")) return TOOLSET_NAMES;
  const unknown = names.filter((n) => !(n in TOOLSETS));
  if (unknown.length) {
    throw new FleetError(
      "INVALID_INPUT",
      `PF_TOOLSETS (--toolsets) has unknown toolset${unknown.length > 1 ? "s" : ""} ${unknown.map((n) => `\`${n}\``).join(", ")}; valid: ${[...TOOLSET_NAMES, "all"].join(", ")}`,
    );
  }
  return TOOLSET_NAMES.filter((set) => set === ALWAYS_ON || names.includes(set));
}

/** The toolset a tool belongs to; a tool in none is a pf-fleet bug, caught at its registration. */
export function toolsetOf(tool: string): Toolset {
  const set = toolsetOfTool.get(tool);
  if (!set) throw new Error(`tool \`${tool}\` belongs to no toolset: add it to TOOLSETS in src/mcp/toolsets.ts`);
  return set;
}

export interface ToolSelection {
  toolsets: readonly Toolset[];
  readOnly: boolean;
}

/** Whether a tool is registered under `selection`. */
export function isSelected(
  tool: { name: string; annotations: { readOnlyHint?: boolean } },
  selection: ToolSelection,
): boolean {
  const set = toolsetOf(tool.name);
  if (selection.readOnly && tool.annotations.readOnlyHint !== true) return false;
  return set === ALWAYS_ON || selection.toolsets.includes(set);
}
