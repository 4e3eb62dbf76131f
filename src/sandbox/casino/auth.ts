import { HttpError } from "../http/http-error.js";
import type { ApiRequest } from "../http/request.js";
import { hashApiKey } from "../ids.js";
import type { SandboxWorld } from "../world.js";
import type { CasinoAgent } from "./agents.js";

/** The casino agent behind the request's Bearer key, if the key is one (escrow uses the same lookup). */
export function resolveAgent(world: SandboxWorld, req: ApiRequest): CasinoAgent | undefined {
  const key = req.bearer();
  if (key === undefined) return undefined;
  const agent = world.agents.byKeyHash(hashApiKey(key));
  if (agent) req.identify(agent.id);
  return agent;
}

/** The casino's auth middleware: 401 unless the Bearer key belongs to an agent. */
export function requireAgent(world: SandboxWorld, req: ApiRequest): CasinoAgent {
  const suggestion = "Register at POST /api/v1/auth/register to get an API key";
  if (req.bearer() === undefined) {
    throw new HttpError(401, "unauthorized", "Missing or invalid Authorization header. Use: Bearer {api_key}", {
      suggestion,
    });
  }
  const agent = resolveAgent(world, req);
  if (!agent) throw new HttpError(401, "unauthorized", "Invalid API key", { suggestion });
  return agent;
}
