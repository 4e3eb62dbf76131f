import { HttpError } from "../http/http-error.js";
import { json } from "../http/reply.js";
import type { Route } from "../http/router.js";
import { requireAgent } from "./auth.js";
import type { CasinoContext } from "./context.js";
import { kellyLimits } from "./kelly-info.js";

/** `PUT /kelly/config {risk_factor: 0.1–1.0}` and `GET /kelly/limits`. */
export function kellyRoutes({ world }: CasinoContext): Route[] {
  return [
    {
      method: "PUT",
      path: "/kelly/config",
      async handle(req) {
        const agent = requireAgent(world, req);
        const { risk_factor } = await req.json();
        if (typeof risk_factor !== "number" || !(risk_factor >= 0.1 && risk_factor <= 1.0)) {
          throw new HttpError(
            400,
            "invalid_risk_factor",
            `risk_factor must be a number between 0.1 and 1.0, got \`${JSON.stringify(risk_factor) ?? "nothing"}\``,
            { suggestion: "0.1=ultra conservative, 0.25=default, 0.5=aggressive, 1.0=full Kelly" },
          );
        }
        world.agents.setRiskFactor(agent.id, risk_factor);
        return json({
          risk_factor,
          message: `Risk factor updated to ${risk_factor}`,
          new_limits: kellyLimits(world.ledger.balance(agent.id) ?? agent.balance_usd, risk_factor),
        });
      },
    },
    {
      method: "GET",
      path: "/kelly/limits",
      handle(req) {
        const agent = requireAgent(world, req);
        return json(kellyLimits(agent.balance_usd, agent.risk_factor));
      },
    },
  ];
}
