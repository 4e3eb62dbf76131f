/**
 * The dashboard page: static HTML whose inline script polls `dashboard.json` and renders tables with
 * textContent only (job errors are data, never markup).
 */
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>pf-fleet</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem; color: #222; }
  h1 { font-size: 1.3rem; } h2 { font-size: 1.05rem; margin-top: 1.6rem; }
  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: left; padding: .25rem .5rem; border-bottom: 1px solid #ddd; font-variant-numeric: tabular-nums; }
  th { background: #f4f2f8; }
  .mode { padding: .1rem .4rem; border-radius: .3rem; background: #e7e0f5; }
  .live { background: #f8d7da; } .bad { color: #b00020; } .muted { color: #777; }
</style>
</head>
<body>
<h1>pf-fleet <span id="mode" class="mode"></span> <small id="updated" class="muted"></small></h1>
<p id="trading"></p>
<h2>Queues</h2><table id="queues"></table>
<h2>Failures</h2><table id="failures"></table>
<h2>Recent jobs</h2><table id="recent"></table>
<h2>Schedules</h2><table id="schedules"></table>
<h2>Agents</h2><table id="agents"></table>
<h2>Risk limits (USD)</h2><table id="limits"></table>
<script>
function render(id, rows, columns) {
  const table = document.getElementById(id);
  table.replaceChildren();
  if (!rows || rows.length === 0) {
    const td = table.insertRow().insertCell();
    td.textContent = "none"; td.className = "muted";
    return;
  }
  const cols = columns || Object.keys(rows[0]);
  const head = table.createTHead().insertRow();
  for (const c of cols) { const th = document.createElement("th"); th.textContent = c; head.appendChild(th); }
  const body = table.createTBody();
  for (const row of rows) {
    const tr = body.insertRow();
    for (const c of cols) {
      const v = row[c];
      tr.insertCell().textContent = v === null || v === undefined ? "" : typeof v === "object" ? JSON.stringify(v) : String(v);
    }
  }
}
async function refresh() {
  try {
    const res = await fetch("dashboard.json", { credentials: "same-origin" });
    if (!res.ok) throw new Error(res.status + " " + res.statusText);
    const d = await res.json();
    const mode = document.getElementById("mode");
    mode.textContent = d.mode; mode.className = "mode " + d.mode;
    document.getElementById("updated").textContent = "updated " + d.generated_at;
    const t = d.trading;
    const trading = document.getElementById("trading");
    trading.textContent = t.fleet_paused ? "Trading paused fleet-wide: " + t.reason
      : t.paused_agents.length ? "Paused agents: " + t.paused_agents.join(", ") : "Trading active";
    trading.className = t.fleet_paused ? "bad" : "";
    render("queues", d.queues.map(q => ({ queue: q.queue, concurrency: q.concurrency, queued: q.queued, running: q.running,
      retrying: q.retrying, succeeded: q.succeeded, failed: q.failed, dead: q.dead, unknown: q.unknown,
      "per min": q.throughputPerMinute, "p50 ms": q.runtimeMs.p50, "p95 ms": q.runtimeMs.p95 })));
    render("failures", d.failures, ["id", "task", "state", "attempts", "finished_at", "error"]);
    render("recent", d.recent_jobs, ["id", "task", "queue", "state", "attempts", "progress", "created_at"]);
    render("schedules", d.schedules || []);
    render("agents", d.agents);
    render("limits", [d.limits_usd]);
  } catch (err) {
    document.getElementById("updated").textContent = "refresh failed: " + err.message;
  }
}
refresh();
setInterval(refresh, 5000);
</script>
</body>
</html>
`;
