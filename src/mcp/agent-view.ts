import { z } from "zod";
import type { Agent } from "../fleet/types.js";

/** An agent as tools and resources show it: never its key. */
export const agentShape = z.object({
  agent_id: z.string(),
  label: z.string(),
  source: z.enum(["registered", "imported"]),
  referral_code: z.string().nullable(),
  paused: z.boolean(),
  created_at: z.string(),
});

export function agentView(a: Agent): z.infer<typeof agentShape> {
  return {
    agent_id: a.agentId,
    label: a.label,
    source: a.source,
    referral_code: a.referralCode,
    paused: a.paused,
    created_at: new Date(a.createdAt).toISOString(),
  };
}
