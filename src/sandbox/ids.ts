import { createHash, randomBytes, randomUUID } from "node:crypto";

/** Identifier and key formats of the real services (purpleflea-api.md §1). */

export function randomHex(bytes: number): string {
  return randomBytes(bytes).toString("hex");
}

/** The services store only this digest of a key; a lost key cannot be recovered. */
export function hashApiKey(key: string): string {
  return createHash("sha256").update(key, "utf8").digest("hex");
}

export interface NewIdentity {
  agentId: string;
  apiKey: string;
  referralCode: string;
}

export function newCasinoIdentity(): NewIdentity {
  return { agentId: `ag_${randomHex(6)}`, apiKey: `sk_live_${randomHex(24)}`, referralCode: `ref_${randomHex(4)}` };
}

export function newDomainsIdentity(): NewIdentity {
  return { agentId: `ag_${randomHex(6)}`, apiKey: `sk_domains_${randomHex(24)}`, referralCode: `ref_${randomHex(4)}` };
}

export const newBetId = (): string => `bet_${randomUUID()}`;
export const newEscrowId = (): string => `esc_${randomHex(8)}`;
export const newUuid = (): string => randomUUID();
