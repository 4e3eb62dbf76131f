/**
 * The sandbox-only tools' one way to the sandbox's controls (src/sandbox/control/): the embedded sandbox's own
 * methods, or a shared `pf-fleet sandbox` (PF_SANDBOX_URL) through its `/_sandbox/` routes. Never live mode.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { FleetDeps } from "../src/deps.js";
import { FleetError } from "../src/errors.js";

export interface SandboxControl {
  /** credits play money as a completed deposit (a `sandbox_fund` ledger row); returns the balance after */
  fund(agentId: string, usd: number): Promise<number>;
  /** moves the sandbox's clock forward; returns its new now, ms since epoch */
  advanceClock(ms: number): Promise<number>;
}

/** The embedded sandbox is set once it listens; a call that arrives during startup waits this long for it. */
const STARTUP_WAIT_MS = 30_000;

export async function sandboxControl(deps: FleetDeps, signal: AbortSignal): Promise<SandboxControl> {
  if (deps.mode !== "sandbox") {
    // the tools are never registered in live mode; this is the belt to that brace
    throw new FleetError("FORBIDDEN", "sandbox controls exist in sandbox mode only");
  }
  if (deps.config.sandboxUrl) return sharedSandbox(deps.config.sandboxUrl, signal);
  const started = Date.now();
  while (!deps.sandbox) {
    if (Date.now() - started > STARTUP_WAIT_MS) {
      throw new FleetError("UPSTREAM_UNAVAILABLE", "the embedded sandbox has not started", {
        hint: "try again in a few seconds; the server log says why if it failed to start",
      });
    }
    await sleep(50, undefined, { signal });
  }
  const sandbox = deps.sandbox;
  return {
    async fund(agentId, usd) {
      sandbox.fund(agentId, usd);
      return sandbox.balanceOf(agentId);
    },
    async advanceClock(ms) {
      sandbox.advanceClock(ms);
      return sandbox.now();
    },
  };
}

/** A `pf-fleet sandbox` elsewhere: `POST /_sandbox/fund` and `POST /_sandbox/clock` on its casino origin. */
function sharedSandbox(origin: string, signal: AbortSignal): SandboxControl {
  const post = async (path: string, body: unknown): Promise<Record<string, unknown>> => {
    const res = await fetch(`${origin}/_sandbox/${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
      signal,
    }).catch((err: unknown) => {
      throw new FleetError("UPSTREAM_UNAVAILABLE", `the shared sandbox at ${origin} did not answer`, { cause: err });
    });
    const json = (await res.json().catch(() => ({}))) as Record<string, unknown>;
    if (!res.ok) {
      const code = res.status === 404 ? "NOT_FOUND" : res.status === 400 ? "INVALID_INPUT" : "UPSTREAM_REJECTED";
      throw new FleetError(code, `the shared sandbox refused /_sandbox/${path}: ${String(json.message ?? res.status)}`);
    }
    return json;
  };
  return {
    fund: async (agentId, usd) => Number((await post("fund", { agent_id: agentId, amount_usd: usd })).balance_usd),
    advanceClock: async (ms) => Number((await post("clock", { advance_ms: ms })).now),
  };
}
