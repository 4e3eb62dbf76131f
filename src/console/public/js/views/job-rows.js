// A job as a table row (the jobs list and a batch's calls): title, state, progress, outcome.

import { cell, dash, el, headRow, jobHref } from "../dom.js";
import { duration, num, timeEl, tone, usd } from "../format.js";
import { errorBox } from "../toasts.js";
import { bar, moneyTag, stateBadge } from "../widgets.js";

function jobTitle(job) {
  return el(
    "div",
    { class: "job-title" },
    el("a", { href: jobHref(job.id), class: "job-task" }, jobName(job)),
    job.kind !== "task" ? el("span", { class: "badge kind" }, job.kind) : null,
    el("div", { class: "mono muted small ellipsis", title: job.id }, job.id),
  );
}

/** what a person calls the job: a bet batch by its game ("crash batch · 200 bets"), anything else by its task */
export function jobName(job) {
  return job.batch ? `${job.batch.game} batch · ${num(job.batch.bets_total)} bets` : job.task;
}

/**
 * The state a person should read. A bet batch is a chord, stored as `waiting` from the moment its calls are
 * enqueued until the last one ends (it never starts itself: no started_at); once its calls have placed a bet or
 * finished one, "waiting" would read as "not started", so it shows as running. The job detail keeps the stored state.
 */
export function shownState(job) {
  const b = job.batch;
  const underWay = b && b.calls_done < b.calls_total && (b.calls_done > 0 || b.bets_done > 0);
  return job.state === "waiting" && underWay ? "running" : job.state;
}

/** the state badge of a row or a detail head, saying so when it shows a batch's progress instead of its state */
export function shownStateBadge(job) {
  const shown = shownState(job);
  return stateBadge(shown, shown === job.state ? null : `its calls are under way (stored state: ${job.state})`);
}

export function jobRow(job, isOpen, toggle) {
  const canOpen = job.kind !== "task";
  const expand = canOpen
    ? el(
        "button",
        {
          class: "expand",
          type: "button",
          "aria-expanded": String(isOpen),
          title: isOpen ? "hide calls" : job.batch ? "show its calls" : "show members",
        },
        isOpen ? "▾" : "▸",
      )
    : null;
  expand?.addEventListener("click", () => toggle(job.id));
  return el(
    "tr",
    { class: `job-row${job.batch ? " is-batch" : ""}`, "data-id": job.id },
    cell("", expand, "col-expand"),
    cell("Job", jobTitle(job), "col-job col-title"),
    cell("State", [shownStateBadge(job), moneyTag(job.money_state)]),
    cell("Agent", job.agent_id ?? dash(), "nowrap"),
    cell("Progress", progressCell(job), "col-progress"),
    cell("Outcome", outcomeCell(job), "col-outcome"),
    cell("Tries", tries(job)),
    cell("Created", timeEl(job.created_at), "nowrap"),
  );
}

export function progressCell(job) {
  const b = job.batch;
  if (b) {
    const total = b.bets_total || b.calls_total;
    const done = b.bets_total ? b.bets_done : b.calls_done;
    return el(
      "div",
      { class: "progress" },
      bar(total ? done / total : 0, "bets done", job.state === "succeeded" ? "ok" : "accent"),
      el(
        "div",
        { class: "small num" },
        `${num(b.bets_done)}/${num(b.bets_total)} bets · ${num(b.calls_done)}/${num(b.calls_total)} calls`,
      ),
    );
  }
  const pr = job.progress;
  if (pr?.total) {
    return el(
      "div",
      { class: "progress" },
      bar(pr.done / pr.total, "progress"),
      el(
        "div",
        { class: "small num" },
        `${num(pr.done)}/${num(pr.total)}`,
        pr.message ? el("span", { class: "muted" }, ` · ${pr.message}`) : null,
      ),
    );
  }
  if (pr?.message) return el("span", { class: "small muted" }, pr.message);
  return dash();
}

function outcomeCell(job) {
  const b = job.batch;
  if (b) {
    return el(
      "div",
      { class: "outcome" },
      el("span", { class: `pnl num ${tone(b.pnl_usd)}` }, usd(b.pnl_usd, { signed: true })),
      el(
        "div",
        { class: "small num" },
        el("span", { class: "pos" }, `${num(b.wins)} W`),
        " · ",
        el("span", { class: "neg" }, `${num(b.losses)} L`),
        el("span", { class: "muted" }, ` · staked ${usd(b.staked_usd)}`),
      ),
    );
  }
  if (job.error) {
    return el(
      "div",
      { class: "outcome" },
      el("span", { class: "err-code" }, job.error.code),
      el("div", { class: "small muted clamp", title: job.error.message }, job.error.message),
    );
  }
  if (job.runtime_ms !== null && job.runtime_ms !== undefined)
    return el("span", { class: "num muted" }, duration(job.runtime_ms));
  return dash();
}

/** attempts of a task; a group, chord or chain runs none itself */
const tries = (job) =>
  job.kind === "task" ? el("span", { class: "num" }, `${job.attempts}/${job.max_attempts}`) : dash();

export function membersBlock(id, sub, loadMore) {
  if (sub.error) return el("div", { class: "members" }, errorBox(sub.error));
  if (!sub.jobs.length) return el("div", { class: "members muted" }, "No calls yet.");
  const rows = sub.jobs.map((j) =>
    el(
      "tr",
      { "data-id": j.id },
      cell(
        "Call",
        el(
          "div",
          {},
          el("a", { href: jobHref(j.id) }, j.task),
          el("div", { class: "mono muted small ellipsis" }, j.id),
        ),
      ),
      cell("State", [stateBadge(j.state), moneyTag(j.money_state)]),
      cell("Agent", j.agent_id ?? "—"),
      cell("Progress", progressCell(j)),
      cell("Outcome", outcomeCell(j)),
      cell("Tries", tries(j)),
    ),
  );
  return el(
    "div",
    { class: "members" },
    el(
      "table",
      { class: "table table-compact cards-on-narrow" },
      headRow(["Call", "State", "Agent", "Progress", "Outcome", "Tries"]),
      el("tbody", {}, rows),
    ),
    el(
      "div",
      { class: "pager" },
      el("span", { class: "muted small" }, `${sub.jobs.length} call${sub.jobs.length === 1 ? "" : "s"} shown`),
      sub.next ? el("button", { class: "btn btn-small", type: "button", onclick: loadMore }, "More calls") : null,
      el("a", { class: "small", href: `#/jobs?${new URLSearchParams({ canvas: id, view: "all" })}` }, "open as list"),
    ),
  );
}
