/** The repository of agents and their keys, domain accounts, limits overrides, the kill switch, the database's mode. Filled in as the module moves behind the seam. */
// biome-ignore lint/suspicious/noEmptyInterface: filled in as the module moves behind the seam
export interface FleetRepo {}
