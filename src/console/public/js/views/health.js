// #/health: throughput and queue depth charts, queues, rate limits and the fleet's processes with their heartbeats.

import { getJson } from "../api.js";
import { ACCENT, axes, barPaths, chartBox, countRange } from "../charts.js";
import { cell, dash, el, emptyState, fill, headRow, section, tableWrap, token } from "../dom.js";
import { duration, num, perWindow, timeEl } from "../format.js";
import { scheduleRefresh } from "../refresh.js";
import { app } from "../state.js";
import { errorBox } from "../toasts.js";
import { bar } from "../widgets.js";

export function healthView(route) {
  let windowName = route.params.get("window") === "day" ? "day" : "hour";
  const switcher = el(
    "div",
    { class: "segmented", role: "group", "aria-label": "time window" },
    ["hour", "day"].map((w) =>
      el(
        "button",
        { type: "button", "data-v": w, "aria-pressed": String(w === windowName) },
        w === "hour" ? "Last hour" : "Last day",
      ),
    ),
  );
  const throughput = chartBox("jobs finished per bucket");
  const depth = chartBox("queue depth");
  const problem = el("div");
  const queuesBox = el("div");
  const limitsBox = el("div");
  const procBox = el("div");
  const root = el(
    "div",
    { class: "health" },
    el("div", { class: "view-head" }, el("h1", {}, "Health"), switcher),
    problem,
    el("div", { class: "grid-2" }, section("Throughput", throughput.node), section("Queue depth", depth.node)),
    section("Queues", queuesBox),
    section("Rate limits", limitsBox),
    section("Processes", procBox),
  );
  switcher.addEventListener("click", (e) => {
    const b = e.target.closest("button");
    if (!b || b.dataset.v === windowName) return;
    windowName = b.dataset.v;
    for (const x of switcher.children) x.setAttribute("aria-pressed", String(x === b));
    history.replaceState(null, "", windowName === "day" ? "#/health?window=day" : "#/health");
    void refresh();
  });

  async function refresh() {
    const asked = windowName;
    let h;
    try {
      h = await getJson(`/api/health?window=${asked}`);
    } catch (err) {
      fill(problem, errorBox(err));
      return;
    }
    if (asked !== windowName) return;
    problem.replaceChildren();
    const t = h.series.t;
    const timeAxis = (fmt) => axes(fmt);
    throughput.show({
      key: asked,
      data: [t, h.series.succeeded, h.series.failed],
      opts: {
        series: [
          {},
          { label: "succeeded", stroke: "#059669", fill: "rgba(5,150,105,.55)", width: 1, paths: barPaths(0) },
          { label: "failed", stroke: "#dc2626", fill: "rgba(220,38,38,.75)", width: 1, paths: barPaths(1) },
        ],
        axes: timeAxis((v) => num(v)),
        scales: { x: { time: true }, y: { range: countRange } },
      },
    });
    depth.show({
      key: asked,
      data: [t, h.series.queued, h.series.running],
      opts: {
        series: [{}, { label: "queued", stroke: ACCENT, width: 2 }, { label: "running", stroke: "#0ea5e9", width: 2 }],
        axes: timeAxis((v) => num(v)),
        scales: { x: { time: true }, y: { range: countRange } },
      },
    });
    fill(limitsBox, rateLimitTable(h.rate_limits));
    fill(procBox, processTable(h.processes));
    fill(queuesBox, queueTable(app.overview?.queues));
  }

  const timer = setInterval(() => scheduleRefresh(), 15_000);
  return {
    root,
    refresh,
    minIntervalMs: 5_000,
    onOverview(o) {
      fill(queuesBox, queueTable(o.queues));
    },
    destroy() {
      clearInterval(timer);
      throughput.destroy();
      depth.destroy();
    },
  };
}

function queueTable(queues) {
  if (!queues?.length) return emptyState("No queues.");
  const n = (v) => el("span", { class: "num" }, num(v));
  return tableWrap(
    el(
      "table",
      { class: "table table-compact" },
      headRow(
        [
          "Queue",
          "Workers",
          "Queued",
          "Running",
          "Retrying",
          "Succeeded",
          "Failed",
          "Dead",
          "Unknown",
          "/min",
          "/hour",
          "p50",
          "p95",
        ],
        1,
      ),
      el(
        "tbody",
        {},
        queues.map((q) =>
          el(
            "tr",
            {},
            el("td", {}, el("a", { href: `#/jobs?${new URLSearchParams({ queue: q.queue })}` }, q.queue)),
            [q.concurrency, q.queued, q.running, q.retrying, q.succeeded].map((v) =>
              el("td", { class: "right" }, n(v)),
            ),
            [q.failed, q.dead, q.unknown].map((v) => el("td", { class: `right ${v ? "neg" : ""}` }, n(v))),
            el("td", { class: "right" }, n(q.per_minute)),
            el("td", { class: "right" }, n(q.per_hour)),
            el("td", { class: "right num" }, duration(q.p50_ms)),
            el("td", { class: "right num" }, duration(q.p95_ms)),
          ),
        ),
      ),
    ),
  );
}

function rateLimitTable(limits) {
  if (!limits?.length) return emptyState("No rate limits in use.");
  return tableWrap(
    el(
      "table",
      { class: "table cards-on-narrow" },
      headRow(["Key", "Used", "Resets", "Waiting"]),
      el(
        "tbody",
        {},
        limits.map((r) => {
          const f = r.limit ? r.used / r.limit : 0;
          return el(
            "tr",
            {},
            cell(
              "Key",
              el(
                "div",
                {},
                el("span", { class: `badge scope scope-${token(r.scope)}` }, r.scope),
                " ",
                el("span", { class: "mono small" }, r.agent_id ?? r.egress ?? r.key),
                el("div", { class: "muted small mono ellipsis", title: r.key }, r.key),
              ),
            ),
            cell(
              "Used",
              el(
                "div",
                { class: "progress" },
                bar(f, "calls used", f >= 1 ? "danger" : f >= 0.8 ? "warn" : "ok"),
                el(
                  "div",
                  { class: "small num" },
                  `${num(r.used)} / ${num(r.limit)} per ${perWindow(r.window_seconds)}`,
                ),
              ),
            ),
            cell("Resets", timeEl(r.resets_at)),
            cell(
              "Waiting",
              el("span", { class: `num ${r.waiting_jobs ? "warn-text" : "muted"}` }, num(r.waiting_jobs)),
            ),
          );
        }),
      ),
    ),
  );
}

function processTable(processes) {
  if (!processes?.length) return emptyState("No process is running jobs on this database.");
  return tableWrap(
    el(
      "table",
      { class: "table cards-on-narrow processes" },
      headRow(["Process", "Queues", "Jobs", "Started", "Last heartbeat", "Lease expires"]),
      el("tbody", {}, processes.map(processRow)),
    ),
  );
}

function processRow(p) {
  const where = p.host === null ? "no heartbeat row" : `${p.host} · pid ${p.pid} · egress ${p.egress} · ${p.mode}`;
  const queues = Object.entries(p.queues ?? {}).map(([queue, n]) => `${queue} ${n}`);
  return el(
    "tr",
    {
      // main.js re-reads these every few seconds, so a process that stops beating turns stale without a refetch
      "data-heartbeat": p.last_heartbeat_at ?? "",
      "data-stale-after-ms": p.heartbeat_interval_seconds === null ? null : p.heartbeat_interval_seconds * 3_000,
      class: p.status === "stale" ? "stale" : "",
    },
    cell(
      "Process",
      el(
        "div",
        {},
        el("span", { class: "mono small break" }, p.owner),
        p.fires_schedules ? el("span", { class: "badge" }, "schedules") : null,
        el("div", { class: "muted small break" }, where),
      ),
    ),
    cell("Queues", queues.length ? el("span", { class: "small" }, queues.join(" · ")) : dash()),
    cell("Jobs", el("span", { class: "num" }, num(p.jobs_leased))),
    cell("Started", timeEl(p.started_at)),
    cell(
      "Last heartbeat",
      el("span", {}, timeEl(p.last_heartbeat_at), el("span", { class: "badge stale-badge" }, "stale")),
    ),
    cell("Lease expires", timeEl(p.lease_expires_at)),
  );
}
