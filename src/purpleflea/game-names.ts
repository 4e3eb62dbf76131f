/**
 * The casino names games two ways: URL paths use dashes (`/games/coin-flip`), while its database, bet
 * responses, the batch endpoint, history, the export CSV and their `game` filters use underscores
 * (`coin_flip`). pf-fleet speaks the path names everywhere and translates at this edge.
 */

/** `coin_flip` → `coin-flip`; names without an underscore (`dice`, `crash`) are the same in both. */
export function apiGameName(wireName: string): string {
  return wireName.replaceAll("_", "-");
}

/** `coin-flip` → `coin_flip`, the form the batch endpoint and the history/export filters accept. */
export function wireGameName(apiName: string): string {
  return apiName.replaceAll("-", "_");
}
