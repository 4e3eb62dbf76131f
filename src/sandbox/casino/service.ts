import type { ServiceDefinition } from "../http/service-server.js";
import type { SandboxWorld } from "../world.js";
import { accountRoutes } from "./account-routes.js";
import { batchRoutes } from "./batch-routes.js";
import { createCasinoContext } from "./context.js";
import { fairnessRoutes } from "./fairness-routes.js";
import { gameRoutes } from "./game-routes.js";
import { historyRoutes } from "./history-routes.js";
import { kellyRoutes } from "./kelly-routes.js";
import { transferRoutes } from "./transfer-routes.js";

/** The casino (purpleflea-api.md §2) under `/api/v1`. */
export function casinoService(world: SandboxWorld): ServiceDefinition {
  const ctx = createCasinoContext(world);
  return {
    name: "casino",
    basePath: "/api/v1",
    info: {
      service: "agent-casino",
      docs: "https://casino.purpleflea.com/llms.txt",
      referral: "GET /api/v1/gossip for referral info",
      version: "1.0.0",
    },
    notFoundExtra: { docs: "https://casino.purpleflea.com/llms.txt", openapi: "/openapi.json" },
    routes: [
      ...accountRoutes(ctx),
      ...gameRoutes(ctx),
      ...batchRoutes(ctx),
      ...historyRoutes(ctx),
      ...fairnessRoutes(ctx),
      ...kellyRoutes(ctx),
      ...transferRoutes(ctx),
    ],
  };
}
