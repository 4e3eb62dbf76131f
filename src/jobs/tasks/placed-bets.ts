import { getBetsByJobIds } from "../../ledger/index.js";
import type { Executor } from "../../storage/types.js";
import type { PlacedBets } from "../aggregate-bet-results.js";
import { betResult } from "./bet-record.js";

/**
 * The ledger's answer to "which bets did these jobs place?": what lets a chord summary count the bets of a
 * batch settled in part whose job then ended without a result (cancelled, or failed after its reconciliation
 * recorded what the server had settled).
 */
export function ledgerPlacedBets(storage: Pick<Executor, "ledger">): PlacedBets {
  return async (jobIds) => {
    const byJob = await getBetsByJobIds(storage, jobIds);
    return new Map([...byJob].map(([jobId, bets]) => [jobId, bets.map(betResult)]));
  };
}
