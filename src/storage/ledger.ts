/** The repository of the ledger (bets, movements, snapshots, summaries) and its PnL queries. Filled in as the module moves behind the seam. */
// biome-ignore lint/suspicious/noEmptyInterface: filled in as the module moves behind the seam
export interface LedgerRepo {}
