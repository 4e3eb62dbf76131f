// #/money: the fleet and each agent (balances, today's PnL, loss headroom), the PnL chart, open escrows.

import { getJson, runAction } from "../api.js";
import { chartBox, pnlChart } from "../charts.js";
import { cell, dash, el, emptyState, fill, headRow, section, syncChildren, tableWrap } from "../dom.js";
import { money, timeEl, usd } from "../format.js";
import { app } from "../state.js";
import { errorBox } from "../toasts.js";
import { bar, lossLevel, stateBadge } from "../widgets.js";
import { pauseControl, tightenForm } from "./money-forms.js";

export function moneyView() {
  let data = null;
  const checkAll = el("button", { class: "btn", type: "button" }, "Check balances now");
  checkAll.addEventListener(
    "click",
    () => void runAction("check_balances", {}, { button: checkAll, done: "Balances read from the server" }),
  );
  const problem = el("div");
  const fleet = fleetCard();
  const agentsBox = el("div", { class: "cards" });
  const cards = new Map(); // agent id → card
  const tighten = tightenForm();
  const escrowsBox = el("div");
  const chart = chartBox("Cumulative PnL (USD)");
  const root = el(
    "div",
    { class: "money" },
    el("div", { class: "view-head" }, el("h1", {}, "Money"), el("div", { class: "actions" }, checkAll)),
    problem,
    fleet.node,
    tighten.node,
    section("Agents", agentsBox),
    section("Cumulative PnL", chart.node),
    section("Open escrows", escrowsBox),
  );

  async function refresh() {
    try {
      data = await getJson("/api/money");
    } catch (err) {
      fill(problem, errorBox(err));
      return;
    }
    problem.replaceChildren();
    fleet.update(data.fleet, app.overview?.trading);
    const nodes = [];
    for (const agent of data.agents) {
      let card = cards.get(agent.agent_id);
      if (!card) {
        card = agentCard(agent.agent_id);
        cards.set(agent.agent_id, card);
      }
      card.update(agent);
      nodes.push(card.node);
    }
    for (const id of cards.keys()) if (!data.agents.some((a) => a.agent_id === id)) cards.delete(id);
    if (nodes.length) syncChildren(agentsBox, nodes);
    else fill(agentsBox, emptyState("No agents in the fleet yet."));
    fill(escrowsBox, escrowTable(data.escrows));
    chart.show(pnlChart(data));
    tighten.update(data);
  }

  return {
    root,
    refresh,
    minIntervalMs: 2_000,
    onOverview(o) {
      if (data) fleet.update(data.fleet, o.trading);
    },
    destroy() {
      chart.destroy();
    },
  };
}

function lossBlock(x) {
  const used = Math.max(0, (x.daily_loss_limit_usd ?? 0) - (x.loss_headroom_usd ?? 0));
  const f = x.loss_used_fraction ?? 0;
  return el(
    "div",
    { class: "loss" },
    el(
      "div",
      { class: "loss-head small" },
      el("span", {}, "Loss limit today"),
      el("span", { class: "num" }, `${Math.round(f * 100)}% used`),
    ),
    bar(f, "loss limit used", lossLevel(f)),
    el(
      "div",
      { class: "small muted num" },
      `${usd(used)} of ${usd(x.daily_loss_limit_usd)} · ${usd(x.loss_headroom_usd)} left`,
    ),
  );
}

function fleetCard() {
  const body = el("div", { class: "fleet-body" });
  const state = el("div", { class: "fleet-state" });
  const control = pauseControl(null, "the fleet");
  const node = el(
    "section",
    { class: "panel fleet" },
    el(
      "div",
      { class: "panel-head" },
      el("h2", { class: "panel-title" }, "Fleet"),
      state,
      el("div", { class: "actions" }, control.buttons),
    ),
    control.form,
    body,
  );
  return {
    node,
    update(f, trading) {
      const paused = !!trading?.fleet_paused;
      fill(
        state,
        paused ? el("span", { class: "badge paused" }, "paused") : el("span", { class: "badge active" }, "trading"),
        paused && trading.reason ? el("span", { class: "small muted" }, ` ${trading.reason}`) : null,
      );
      control.set(paused);
      fill(
        body,
        el(
          "div",
          { class: "stat stat-big" },
          el("div", { class: "stat-label" }, "Today's PnL"),
          money(f.today_pnl_usd, { signed: true }),
        ),
        lossBlock(f),
      );
    },
  };
}

function agentCard(agentId) {
  const title = el("h3", {}, agentId);
  const sub = el("div", { class: "mono muted small ellipsis" });
  const badge = el("span");
  const body = el("div", { class: "agent-body" });
  const control = pauseControl(agentId, `agent ${agentId}`);
  const check = el(
    "button",
    { class: "btn btn-quiet", type: "button", title: "read this agent's balance from the server" },
    "Check balance",
  );
  check.addEventListener(
    "click",
    () =>
      void runAction("check_balances", { agent_id: agentId }, { button: check, done: `Balance of ${agentId} read` }),
  );
  const node = el(
    "article",
    { class: "card agent", "data-agent": agentId },
    el("div", { class: "card-head" }, el("div", { class: "grow min0" }, title, sub), badge),
    body,
    el("div", { class: "actions" }, control.buttons, check),
    control.form,
  );
  return {
    node,
    update(a) {
      title.textContent = a.label || a.agent_id;
      sub.textContent = a.label ? a.agent_id : "";
      fill(
        badge,
        a.paused ? el("span", { class: "badge paused" }, "paused") : el("span", { class: "badge active" }, "trading"),
      );
      node.classList.toggle("is-paused", !!a.paused);
      control.set(!!a.paused);
      const diff = a.difference_usd;
      const agrees = diff === null || diff === undefined || Math.abs(diff) < 0.000001;
      fill(
        body,
        el(
          "dl",
          { class: "balances" },
          el(
            "div",
            {},
            el("dt", {}, "Server balance"),
            el(
              "dd",
              {},
              money(a.server_balance_usd),
              a.server_balance_at
                ? el("span", { class: "small muted" }, " as of ", timeEl(a.server_balance_at))
                : el("span", { class: "small muted" }, " never read"),
            ),
          ),
          el("div", {}, el("dt", {}, "Local ledger"), el("dd", {}, money(a.local_ledger_usd))),
          el(
            "div",
            {},
            el("dt", {}, "Difference"),
            el(
              "dd",
              {},
              diff === null || diff === undefined
                ? dash()
                : agrees
                  ? el(
                      "span",
                      { class: "pos" },
                      a.server_balance_usd === a.local_ledger_usd ? "agrees" : "agreed when read",
                    )
                  : el("span", { class: "neg num" }, usd(diff, { signed: true })),
            ),
          ),
          el("div", {}, el("dt", {}, "Today's PnL"), el("dd", {}, money(a.today_pnl_usd, { signed: true }))),
        ),
        !agrees || a.explanation
          ? el(
              "div",
              { class: agrees ? "note" : "note note-warn" },
              a.explanation ?? "No explanation recorded for this difference.",
            )
          : null,
        lossBlock(a),
      );
    },
  };
}

function escrowTable(escrows) {
  if (!escrows?.length) return emptyState("No open escrows.");
  const now = Date.now();
  return tableWrap(
    el(
      "table",
      { class: "table cards-on-narrow" },
      headRow(["Escrow", "Agent", "Counterparty", "Amount", "State", "Deadline", "Description"]),
      el(
        "tbody",
        {},
        escrows.map((e) => {
          const overdue = e.deadline_at && Date.parse(e.deadline_at) < now;
          return el(
            "tr",
            { class: overdue ? "overdue" : "" },
            cell("Escrow", el("span", { class: "mono small" }, e.escrow_id)),
            cell("Agent", e.agent_id),
            cell("Counterparty", e.counterparty ?? "—"),
            cell("Amount", money(e.amount_usd), "right"),
            cell("State", stateBadge(e.state)),
            cell(
              "Deadline",
              e.deadline_at
                ? el(
                    "span",
                    {},
                    timeEl(e.deadline_at),
                    overdue ? el("span", { class: "badge overdue-badge" }, "overdue") : null,
                  )
                : "—",
            ),
            cell("Description", el("span", { class: "clamp" }, e.description ?? "")),
          );
        }),
      ),
    ),
  );
}
