export { utcDayStart } from "./daily-loss.js";
export { LIMIT_NAMES, type LimitName } from "./limits.js";
export { assertDatabaseMode } from "./mode-guard.js";
export { createFleetStore, type FleetStoreOptions } from "./store.js";
export type { Agent, DomainAccount, EffectiveLimits, FleetStore, PauseState } from "./types.js";
