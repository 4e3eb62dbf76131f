// The top bar: mode, trading state, job counts per state and the live-connection mark.

import { $, el, fill, token } from "./dom.js";
import { num } from "./format.js";
import { app, STATES } from "./state.js";

const countNodes = new Map();

export function buildCounts() {
  const box = $("#counts");
  for (const state of STATES) {
    const n = el("span", { class: "count-n num" }, "0");
    const chip = el(
      "a",
      { class: `count count-${state} zero`, href: `#/jobs?state=${state}`, title: `jobs ${state}` },
      n,
      el("span", { class: "count-label" }, state),
    );
    countNodes.set(state, { chip, n });
    box.append(chip);
  }
}

export function applyOverview(next) {
  // the stream's overview carries no CSRF token: keep the one /api/overview gave
  const o = { ...next, csrf_token: next.csrf_token ?? app.overview?.csrf_token };
  app.overview = o;
  const mode = $("#mode");
  mode.textContent = o.mode === "live" ? "LIVE" : "sandbox";
  mode.className = `badge mode mode-${token(o.mode)}`;
  mode.title = o.mode === "live" ? "live mode: real money" : "sandbox mode: no real money";

  const t = o.trading ?? { fleet_paused: false, reason: null, paused_agents: [] };
  const trading = $("#trading");
  if (t.fleet_paused) {
    trading.className = "trading trading-paused";
    fill(trading, el("strong", {}, "Fleet paused"), t.reason ? ` — ${t.reason}` : "");
  } else if (t.paused_agents?.length) {
    trading.className = "trading trading-partial";
    fill(trading, el("strong", {}, "Paused agents: "), t.paused_agents.join(", "));
  } else {
    trading.className = "trading trading-on";
    fill(trading, el("span", { class: "dot", "aria-hidden": "true" }), "Trading active");
  }

  for (const state of STATES) {
    const { chip, n } = countNodes.get(state);
    const value = o.counts?.[state] ?? 0;
    if (n.textContent !== num(value)) n.textContent = num(value);
    chip.classList.toggle("zero", value === 0);
  }
  app.view?.onOverview?.(o);
}

export function setConnection(status, text) {
  const conn = $("#conn");
  conn.className = `conn conn-${status}`;
  $(".conn-text", conn).textContent = text;
  conn.title = status === "live" ? "live updates connected" : "live updates not connected; the page retries";
}
