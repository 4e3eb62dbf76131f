import { json } from "../http/reply.js";
import type { ServiceDefinition } from "../http/service-server.js";
import type { SandboxWorld } from "../world.js";

/** The faucet (purpleflea-api.md §4): no auth; rules live in Faucet. */
export function faucetService(world: SandboxWorld): ServiceDefinition {
  return {
    name: "faucet",
    basePath: "",
    info: {
      service: "agent-faucet",
      docs: "https://faucet.purpleflea.com/llms.txt",
      referral: "GET /gossip for referral info",
      version: "1.0.0",
    },
    routes: [
      {
        method: "POST",
        path: "/faucet/claim",
        money: true,
        ipLimit: { name: "faucet-claim-ip", max: 5 },
        async handle(req) {
          const body = await req.jsonOrEmpty();
          return json(
            world.faucet.claim({ agentId: body.agent_casino_id, referralCode: body.referral_code, ip: req.ip }),
          );
        },
      },
      {
        method: "GET",
        path: "/faucet/stats",
        handle: () => json(world.faucet.stats()),
      },
    ],
  };
}
