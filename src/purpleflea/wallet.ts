import { z } from "zod";
import type { HttpTransport } from "./http.js";
import { pathSegment, requireText } from "./input.js";
import type { WalletClient } from "./types.js";

/**
 * The public wallet (purpleflea-api.md §5) holds no USD: it only reads on-chain balances, without auth.
 * The USD balance lives in the casino (`casino.balance`).
 */

const balanceSchema = z.object({
  address: z.string(),
  chain: z.string(),
  balance: z.object({
    native: z.object({ symbol: z.string(), amount: z.union([z.string(), z.number()]).transform(String) }),
  }),
});

export function createWalletClient(http: HttpTransport): WalletClient {
  return {
    async onChainBalance(address, chain, opts) {
      const segment = pathSegment("address", address);
      requireText("chain", chain, 40);
      const wire = await http.json(
        { service: "wallet", method: "GET", path: `/wallet/balance/${segment}`, query: { chain }, effect: "none" },
        balanceSchema,
        opts,
      );
      return {
        address: wire.address,
        chain: wire.chain,
        symbol: wire.balance.native.symbol,
        amount: wire.balance.native.amount,
      };
    },
  };
}
