// Refreshing the current view: one at a time, live events coalesced, heavy views rate-limited.

import { app } from "./state.js";

const LIVE_DEBOUNCE_MS = 300;

let refreshing = null;
let refreshAgain = false;
/**
 * One refresh at a time; a request during one runs once more afterwards, for the view current by then (the one
 * the operator just opened, when the request came from a route change while the last view was still loading).
 */
export async function refreshView() {
  if (refreshing) {
    refreshAgain = true;
    return;
  }
  const view = app.view;
  view.refreshedAt = Date.now();
  refreshing = view.refresh().catch((err) => console.warn("refresh failed", err));
  await refreshing;
  refreshing = null;
  if (refreshAgain) {
    refreshAgain = false;
    await refreshView();
  }
}

let refreshTimer = null;
/**
 * Live events ask for a refresh of the current view: one is coalesced per LIVE_DEBOUNCE_MS, and views with heavy
 * reads (money, health) say how often at most (`minIntervalMs`). `delay` 0 (after an action) goes at once.
 */
export function scheduleRefresh(delay = LIVE_DEBOUNCE_MS) {
  if (refreshTimer && delay > 0) return; // one is already coming and will see this change too
  const view = app.view;
  const wait = delay === 0 ? 0 : Math.max(delay, (view?.minIntervalMs ?? 0) - (Date.now() - (view?.refreshedAt ?? 0)));
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => {
    refreshTimer = null;
    void refreshView();
  }, wait);
}
