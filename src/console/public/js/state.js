// What the whole page shares: the latest overview, the current view and the last jobs list address.
// A view is { root, refresh(), destroy(), onOverview?, minIntervalMs? }; refresh() re-fetches and patches its DOM in
// place (rows keyed by id), so live updates keep filters, scroll, open forms and expanded batches.

export const STATES = [
  "queued",
  "running",
  "retrying",
  "waiting",
  "succeeded",
  "failed",
  "dead",
  "unknown",
  "cancelled",
  "expired",
];

export const app = { overview: null, view: null, lastJobsHash: "#/jobs" };
