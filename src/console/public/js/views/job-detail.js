// #/jobs/<id>: one job with its args, result, error, canvas, timeline and attempts, and its actions.

import { getJson, runAction } from "../api.js";
import { cell, dash, el, emptyState, enc, fill, flash, headRow, jobHref, section, tableWrap, token } from "../dom.js";
import { absTime, duration, money, num, pretty, rel, timeEl, usd } from "../format.js";
import { app } from "../state.js";
import { errorBox } from "../toasts.js";
import { bar, confirmButton, moneyTag, stateBadge } from "../widgets.js";
import { jobName, progressCell, shownState, shownStateBadge } from "./job-rows.js";

export function jobDetailView(route) {
  const id = route.id;
  const root = el("div", { class: "detail" }, el("p", { class: "muted" }, "Loading job…"));
  let sig = "";

  async function refresh() {
    let data;
    try {
      data = await getJson(`/api/jobs/${enc(id)}`);
    } catch (err) {
      const back = el("a", { href: app.lastJobsHash }, "← back to jobs");
      if (err.status === 404) fill(root, back, emptyState(`No job with id ${id}.`));
      else fill(root, back, errorBox(err));
      sig = "";
      return;
    }
    const next = JSON.stringify(data.job);
    if (next === sig) return;
    const changed = sig !== "";
    sig = next;
    fill(root, ...detailContent(data.job));
    if (changed) flash(root.querySelector(".detail-head"));
  }
  return { root, refresh, destroy() {} };
}

function detailContent(job) {
  const actions = el("div", { class: "actions" });
  if (job.actions?.retry) {
    actions.append(
      el(
        "button",
        {
          class: "btn btn-primary",
          type: "button",
          onclick: (e) =>
            void runAction("retry_job", { job_id: job.id }, { button: e.currentTarget, done: "Job queued again" }),
        },
        "Retry",
      ),
    );
  }
  if (job.actions?.cancel) {
    actions.append(
      confirmButton(
        "Cancel job",
        "Click again to cancel",
        (b) => runAction("cancel_job", { job_id: job.id }, { button: b, done: "Job cancelled" }),
        "btn btn-danger",
      ),
    );
  }
  const head = el(
    "div",
    { class: "detail-head" },
    el("a", { class: "back small", href: app.lastJobsHash }, "← Jobs"),
    el(
      "div",
      { class: "detail-title" },
      el("h1", {}, jobName(job)),
      shownStateBadge(job),
      moneyTag(job.money_state),
      job.kind !== "task" ? el("span", { class: "badge kind" }, job.kind) : null,
    ),
    el("div", { class: "mono muted small break" }, job.id),
    actions,
  );
  const facts = el(
    "dl",
    { class: "facts" },
    shownState(job) === job.state
      ? null
      : fact(
          "Stored state",
          el("span", {}, stateBadge(job.state), el("span", { class: "small muted" }, " until the last call ends")),
        ),
    fact("Queue", job.queue),
    fact("Agent", job.agent_id ?? "—"),
    fact("Created", timeEl(job.created_at)),
    fact("Started", timeEl(job.started_at)),
    fact("Finished", timeEl(job.finished_at)),
    fact("Runtime", el("span", { class: "num" }, duration(job.runtime_ms))),
    fact("Attempts", el("span", { class: "num" }, `${job.attempts} of ${job.max_attempts}`)),
  );
  const out = [head];
  if (job.error) {
    out.push(
      el(
        "div",
        { class: "error-box", role: "alert" },
        el("div", {}, el("strong", { class: "err-code" }, job.error.code)),
        el("div", { class: "error-message" }, job.error.message),
        job.error.hint ? el("div", { class: "hint" }, el("strong", {}, "Hint: "), job.error.hint) : null,
      ),
    );
  }
  out.push(
    el(
      "div",
      { class: "panel" },
      facts,
      job.batch ? batchSummary(job) : job.progress ? el("div", { class: "detail-progress" }, progressCell(job)) : null,
    ),
  );
  const left = [
    section("Arguments", jsonBlock(job.args, "No arguments.")),
    section("Result", jsonBlock(job.result, job.error ? "No result: the job failed." : "No result yet.")),
  ];
  const right = [];
  if (job.canvas) right.push(canvasPanel(job));
  right.push(timelinePanel(job.events ?? []), attemptsPanel(job.attempts_detail ?? []));
  out.push(el("div", { class: "detail-grid" }, el("div", { class: "col" }, right), el("div", { class: "col" }, left)));
  return out;
}

function jsonBlock(value, none) {
  if (value === null || value === undefined) return el("p", { class: "muted small" }, none);
  return el("pre", { class: "json" }, pretty(value));
}

function fact(label, value) {
  return el("div", { class: "fact" }, el("dt", {}, label), el("dd", {}, value));
}

function batchSummary(job) {
  const b = job.batch;
  return el(
    "div",
    { class: "batch-summary" },
    stat("Game", b.game),
    stat(
      "Bets",
      `${num(b.bets_done)} / ${num(b.bets_total)}`,
      bar(b.bets_total ? b.bets_done / b.bets_total : 0, "bets done"),
    ),
    stat(
      "Calls",
      `${num(b.calls_done)} / ${num(b.calls_total)}`,
      bar(b.calls_total ? b.calls_done / b.calls_total : 0, "calls done"),
    ),
    stat(
      "Wins · losses",
      el("span", {}, el("span", { class: "pos" }, num(b.wins)), " · ", el("span", { class: "neg" }, num(b.losses))),
    ),
    stat("Staked", usd(b.staked_usd)),
    stat("PnL", money(b.pnl_usd, { signed: true }), null, "stat-big"),
  );
}

function stat(label, value, extra, cls) {
  return el(
    "div",
    { class: `stat ${cls ?? ""}` },
    el("div", { class: "stat-label" }, label),
    el("div", { class: "stat-value num" }, value),
    extra,
  );
}

function jobRefLine(ref) {
  if (!ref) return dash();
  return el(
    "span",
    { class: "ref" },
    el("a", { href: jobHref(ref.id) }, ref.task),
    " ",
    stateBadge(ref.state),
    ref.progress?.total
      ? el("span", { class: "small muted num" }, ` ${ref.progress.done}/${ref.progress.total}`)
      : null,
  );
}

function canvasPanel(job) {
  const c = job.canvas;
  const canvasId = job.kind !== "task" ? job.id : job.canvas_id;
  const members = c.members.map((m) =>
    el("li", {}, jobRefLine(m), el("span", { class: "mono muted small ellipsis" }, m.id)),
  );
  return section(
    "Canvas",
    el(
      "dl",
      { class: "facts facts-2" },
      fact("Parent", jobRefLine(c.parent)),
      fact("Next step", jobRefLine(c.next_step)),
    ),
    c.members.length ? el("ul", { class: "member-list" }, members) : el("p", { class: "muted small" }, "No members."),
    c.members_total > c.members.length && canvasId
      ? el(
          "a",
          { class: "small", href: `#/jobs?${new URLSearchParams({ canvas: canvasId, view: "all" })}` },
          `All ${num(c.members_total)} members →`,
        )
      : null,
  );
}

function timelinePanel(events) {
  if (!events.length) return section("Timeline", el("p", { class: "muted small" }, "No state changes recorded."));
  return section(
    "Timeline",
    el(
      "ol",
      { class: "timeline" },
      events.map((ev) =>
        el(
          "li",
          { class: `tl-${token(ev.to)}` },
          el("time", { class: "tl-time num", datetime: ev.at, title: rel(ev.at) }, absTime(ev.at)),
          el(
            "div",
            { class: "tl-change" },
            ev.from ? [stateBadge(ev.from), el("span", { class: "muted" }, " → ")] : null,
            stateBadge(ev.to),
          ),
          ev.reason ? el("div", { class: "tl-reason small" }, ev.reason) : null,
        ),
      ),
    ),
  );
}

function attemptsPanel(attempts) {
  if (!attempts.length) return section("Attempts", el("p", { class: "muted small" }, "Not started yet."));
  return section(
    "Attempts",
    tableWrap(
      el(
        "table",
        { class: "table table-compact" },
        headRow(["#", "Started", "Duration", "Outcome"]),
        el(
          "tbody",
          {},
          attempts.map((a) =>
            el(
              "tr",
              {},
              cell("#", el("span", { class: "num" }, a.attempt)),
              cell("Started", timeEl(a.started_at)),
              cell("Duration", el("span", { class: "num" }, a.ended_at ? duration(a.duration_ms) : "running")),
              cell("Outcome", a.outcome ?? "—"),
            ),
          ),
        ),
      ),
    ),
  );
}
