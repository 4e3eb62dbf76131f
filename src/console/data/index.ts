/**
 * The console's read models: the JSON of its read routes (src/console/API.md), built from the store through the
 * storage seam and the engine, never from the Purple Flea API. Each takes the server's `FleetDeps`; query values
 * it cannot mean throw INVALID_INPUT with a hint.
 */
export type { BatchSummary } from "./batch-summary.js";
export type { EscrowItem } from "./escrows.js";
export { consoleHealth, type Health, type HealthSeries, type RateLimitView } from "./health.js";
export {
  type AttemptView,
  type CanvasView,
  consoleJobDetail,
  type EventView,
  type JobDetail,
  type JobRef,
} from "./job-detail.js";
export type { JobItem, ProgressView } from "./job-item.js";
export { consoleJobs, type JobsPage } from "./jobs.js";
export { type AgentMoney, consoleMoney, type LossView, type Money, type PnlSeries } from "./money.js";
export { consoleOverview, type Overview, type QueueView } from "./overview.js";
export { type ProcessView, processViews } from "./processes.js";
export { consoleSchedules, type ScheduleItem } from "./schedules.js";
