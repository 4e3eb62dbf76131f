/**
 * The pf-fleet MCP App: shows a batch tool's or pnl_report's result inside the conversation. Runs in the host's
 * sandboxed iframe with no network; the host hands it the tool result (`ontoolresult`) and proxies the read-only
 * tools it calls (`callServerTool`): job_status and list_jobs while a batch runs, list_agents for agent labels.
 *
 * Every string from the server (agent labels, error texts) goes into the page as text (`textContent`), never as
 * markup. Money arrives in USD and is summed as integer micro-USD, as the server does.
 */
const { App, applyDocumentTheme, applyHostStyleVariables, applyHostFonts } = globalThis.McpExtApps;

const POLL_MS = 1000;
const PAGE = 200;
const $ = (id) => document.getElementById(id);

const app = new App({ name: "pf-fleet view", version: "1.0.0" }, {});
let generation = 0;
let chart = null;
let chartOverTime = null;
let agentLabels = null;

// handlers before connect, so the result that follows the handshake is not missed
app.ontoolresult = (result) => {
  const mine = ++generation;
  show(result, mine).catch((err) => failed(err, mine));
};
app.onhostcontextchanged = (ctx) => theme(ctx);
app.onteardown = async () => {
  generation++;
  return {};
};

function theme(ctx) {
  if (!ctx) return;
  if (ctx.theme) applyDocumentTheme(ctx.theme);
  if (ctx.styles?.variables) applyHostStyleVariables(ctx.styles.variables);
  if (ctx.styles?.css?.fonts) applyHostFonts(ctx.styles.css.fonts);
}

async function show(result, mine) {
  reset();
  const sc = result.structuredContent ?? {};
  if (result.isError) {
    const first = result.content?.find((c) => c.type === "text");
    throw new Error(first?.text ?? sc.error?.message ?? "the tool failed");
  }
  if (sc.mode) badge("mode", sc.mode);
  if ("job_id" in sc && "plan" in sc) return showBatch(sc, mine);
  if ("totals" in sc && "by_agent" in sc) return showReport(sc);
  $("title").textContent = "Nothing to show for this result";
}

/* ---------- a batch: progress, running figures, cumulative PnL per bet, per-agent table ---------- */

async function showBatch(sc, mine) {
  $("title").textContent = `${sc.count} × ${usd(sc.amount_usd, 2)} ${betLabel(sc.bet)}`;
  badge("state", sc.status);
  if (sc.status === "dry_run") {
    note("Dry run: nothing was sent. The plan per agent:");
    stats([
      ["Total stake", usd(sc.plan.total_stake_usd)],
      ["Expected value", signedUsd(sc.plan.expected_value_usd)],
      ["House edge", percent(sc.plan.house_edge)],
    ]);
    agentRows(
      sc.plan.agents.map((a) => ({
        agentId: a.agent_id,
        bets: a.bets,
        wins: null,
        losses: null,
        wagered: micros(a.stake_usd),
        pnl: null,
      })),
      await labels(),
    );
    return;
  }
  if (sc.summary) batchStats(summaryFigures(sc.summary));
  progress(sc.progress.done, sc.progress.total);
  if (!canCallTools()) {
    note("This host does not let the view call tools: per-bet detail and live progress are not available.");
    return;
  }
  let finished = sc.status !== "running";
  for (;;) {
    if (mine !== generation) return;
    // the job's state first, then its members: once it reads finished, the members hold every bet
    const status = finished ? null : await callTool("job_status", { job_id: sc.job_id });
    if (mine !== generation) return;
    let members;
    try {
      members = await memberJobs(sc.job_id);
    } catch (err) {
      // list_jobs not offered (toolsets) or refused: the result's own figures stay
      note(`Per-bet detail unavailable: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    if (mine !== generation) return;
    const detail = betsOf(members);
    if (status) {
      finished = status.finished;
      badge("state", finished ? status.job.state : "running");
      // the chord's own aggregate once it finished; the members' bets so far while it runs
      if (finished && status.job.result) batchStats(aggregateFigures(status.job.result));
      else batchStats({ ...detail.totals, pending: Math.max(sc.progress.total - detail.settled, 0) });
      progress(detail.settled, sc.progress.total);
    }
    // from 0 before the first bet to the PnL after each
    pnlChart(
      "Cumulative PnL by bet",
      [0, ...detail.series.map((_, i) => i + 1)],
      [0, ...cumulative(detail.series)],
      false,
    );
    agentRows(detail.agents, await labels());
    if (finished) return;
    await sleep(POLL_MS);
  }
}

function summaryFigures(s) {
  return {
    bets: s.total_bets,
    wins: s.wins,
    losses: s.losses,
    wagered: micros(s.wagered_usd),
    pnl: micros(s.total_pnl_usd),
    failed: s.failed,
    pending: s.pending,
  };
}

/** The chord's result as job_status shows it (the aggregate's own names, money under `_usd`). */
function aggregateFigures(r) {
  return {
    bets: r.totalBets,
    wins: r.wins,
    losses: r.losses,
    wagered: micros(r.wagered_usd),
    pnl: micros(r.total_pnl_usd),
    failed: r.failedBets,
    pending: r.pendingBets,
  };
}

function batchStats(f) {
  stats([
    ["Bets settled", String(f.bets)],
    ["Wins", String(f.wins), "win"],
    ["Losses", String(f.losses), "loss"],
    ["Win rate", f.bets ? percent(f.wins / f.bets) : "–"],
    ["Wagered", usd(f.wagered / 1e6)],
    ["PnL", signedUsd(f.pnl / 1e6), f.pnl > 0 ? "win" : f.pnl < 0 ? "loss" : ""],
    ...(f.failed ? [["Failed", String(f.failed), "loss"]] : []),
    ...(f.pending ? [["Pending", String(f.pending)]] : []),
  ]);
}

/** Every member job of the batch (list_jobs pages), without its aggregate callback. */
async function memberJobs(jobId) {
  const jobs = [];
  let cursor;
  do {
    const page = await callTool("list_jobs", { canvas_id: jobId, limit: PAGE, ...(cursor ? { cursor } : {}) });
    jobs.push(...page.jobs.filter((j) => j.task !== "aggregate_bet_results"));
    cursor = page.next_cursor;
  } while (cursor);
  return jobs;
}

/** The settled bets in settlement order, and per agent: bets, wins, losses, wagered and PnL in micro-USD. */
function betsOf(members) {
  const done = members
    .map((m) => ({ ...m, call: callOf(m) }))
    .filter((m) => m.state === "succeeded" && m.call)
    .sort((a, b) => (a.finished_at ?? "").localeCompare(b.finished_at ?? "") || a.id.localeCompare(b.id));
  const agents = new Map();
  const series = [];
  const totals = { bets: 0, wins: 0, losses: 0, wagered: 0, pnl: 0, failed: 0, pending: 0 };
  for (const { call } of done) {
    const row = agents.get(call.agentId) ?? { agentId: call.agentId, bets: 0, wins: 0, losses: 0, wagered: 0, pnl: 0 };
    agents.set(call.agentId, row);
    for (const t of [row, totals]) {
      t.bets += call.nets.length;
      t.wins += call.wins;
      t.losses += call.losses;
      t.wagered += call.wagered;
      t.pnl += call.pnl;
    }
    series.push(...call.nets);
  }
  let failed = 0;
  for (const m of members) {
    const seeds = Array.isArray(m.args?.clientSeeds) ? m.args.clientSeeds.length : 1;
    if (m.state === "succeeded") failed += Array.isArray(m.result?.refused) ? m.result.refused.length : 0;
    else if (TERMINAL.has(m.state)) failed += seeds;
  }
  totals.failed = failed;
  return { series, totals, settled: totals.bets + failed, agents: [...agents.values()] };
}

/**
 * A settled call's figures in micro-USD: its result's totals and each bet's net (a result of an earlier version
 * lists every bet instead); null for a result that is neither.
 */
function callOf(m) {
  const r = m.result;
  if (Array.isArray(r?.nets_usd)) {
    return {
      agentId: r.agentId ?? m.args?.agentId,
      nets: r.nets_usd.map(micros),
      wins: r.wins,
      losses: r.losses,
      wagered: micros(r.wagered_usd),
      pnl: micros(r.pnl_usd),
    };
  }
  if (!Array.isArray(r?.bets)) return null;
  return {
    agentId: r.bets[0]?.agentId ?? r.agentId,
    nets: r.bets.map((b) => micros(b.net_usd)),
    wins: r.bets.filter((b) => b.won).length,
    losses: r.bets.filter((b) => !b.won).length,
    wagered: r.bets.reduce((sum, b) => sum + micros(b.stake_usd), 0),
    pnl: r.bets.reduce((sum, b) => sum + micros(b.net_usd), 0),
  };
}

const TERMINAL = new Set(["failed", "dead", "cancelled", "expired", "unknown"]);

/* ---------- pnl_report: the period's figures, cumulative PnL by day, per-agent table ---------- */

async function showReport(sc) {
  const p = sc.period;
  $("title").textContent =
    `PnL ${p.kind}${p.from ? ` from ${p.from.slice(0, 10)}` : ""}${p.to ? ` to ${p.to.slice(0, 10)}` : ""}`;
  const t = sc.totals;
  stats([
    ["Bets", String(t.bets)],
    ["Wins", String(t.wins), "win"],
    ["Losses", String(t.losses), "loss"],
    ["Win rate", t.win_rate === null ? "–" : percent(t.win_rate)],
    ["Wagered", usd(t.wagered_usd)],
    ["PnL", signedUsd(t.pnl_usd), t.pnl_usd > 0 ? "win" : t.pnl_usd < 0 ? "loss" : ""],
    ["Net change", signedUsd(sc.net_change_usd)],
    ["Max drawdown", usd(sc.max_drawdown_usd)],
  ]);
  if (sc.days.length) {
    // 0 when the first day began, then the PnL at the end of each day (a one-day report still draws a line)
    const DAY = 86_400;
    const ends = sc.days.map((d) => Date.parse(`${d.date}T00:00:00Z`) / 1000 + DAY);
    pnlChart(
      "Cumulative PnL at the end of each UTC day",
      [ends[0] - DAY, ...ends],
      [0, ...cumulative(sc.days.map((d) => micros(d.pnl_usd)))],
      true,
    );
  } else {
    note("No bets in this period.");
  }
  const rows = Object.entries(sc.by_agent).map(([agentId, s]) => ({
    agentId,
    bets: s.bets,
    wins: s.wins,
    losses: s.losses,
    wagered: micros(s.wagered_usd),
    pnl: micros(s.pnl_usd),
  }));
  agentRows(rows, canCallTools() ? await labels() : new Map());
}

/* ---------- shared pieces ---------- */

function canCallTools() {
  return Boolean(app.getHostCapabilities()?.serverTools);
}

/** A read-only server tool through the host; its structured content, or an Error with the tool's own message. */
async function callTool(name, args) {
  const result = await app.callServerTool({ name, arguments: args });
  if (result.isError) {
    const text = result.content?.find((c) => c.type === "text")?.text;
    throw new Error(text ?? `${name} failed`);
  }
  return result.structuredContent;
}

/** agent id → label, from list_agents once; an empty map when that tool is not offered. */
async function labels() {
  if (agentLabels) return agentLabels;
  try {
    const { agents } = await callTool("list_agents", {});
    agentLabels = new Map(agents.map((a) => [a.agent_id, a.label]));
  } catch {
    agentLabels = new Map();
  }
  return agentLabels;
}

function agentRows(rows, names) {
  const body = $("agents").tBodies[0];
  body.replaceChildren(
    ...rows
      .sort((a, b) => (b.pnl ?? 0) - (a.pnl ?? 0) || a.agentId.localeCompare(b.agentId))
      .map((r) => {
        const tr = document.createElement("tr");
        const who = document.createElement("td");
        const label = names.get(r.agentId);
        who.append(text("span", label || r.agentId, "label"));
        if (label) who.append(text("span", r.agentId, "id"));
        tr.append(
          who,
          text("td", String(r.bets), "num"),
          text("td", r.wins === null ? "–" : String(r.wins), "num"),
          text("td", r.losses === null ? "–" : String(r.losses), "num"),
          text("td", usd(r.wagered / 1e6), "num"),
          text("td", r.pnl === null ? "–" : signedUsd(r.pnl / 1e6), `num ${tone(r.pnl)}`),
        );
        return tr;
      }),
  );
  $("agents-section").hidden = rows.length === 0;
}

function pnlChart(title, xs, ys, time) {
  $("chart-section").hidden = xs.length === 0;
  $("chart-title").textContent = title;
  if (xs.length === 0) return;
  const data = [xs, ys.map((m) => m / 1e6)];
  const box = $("chart");
  const width = Math.max(box.clientWidth, 240);
  if (chart && chartOverTime === time) {
    chart.setData(data);
    return;
  }
  chart?.destroy();
  chart = new uPlot(
    {
      width,
      height: 200,
      scales: { x: { time } },
      // the report's days are UTC days: label them in UTC wherever the viewer is
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), "Etc/UTC"),
      legend: { show: false },
      series: [
        { label: time ? "day" : "bet" },
        {
          label: "PnL",
          stroke: "#7c3aed",
          width: 2,
          fill: "rgba(124, 58, 237, 0.08)",
          points: { show: xs.length <= 60 },
        },
      ],
      axes: [{}, { size: 86, values: (_u, ticks) => ticks.map((v) => signedUsd(v)) }],
    },
    data,
    box,
  );
  chartOverTime = time;
}

addEventListener("resize", () => chart?.setSize({ width: Math.max($("chart").clientWidth, 240), height: 200 }));

function stats(items) {
  $("stats").replaceChildren(
    ...items.map(([label, value, cls]) => {
      const div = document.createElement("div");
      div.append(text("dt", label), text("dd", value, cls));
      return div;
    }),
  );
}

function progress(done, total) {
  $("progress").hidden = false;
  const share = total ? Math.min(done / total, 1) : 0;
  $("bar-fill").style.width = `${(share * 100).toFixed(1)}%`;
  $("progress").querySelector(".bar").setAttribute("aria-valuenow", String(done));
  $("progress").querySelector(".bar").setAttribute("aria-valuemax", String(total));
  $("progress-text").textContent = `${done} of ${total} bets settled`;
}

function badge(id, value) {
  $(id).hidden = false;
  $(id).textContent = value;
}

function note(message) {
  $("note").hidden = false;
  $("note").textContent = message;
}

function failed(err, mine) {
  if (mine !== generation) return;
  $("error").hidden = false;
  $("error").textContent = err instanceof Error ? err.message : String(err);
}

/** A new result starts from an empty page: nothing of the previous one stays. */
function reset() {
  for (const id of ["error", "note", "progress", "chart-section", "agents-section", "state"]) $(id).hidden = true;
  $("stats").replaceChildren();
}

function text(tag, value, cls) {
  const el = document.createElement(tag);
  el.textContent = value;
  if (cls) el.className = cls;
  return el;
}

function betLabel(bet) {
  const { game, ...fields } = bet ?? {};
  const detail = Object.entries(fields)
    .map(([k, v]) => `${k} ${v}`)
    .join(", ");
  return detail ? `${game} (${detail})` : String(game ?? "bets");
}

function cumulative(values) {
  let sum = 0;
  return values.map((v) => {
    sum += v;
    return sum;
  });
}

const micros = (amountUsd) => Math.round(Number(amountUsd) * 1e6);
const tone = (m) => (m > 0 ? "win" : m < 0 ? "loss" : "");
const percent = (x) => `${(x * 100).toFixed(1)}%`;
const usd = (x, decimals = 4) => `$${Math.abs(x).toFixed(decimals)}`;
const signedUsd = (x) => `${x > 0 ? "+" : x < 0 ? "-" : ""}${usd(x)}`;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// last: every declaration above is initialised before the first result can arrive
await app.connect();
theme(app.getHostContext());
