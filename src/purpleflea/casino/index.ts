import type { HttpTransport } from "../http.js";
import type { CasinoClient } from "../types.js";
import { accountMethods } from "./account.js";
import { betMethods } from "./bets.js";
import { kellyMethods } from "./kelly.js";
import { seedMethods } from "./seeds.js";

/** The casino (`…/api/v1`): account, games, fairness, Kelly. Escrow and faucet reuse its identities. */
export function createCasinoClient(http: HttpTransport): CasinoClient {
  return { ...accountMethods(http), ...betMethods(http), ...seedMethods(http), ...kellyMethods(http) };
}
