// #/schedules: each schedule with its on/off switch and "Run now"; live-money actions ask for confirmation.

import { act, getJson } from "../api.js";
import { cell, dash, el, emptyState, fill, headRow, jobHref, syncChildren, tableWrap } from "../dom.js";
import { pretty, timeEl } from "../format.js";
import { scheduleRefresh } from "../refresh.js";
import { errorBox, toast, toastError } from "../toasts.js";
import { stateBadge } from "../widgets.js";

export function schedulesView() {
  const tbody = el("tbody");
  const rows = new Map(); // name → { sig, tr }
  const problem = el("div");
  const confirmSlot = el("div");
  const table = el(
    "table",
    { class: "table cards-on-narrow" },
    headRow(["Schedule", "When", "Enabled", "Next run", "Last run", ""]),
    tbody,
  );
  const empty = emptyState("No schedules.");
  empty.hidden = true;
  const root = el(
    "div",
    { class: "schedules" },
    el("div", { class: "view-head" }, el("h1", {}, "Schedules")),
    problem,
    confirmSlot,
    tableWrap(table, true),
    empty,
  );

  async function refresh() {
    let data;
    try {
      data = await getJson("/api/schedules");
    } catch (err) {
      fill(problem, errorBox(err));
      return;
    }
    problem.replaceChildren();
    const nodes = data.schedules.map((s) => {
      const sig = JSON.stringify(s);
      let entry = rows.get(s.name);
      if (!entry || entry.sig !== sig) {
        entry = { sig, tr: scheduleRow(s, confirmSlot) };
        rows.set(s.name, entry);
      }
      return entry.tr;
    });
    syncChildren(tbody, nodes);
    empty.hidden = nodes.length > 0;
    table.hidden = nodes.length === 0;
  }
  return { root, refresh, destroy() {} };
}

function scheduleRow(s, confirmSlot) {
  const toggle = el("input", {
    type: "checkbox",
    role: "switch",
    class: "switch",
    checked: s.enabled,
    "aria-label": `enable ${s.name}`,
  });
  toggle.addEventListener("change", () => {
    const want = toggle.checked;
    // the switch shows the stored state until the server (or a confirmation) changes it; the refresh redraws it
    toggle.checked = !want;
    const done = `${want ? "Enable" : "Disable"} ${s.name}`;
    void confirmable("set_schedule", { name: s.name, enabled: want }, { button: toggle, slot: confirmSlot, done });
  });
  const run = el("button", { class: "btn btn-small", type: "button" }, "Run now");
  const done = `Run ${s.name} now`;
  run.addEventListener(
    "click",
    () => void confirmable("run_schedule_now", { name: s.name }, { button: run, slot: confirmSlot, done }),
  );
  return el(
    "tr",
    { class: s.enabled ? "" : "disabled-row" },
    cell(
      "Schedule",
      el(
        "div",
        {},
        el("strong", {}, s.name),
        s.money ? el("span", { class: "badge money-badge" }, "money") : null,
        el("div", { class: "small muted" }, s.task, " · ", s.origin),
      ),
      "col-title",
    ),
    cell("When", el("span", { class: "mono small" }, s.when)),
    cell(
      "Enabled",
      el("label", { class: "switch-label" }, toggle, el("span", { class: "small" }, s.enabled ? "on" : "off")),
    ),
    cell("Next run", s.enabled ? timeEl(s.next_run_at) : dash()),
    cell(
      "Last run",
      s.last_job_id
        ? el(
            "span",
            {},
            s.last_job_state ? stateBadge(s.last_job_state) : null,
            " ",
            el("a", { href: jobHref(s.last_job_id), class: "mono small" }, s.last_job_id),
          )
        : el("span", { class: "muted" }, "never"),
    ),
    cell("", run, "right"),
  );
}

/**
 * Actions that can move live money (run a schedule now, enable a money schedule) keep their confirmation path
 * here: the server answers CONFIRMATION_REQUIRED with `confirm: { plan, confirm_token }` (the tool's own dry
 * run), the page shows the plan, and Confirm sends the same action again with that token.
 */
async function confirmable(name, body, { button, done, slot }) {
  if (button) button.disabled = true;
  try {
    actionDone(done, await act(name, body));
  } catch (err) {
    if (err.code === "CONFIRMATION_REQUIRED" && err.confirm?.confirm_token)
      fill(slot, confirmPanel(name, body, err, slot, done));
    else toastError(err, done);
  } finally {
    if (button) button.disabled = false;
  }
}

function actionDone(done, result) {
  toast(
    "ok",
    `${done}: done`,
    typeof result?.job_id === "string" ? el("a", { href: jobHref(result.job_id) }, "open job") : null,
  );
  scheduleRefresh(0);
}

function confirmPanel(name, body, err, slot, done) {
  const confirm = el("button", { class: "btn btn-danger", type: "button" }, "Confirm");
  const cancel = el("button", { class: "btn btn-quiet", type: "button" }, "Cancel");
  cancel.addEventListener("click", () => slot.replaceChildren());
  confirm.addEventListener("click", async () => {
    confirm.disabled = true;
    try {
      const result = await act(name, { ...body, confirm_token: err.confirm.confirm_token });
      slot.replaceChildren();
      actionDone(done, result);
    } catch (e) {
      toastError(e, done);
      confirm.disabled = false;
    }
  });
  return el(
    "div",
    { class: "confirm-panel", role: "alertdialog", "aria-label": "confirm a live money action" },
    el("h2", {}, `Live money — confirm: ${done}`),
    el("p", {}, err.message),
    el("pre", { class: "json" }, pretty(err.confirm.plan)),
    el("p", { class: "hint" }, "Confirm sends exactly this plan once; the confirmation expires after a few minutes."),
    el("div", { class: "actions" }, confirm, cancel),
  );
}
