// #/jobs: the filtered, paged jobs list; a batch is one row that expands to its calls.

import { getJson } from "../api.js";
import { el, emptyState, fill, flash, headRow, jobHref, syncChildren, tableWrap } from "../dom.js";
import { app, STATES } from "../state.js";
import { errorBox, toastError } from "../toasts.js";
import { jobRow, membersBlock } from "./job-rows.js";

const PAGE_SIZE = 50;
const MAX_LIMIT = 200;

const STATE_CHOICES = [
  ["", "Any state"],
  ["queued,running,retrying,waiting", "Active"],
  ["failed,dead,unknown", "Problems"],
  ...STATES.map((s) => [s, s]),
];

export function jobsView(route) {
  const p = route.params;
  const filters = {
    state: p.get("state") ?? "",
    queue: p.get("queue") ?? "",
    task: p.get("task") ?? "",
    agent: p.get("agent") ?? "",
    canvas: p.get("canvas") ?? "",
    view: p.get("view") === "all" ? "all" : "roots",
  };
  let rows = [];
  let nextCursor = null;
  let generation = 0; // bumped by a filter change: answers for older filters are dropped
  let chain = Promise.resolve(); // refreshes and "load more" run one after the other, never over each other
  const serially = (fn) => {
    chain = chain.then(fn, fn);
    return chain;
  };
  const rowNodes = new Map(); // job id → { sig, tr }
  const expanded = new Map(); // job id → { tr, jobs, next, error }

  const stateSelect = el(
    "select",
    { name: "state", "aria-label": "state" },
    STATE_CHOICES.map(([v, l]) => el("option", { value: v }, l)),
  );
  if (filters.state && !STATE_CHOICES.some(([v]) => v === filters.state))
    stateSelect.append(el("option", { value: filters.state }, filters.state));
  stateSelect.value = filters.state;
  const queueSelect = el("select", { name: "queue", "aria-label": "queue" });
  const text = (name, placeholder) =>
    el("input", {
      name,
      type: "search",
      placeholder,
      value: filters[name],
      "aria-label": placeholder,
      autocomplete: "off",
      spellcheck: "false",
    });
  const taskInput = text("task", "task");
  const agentInput = text("agent", "agent id");
  const canvasInput = text("canvas", "batch / chain id");
  const viewToggle = el(
    "div",
    { class: "segmented", role: "group", "aria-label": "rows" },
    ["roots", "all"].map((v) =>
      el(
        "button",
        {
          type: "button",
          "data-v": v,
          "aria-pressed": String(filters.view === v),
          title: v === "roots" ? "a batch is one row" : "every job, batch calls included",
        },
        v === "roots" ? "Top level" : "All jobs",
      ),
    ),
  );
  const clear = el("button", { type: "button", class: "btn btn-quiet" }, "Clear");
  const form = el(
    "form",
    { class: "filters", role: "search" },
    el("label", { class: "field" }, el("span", {}, "State"), stateSelect),
    el("label", { class: "field" }, el("span", {}, "Queue"), queueSelect),
    el("label", { class: "field" }, el("span", {}, "Task"), taskInput),
    el("label", { class: "field" }, el("span", {}, "Agent"), agentInput),
    el("label", { class: "field" }, el("span", {}, "Batch / chain"), canvasInput),
    el("div", { class: "field" }, el("span", {}, "Rows"), viewToggle),
    el("div", { class: "field field-end" }, clear),
  );

  const filterToggle = el(
    "button",
    { class: "btn filters-toggle", type: "button", "aria-expanded": "false" },
    "Filters",
  );
  filterToggle.addEventListener("click", () => {
    const open = form.classList.toggle("open");
    filterToggle.setAttribute("aria-expanded", String(open));
  });
  const showActive = () => {
    const n =
      ["state", "queue", "task", "agent", "canvas"].filter((k) => filters[k]).length + (filters.view === "all" ? 1 : 0);
    filterToggle.textContent = n ? `Filters · ${n}` : "Filters";
  };
  showActive();

  const tbody = el("tbody");
  const table = el(
    "table",
    { class: "table jobs-table cards-on-narrow" },
    headRow(["", "Job", "State", "Agent", "Progress", "Outcome", "Tries", "Created"]),
    tbody,
  );
  const empty = emptyState("No jobs match these filters.");
  empty.hidden = true;
  const problem = el("div");
  const status = el("span", { class: "muted small" });
  const more = el("button", { class: "btn", type: "button", hidden: true }, "Load more");
  const root = el(
    "div",
    { class: "jobs" },
    el("div", { class: "view-head" }, el("h1", {}, "Jobs"), filterToggle),
    form,
    problem,
    tableWrap(table, true),
    empty,
    el("div", { class: "pager" }, status, more),
  );

  function fillQueues(overview) {
    const names = (overview?.queues ?? []).map((q) => q.queue);
    if (filters.queue && !names.includes(filters.queue)) names.push(filters.queue);
    const have = [...queueSelect.options].map((o) => o.value).slice(1);
    if (have.join("\n") === names.join("\n")) return;
    fill(
      queueSelect,
      el("option", { value: "" }, "Any queue"),
      names.map((n) => el("option", { value: n }, n)),
    );
    queueSelect.value = filters.queue;
  }
  fillQueues(app.overview);

  function url(limit, cursor) {
    const q = new URLSearchParams();
    for (const key of ["state", "queue", "task", "agent", "canvas"]) if (filters[key]) q.set(key, filters[key]);
    q.set("view", filters.canvas ? "all" : filters.view);
    q.set("limit", String(limit));
    if (cursor) q.set("cursor", cursor);
    return `/api/jobs?${q}`;
  }

  function rememberFilters() {
    const q = new URLSearchParams();
    for (const [key, value] of Object.entries(filters))
      if (value && !(key === "view" && value === "roots")) q.set(key, value);
    showActive();
    const hash = q.size ? `#/jobs?${q}` : "#/jobs";
    app.lastJobsHash = hash;
    if (location.hash !== hash) history.replaceState(null, "", hash);
  }

  function applyFilters() {
    filters.state = stateSelect.value;
    filters.queue = queueSelect.value;
    filters.task = taskInput.value.trim();
    filters.agent = agentInput.value.trim();
    filters.canvas = canvasInput.value.trim();
    generation++;
    rows = [];
    nextCursor = null;
    expanded.clear();
    rememberFilters();
    void refresh();
  }

  let typing = null;
  const typed = () => {
    clearTimeout(typing);
    typing = setTimeout(applyFilters, 400);
  };
  for (const input of [taskInput, agentInput, canvasInput]) input.addEventListener("input", typed);
  stateSelect.addEventListener("change", applyFilters);
  queueSelect.addEventListener("change", applyFilters);
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    clearTimeout(typing);
    applyFilters();
  });
  viewToggle.addEventListener("click", (e) => {
    const b = e.target.closest("button");
    if (!b) return;
    filters.view = b.dataset.v;
    for (const x of viewToggle.children) x.setAttribute("aria-pressed", String(x === b));
    applyFilters();
  });
  clear.addEventListener("click", () => {
    stateSelect.value = "";
    queueSelect.value = "";
    taskInput.value = agentInput.value = canvasInput.value = "";
    applyFilters();
  });

  const refresh = () => serially(refreshNow);
  async function refreshNow() {
    const gen = generation;
    const keep = rows.length > MAX_LIMIT ? rows.slice(MAX_LIMIT) : [];
    const limit = Math.min(MAX_LIMIT, Math.max(PAGE_SIZE, rows.length));
    let page;
    try {
      page = await getJson(url(limit));
    } catch (err) {
      if (gen === generation) fill(problem, errorBox(err));
      return;
    }
    if (gen !== generation) return;
    problem.replaceChildren();
    const ids = new Set(page.jobs.map((j) => j.id));
    rows = [...page.jobs, ...keep.filter((j) => !ids.has(j.id))];
    if (!keep.length) nextCursor = page.next_cursor;
    render();
    await Promise.all([...expanded.keys()].filter((id) => ids.has(id)).map((id) => loadMembers(id, false)));
  }

  async function loadMore() {
    if (!nextCursor) return;
    const gen = generation;
    more.disabled = true;
    try {
      const page = await getJson(url(PAGE_SIZE, nextCursor));
      if (gen !== generation) return;
      const ids = new Set(rows.map((j) => j.id));
      rows.push(...page.jobs.filter((j) => !ids.has(j.id)));
      nextCursor = page.next_cursor;
      render();
    } catch (err) {
      toastError(err, "load more");
    } finally {
      more.disabled = false;
    }
  }
  more.addEventListener("click", () => void serially(loadMore));

  function render() {
    const nodes = [];
    const seen = new Set();
    for (const job of rows) {
      seen.add(job.id);
      const sig = `${expanded.has(job.id)}${JSON.stringify(job)}`;
      let entry = rowNodes.get(job.id);
      if (!entry || entry.sig !== sig) {
        const tr = jobRow(job, expanded.has(job.id), toggle);
        if (entry) flash(tr);
        entry = { sig, tr };
        rowNodes.set(job.id, entry);
      }
      nodes.push(entry.tr);
      const sub = expanded.get(job.id);
      if (sub) nodes.push(sub.tr);
    }
    for (const id of rowNodes.keys()) if (!seen.has(id)) rowNodes.delete(id);
    syncChildren(tbody, nodes);
    empty.hidden = rows.length > 0;
    table.hidden = rows.length === 0;
    status.textContent = rows.length
      ? `${rows.length} job${rows.length === 1 ? "" : "s"}${nextCursor ? ", more below" : ""}`
      : "";
    more.hidden = !nextCursor;
  }

  function toggle(id) {
    if (expanded.has(id)) expanded.delete(id);
    else {
      const td = el("td", { colspan: 8 }, el("div", { class: "members muted" }, "Loading calls…"));
      expanded.set(id, { tr: el("tr", { class: "sub" }, td), jobs: [], next: null });
      void loadMembers(id, false);
    }
    render();
  }

  /** the calls of an expanded batch (or members of any canvas), patched into its sub-row */
  async function loadMembers(id, more) {
    const sub = expanded.get(id);
    if (!sub) return;
    const q = new URLSearchParams({
      canvas: id,
      view: "all",
      limit: String(more ? PAGE_SIZE : Math.min(MAX_LIMIT, Math.max(PAGE_SIZE, sub.jobs.length))),
    });
    if (more && sub.next) q.set("cursor", sub.next);
    try {
      const page = await getJson(`/api/jobs?${q}`);
      if (expanded.get(id) !== sub) return;
      if (more) sub.jobs.push(...page.jobs);
      else sub.jobs = page.jobs;
      sub.next = page.next_cursor;
      sub.error = null;
    } catch (err) {
      sub.error = err;
    }
    fill(
      sub.tr.firstChild,
      membersBlock(id, sub, () => void loadMembers(id, true)),
    );
  }

  root.addEventListener("click", (e) => {
    const tr = e.target.closest("tr[data-id]");
    if (!tr || e.target.closest("a, button, input, select, label")) return;
    if (window.getSelection()?.toString()) return; // selecting text is not a click
    location.hash = jobHref(tr.dataset.id);
  });

  rememberFilters();
  return {
    root,
    refresh,
    onOverview: fillQueues,
    destroy() {
      clearTimeout(typing);
    },
  };
}
