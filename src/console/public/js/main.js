// pf-fleet operations console: one static page of plain ES modules, no framework and no build step.
// This module routes (#/jobs, #/jobs/<id>, #/money, #/health, #/schedules) and starts the live stream and tickers.

import { getJson } from "./api.js";
import { $, emptyState, fill } from "./dom.js";
import { isStale, rel } from "./format.js";
import { connectEvents } from "./live.js";
import { refreshView, scheduleRefresh } from "./refresh.js";
import { app } from "./state.js";
import { toastError } from "./toasts.js";
import { applyOverview, buildCounts } from "./topbar.js";
import { healthView } from "./views/health.js";
import { jobDetailView } from "./views/job-detail.js";
import { jobsView } from "./views/jobs.js";
import { moneyView } from "./views/money.js";
import { schedulesView } from "./views/schedules.js";

function parseRoute() {
  const raw = location.hash.replace(/^#/, "") || "/jobs";
  const [path, query = ""] = raw.split("?");
  const parts = path.split("/").filter(Boolean);
  let id = null;
  try {
    id = parts[1] ? decodeURIComponent(parts.slice(1).join("/")) : null;
  } catch {
    id = parts[1];
  }
  return { name: parts[0] || "jobs", id, params: new URLSearchParams(query) };
}

function notFoundView() {
  return { root: emptyState("No such page."), refresh: async () => {}, destroy() {} };
}

function route() {
  const r = parseRoute();
  for (const a of document.querySelectorAll(".tabs a")) {
    if (a.dataset.view === r.name) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  app.view?.destroy();
  const factory =
    r.name === "jobs"
      ? r.id
        ? jobDetailView
        : jobsView
      : ({ money: moneyView, health: healthView, schedules: schedulesView }[r.name] ?? notFoundView);
  app.view = factory(r);
  fill($("#view"), app.view.root);
  document.title = `${r.id ? `job ${r.id}` : r.name} · pf-fleet`;
  window.scrollTo(0, 0);
  void refreshView();
}

/** keeps "3 min ago" texts and stale heartbeat marks current without a refetch */
function tick() {
  for (const node of document.querySelectorAll("[data-rel]")) node.textContent = rel(node.dataset.rel);
  for (const row of document.querySelectorAll("tr[data-heartbeat]"))
    row.classList.toggle("stale", isStale(row.dataset.heartbeat, Number(row.dataset.staleAfterMs) || undefined));
}

function start() {
  buildCounts();
  window.addEventListener("hashchange", route);
  route();
  getJson("/api/overview")
    .then(applyOverview)
    .catch((err) => toastError(err, "overview"));
  connectEvents();
  setInterval(tick, 10_000);
  // money moves outside job events too (balances read by the wallet monitor): a slow refresh keeps it honest
  setInterval(() => {
    if (document.visibilityState === "visible" && parseRoute().name === "money") scheduleRefresh(0);
  }, 30_000);
}

start();
