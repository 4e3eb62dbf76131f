import { FleetError } from "../../errors.js";
import { HttpError } from "../http/http-error.js";
import { json, type Reply } from "../http/reply.js";
import { type Route, Router } from "../http/router.js";
import type { FaultConfig } from "../types.js";
import type { SandboxControls } from "./operations.js";

/**
 * `/_sandbox/*` on every service: funding, the movable clock, faults, rate limits, stats. Never counted as API
 * requests, never faulted, never rate limited.
 */
export function controlRouter(controls: SandboxControls): Router {
  const clock = (): Reply => json({ now: controls.now(), iso: new Date(controls.now()).toISOString() });
  const routes: Route[] = [
    {
      method: "POST",
      path: "/_sandbox/fund",
      async handle(req) {
        const body = await req.json();
        if (typeof body.agent_id !== "string") {
          throw new HttpError(400, "invalid_request", "agent_id must be a string (ag_…)");
        }
        return attempt(() => json({ ...controls.fund(body.agent_id as string, body.amount_usd as number) }));
      },
    },
    { method: "GET", path: "/_sandbox/clock", handle: clock },
    {
      method: "POST",
      path: "/_sandbox/clock",
      async handle(req) {
        const body = await req.json();
        return attempt(() => {
          controls.advanceClock(body.advance_ms as number);
          return clock();
        });
      },
    },
    { method: "GET", path: "/_sandbox/faults", handle: () => json({ faults: controls.faults() }) },
    {
      method: "POST",
      path: "/_sandbox/faults",
      async handle(req) {
        const body = await req.jsonValue();
        return attempt(() => {
          // validated inside setFaults; null switches faults off
          controls.setFaults(body as FaultConfig | null);
          return json({ faults: controls.faults() });
        });
      },
    },
    {
      method: "POST",
      path: "/_sandbox/rate-limits",
      async handle(req) {
        const body = await req.json();
        return attempt(() => {
          controls.setRateLimits(body.enabled as boolean);
          return json({ enabled: controls.rateLimitsEnabled() });
        });
      },
    },
    { method: "GET", path: "/_sandbox/stats", handle: () => json({ ...controls.stats() }) },
    {
      method: "POST",
      path: "/_sandbox/stats/reset",
      handle() {
        controls.resetStats();
        return json({ ok: true });
      },
    },
  ];
  return new Router(routes);
}

/** Maps the controls' FleetErrors onto the services' error bodies. */
function attempt(run: () => Reply): Reply {
  try {
    return run();
  } catch (err) {
    if (err instanceof FleetError && err.code === "NOT_FOUND") throw new HttpError(404, "agent_not_found", err.message);
    if (err instanceof FleetError && err.code === "INVALID_INPUT")
      throw new HttpError(400, "invalid_request", err.message);
    throw err;
  }
}
