// pf-fleet operations console: one static page, a plain ES module, no framework and no build step.
// Order of this file: DOM and format helpers → API (reads, actions, toasts) → top bar (overview) → the views, one
// factory per route (#/jobs, #/jobs/<id>, #/money, #/health, #/schedules) → charts → router and live stream.
// A view is { root, refresh(), destroy(), onOverview? }; refresh() re-fetches and patches its DOM in place (rows
// keyed by id), so live updates keep filters, scroll, open forms and expanded batches. Server strings are text only.

const PAGE_SIZE = 50;
const MAX_LIMIT = 200;
const STATES = [
  "queued",
  "running",
  "retrying",
  "waiting",
  "succeeded",
  "failed",
  "dead",
  "unknown",
  "cancelled",
  "expired",
];
const STALE_HEARTBEAT_MS = 60_000;
const LIVE_DEBOUNCE_MS = 300;

/* ------------------------------------------------------------------ DOM helpers */

/** createElement with properties and children; strings become text nodes, never markup */
function el(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key.startsWith("on") && typeof value === "function") node.addEventListener(key.slice(2), value);
    else if (key === "hidden" || key === "disabled" || key === "checked" || key === "required") node[key] = true;
    else if (key === "value") node.value = value;
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  append(node, children);
  return node;
}

/** replaceChildren that skips null/false (the DOM's own would print "null") */
function fill(node, ...children) {
  node.replaceChildren();
  append(node, children);
}

function append(node, children) {
  for (const child of children.flat(Number.POSITIVE_INFINITY)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
}

/** Puts `nodes` into `parent` in order, moving only what is out of place (focus and state survive). */
function syncChildren(parent, nodes) {
  let cursor = parent.firstChild;
  for (const node of nodes) {
    if (node === cursor) {
      cursor = cursor.nextSibling;
      continue;
    }
    parent.insertBefore(node, cursor);
  }
  while (cursor) {
    const next = cursor.nextSibling;
    cursor.remove();
    cursor = next;
  }
}

/** an empty value; narrow card layouts hide rows that hold only this */
const dash = () => el("span", { class: "muted dash" }, "—");
const $ = (selector, root = document) => root.querySelector(selector);
const enc = encodeURIComponent;
const jobHref = (id) => `#/jobs/${enc(id)}`;
/** a server word (state, scope) as a class-name suffix; anything odd becomes "other" */
const token = (word) => (typeof word === "string" && /^[a-z_]{1,20}$/.test(word) ? word : "other");

function section(title, ...children) {
  return el("section", { class: "panel" }, el("h2", { class: "panel-title" }, title), ...children);
}

/** a table scrolling inside its own box; `card` gives the box a surface when it stands outside a panel */
function tableWrap(table, card = false) {
  return el("div", { class: card ? "table-wrap table-card" : "table-wrap" }, table);
}

/** column heads; columns from index `rightFrom` on hold numbers and are right-aligned */
function headRow(labels, rightFrom = Number.POSITIVE_INFINITY) {
  return el(
    "thead",
    {},
    el(
      "tr",
      {},
      labels.map((l, i) => el("th", { scope: "col", class: i >= rightFrom ? "right" : null }, l)),
    ),
  );
}

/** a table cell that carries its column label, shown when tables collapse to cards on narrow screens */
function cell(label, content, cls) {
  // one wrapper, so the narrow layout's label/value grid always sees two items
  return el("td", { "data-label": label, class: cls }, el("div", { class: "cv" }, content));
}

function emptyState(text) {
  return el("div", { class: "empty" }, text);
}

/* ------------------------------------------------------------------ formatting */

function usd(n, { signed = false } = {}) {
  if (n === null || n === undefined || !Number.isFinite(n)) return "—";
  const abs = Math.abs(n);
  const digits = abs > 0 && abs < 0.01 ? 6 : 2;
  const text = abs.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: digits });
  const sign = n < 0 ? "−" : signed && n > 0 ? "+" : "";
  return `${sign}$${text}`;
}

const tone = (n) => (n > 0 ? "pos" : n < 0 ? "neg" : "zero");
const money = (n, opts) => el("span", { class: `num ${opts?.signed ? tone(n) : ""}` }, usd(n, opts));
const num = (n) => (n === null || n === undefined ? "—" : Number(n).toLocaleString("en-US"));

const rtf = new Intl.RelativeTimeFormat("en", { numeric: "auto", style: "short" });
function rel(iso) {
  if (!iso) return "—";
  const seconds = (Date.parse(iso) - Date.now()) / 1000;
  const abs = Math.abs(seconds);
  if (abs < 5) return "now";
  if (abs < 60) return rtf.format(Math.round(seconds), "second");
  if (abs < 3600) return rtf.format(Math.round(seconds / 60), "minute");
  if (abs < 86400) return rtf.format(Math.round(seconds / 3600), "hour");
  return rtf.format(Math.round(seconds / 86400), "day");
}

function absTime(iso) {
  if (!iso) return "";
  return new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "medium" });
}

/** a <time> whose relative text the ticker keeps current */
function timeEl(iso, cls) {
  if (!iso) return dash();
  return el("time", { class: cls, datetime: iso, title: absTime(iso), "data-rel": iso }, rel(iso));
}

function duration(ms) {
  if (ms === null || ms === undefined) return "—";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  const m = Math.floor(s / 60);
  const rest = Math.round(s % 60);
  if (m < 60) return rest ? `${m} min ${rest} s` : `${m} min`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

function pretty(value) {
  if (value === null || value === undefined) return "—";
  return typeof value === "string" ? value : JSON.stringify(value, null, 2);
}

/** a horizontal bar; `level` colours it (ok, warn, danger, accent) */
function bar(fraction, label, level = "accent") {
  const f = Math.min(1, Math.max(0, Number(fraction) || 0));
  const fill = el("span", { class: "bar-fill" });
  fill.style.width = `${(f * 100).toFixed(1)}%`;
  return el(
    "span",
    {
      class: `bar bar-${level}`,
      role: "progressbar",
      "aria-valuemin": 0,
      "aria-valuemax": 100,
      "aria-valuenow": Math.round(f * 100),
      "aria-label": label,
    },
    fill,
  );
}

const lossLevel = (f) => (f >= 0.8 ? "danger" : f >= 0.5 ? "warn" : "ok");

function stateBadge(state) {
  return el("span", { class: `badge state state-${token(state)}` }, state ?? "—");
}

function moneyTag(moneyState) {
  if (!moneyState || moneyState === "done" || moneyState === "not_done") return null;
  return el("span", { class: `badge money money-${token(moneyState)}`, title: "money state" }, `money ${moneyState}`);
}

/* ------------------------------------------------------------------ API */

class ApiError extends Error {
  /** `confirm`: { plan, confirm_token } when a live-money action wants the operator's confirmation */
  constructor(status, error, confirm = null) {
    super(error?.message ?? `HTTP ${status}`);
    this.status = status;
    this.code = error?.code ?? `HTTP_${status}`;
    this.hint = error?.hint ?? null;
    this.confirm = confirm;
  }
}

function toLogin() {
  location.assign("/login");
}

async function getJson(path) {
  const res = await fetch(path, { credentials: "same-origin", headers: { accept: "application/json" } });
  if (res.status === 401) {
    toLogin();
    throw new ApiError(401, { code: "UNAUTHORIZED", message: "login needed" });
  }
  const body = await res.json().catch(() => null);
  if (!res.ok) throw new ApiError(res.status, body?.error ?? { message: `${res.status} ${res.statusText}` });
  return body;
}

/** POST an action with the CSRF token; resolves to the tool's result or throws ApiError with code and hint */
async function act(name, body) {
  if (!app.overview?.csrf_token) applyOverview(await getJson("/api/overview"));
  const res = await fetch(`/api/actions/${enc(name)}`, {
    method: "POST",
    credentials: "same-origin",
    headers: { "content-type": "application/json", "x-csrf-token": app.overview.csrf_token },
    body: JSON.stringify(body),
  });
  if (res.status === 401) {
    toLogin();
    throw new ApiError(401, { code: "UNAUTHORIZED", message: "login needed" });
  }
  const answer = await res.json().catch(() => null);
  if (!res.ok || !answer?.ok) {
    const error = answer?.error ?? { message: `${res.status} ${res.statusText}` };
    throw new ApiError(res.status, error, answer?.confirm ?? null);
  }
  return answer.result;
}

/**
 * Runs an action from a button: disables it meanwhile, toasts the outcome, refreshes the view.
 * Resolves to the result, or null when it failed (the error is already shown).
 */
async function runAction(name, body, { button, done, onError } = {}) {
  if (button) button.disabled = true;
  try {
    const result = await act(name, body);
    const link = typeof result?.job_id === "string" ? el("a", { href: jobHref(result.job_id) }, "open job") : null;
    toast("ok", done ?? `${name.replaceAll("_", " ")}: done`, link);
    scheduleRefresh(0);
    return result;
  } catch (err) {
    onError?.(err);
    toastError(err, name.replaceAll("_", " "));
    return null;
  } finally {
    if (button) button.disabled = false;
  }
}

/* ------------------------------------------------------------------ toasts */

function toast(kind, title, ...details) {
  const close = el("button", { class: "toast-close", type: "button", "aria-label": "dismiss" }, "×");
  const node = el(
    "div",
    { class: `toast toast-${kind}`, role: kind === "error" ? "alert" : "status" },
    close,
    el("strong", {}, title),
    ...details,
  );
  close.addEventListener("click", () => node.remove());
  $("#toasts").append(node);
  setTimeout(() => node.remove(), kind === "error" ? 12_000 : 5_000);
}

function toastError(err, what) {
  toast(
    "error",
    `${what}: ${err.code ?? "error"}`,
    el("div", {}, err.message),
    err.hint ? el("div", { class: "hint" }, err.hint) : null,
  );
}

/** an error shown inside a view (message and hint), for a failed read */
function errorBox(err) {
  return el(
    "div",
    { class: "error-box", role: "alert" },
    el("strong", {}, err.code ?? "error"),
    " ",
    err.message ?? String(err),
    err.hint ? el("div", { class: "hint" }, err.hint) : null,
  );
}

/** a button that asks "again to confirm" before it runs `action` */
function confirmButton(label, confirmLabel, action, cls = "btn") {
  const button = el("button", { class: cls, type: "button" }, label);
  let armed = null;
  button.addEventListener("click", () => {
    if (!armed) {
      button.textContent = confirmLabel;
      button.classList.add("armed");
      armed = setTimeout(() => {
        armed = null;
        button.textContent = label;
        button.classList.remove("armed");
      }, 4000);
      return;
    }
    clearTimeout(armed);
    armed = null;
    button.textContent = label;
    button.classList.remove("armed");
    void action(button);
  });
  return button;
}

/* ------------------------------------------------------------------ top bar */

const app = { overview: null, view: null, lastJobsHash: "#/jobs" };
const countNodes = new Map();

function buildCounts() {
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

function applyOverview(next) {
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

function setConnection(status, text) {
  const conn = $("#conn");
  conn.className = `conn conn-${status}`;
  $(".conn-text", conn).textContent = text;
  conn.title = status === "live" ? "live updates connected" : "live updates not connected; the page retries";
}

/* ------------------------------------------------------------------ jobs list */

const STATE_CHOICES = [
  ["", "Any state"],
  ["queued,running,retrying,waiting", "Active"],
  ["failed,dead,unknown", "Problems"],
  ...STATES.map((s) => [s, s]),
];

function jobsView(route) {
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

function flash(node) {
  node.classList.add("changed");
  setTimeout(() => node.classList.remove("changed"), 1200);
}

function jobTitle(job) {
  return el(
    "div",
    { class: "job-title" },
    el("a", { href: jobHref(job.id), class: "job-task" }, job.task),
    job.batch
      ? el("span", { class: "badge kind" }, `${job.batch.game} batch`)
      : job.kind !== "task"
        ? el("span", { class: "badge kind" }, job.kind)
        : null,
    el("div", { class: "mono muted small ellipsis", title: job.id }, job.id),
  );
}

function jobRow(job, isOpen, toggle) {
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
    cell("Job", jobTitle(job), "col-job"),
    cell("State", [stateBadge(job.state), moneyTag(job.money_state)]),
    cell("Agent", job.agent_id ?? dash(), "nowrap"),
    cell("Progress", progressCell(job), "col-progress"),
    cell("Outcome", outcomeCell(job), "col-outcome"),
    cell("Tries", el("span", { class: "num" }, `${job.attempts}/${job.max_attempts}`)),
    cell("Created", timeEl(job.created_at), "nowrap"),
  );
}

function progressCell(job) {
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

function membersBlock(id, sub, loadMore) {
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
      cell("Tries", el("span", { class: "num" }, `${j.attempts}/${j.max_attempts}`)),
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

/* ------------------------------------------------------------------ job detail */

function jobDetailView(route) {
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
      el("h1", {}, job.task),
      stateBadge(job.state),
      moneyTag(job.money_state),
      job.kind !== "task" ? el("span", { class: "badge kind" }, job.kind) : null,
    ),
    el("div", { class: "mono muted small break" }, job.id),
    actions,
  );
  const facts = el(
    "dl",
    { class: "facts" },
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

/* ------------------------------------------------------------------ money */

const LIMIT_FIELDS = [
  ["max_bet_usd", "Max bet"],
  ["max_batch_usd", "Max batch"],
  ["daily_loss_limit_usd", "Daily loss / agent"],
  ["fleet_daily_loss_limit_usd", "Fleet daily loss"],
];

function moneyView() {
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

/** a Pause button that opens a small form asking why; `agentId` null pauses the fleet */
function pauseControl(agentId, who) {
  const slot = el("div", { class: "pause-slot" });
  const pause = el("button", { class: "btn btn-warn", type: "button" }, agentId ? "Pause" : "Pause fleet");
  const resume = el("button", { class: "btn btn-primary", type: "button" }, agentId ? "Resume" : "Resume fleet");
  const reason = el("input", {
    type: "text",
    name: "reason",
    required: true,
    minlength: 3,
    maxlength: 200,
    placeholder: "why? (shown to whoever resumes)",
    "aria-label": "reason for pausing",
  });
  const send = el("button", { class: "btn btn-warn", type: "submit" }, "Pause now");
  const cancel = el("button", { class: "btn btn-quiet", type: "button" }, "Cancel");
  const form = el(
    "form",
    { class: "inline-form", hidden: true },
    el("label", { class: "field grow" }, el("span", {}, `Pause ${who}`), reason),
    el("div", { class: "row" }, send, cancel),
  );
  pause.addEventListener("click", () => {
    form.hidden = false;
    pause.hidden = true;
    reason.focus();
  });
  cancel.addEventListener("click", () => {
    form.hidden = true;
    pause.hidden = false;
  });
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const body = { reason: reason.value.trim(), ...(agentId ? { agent_id: agentId } : {}) };
    void runAction("pause_trading", body, { button: send, done: `Paused ${who}` }).then((r) => {
      if (!r) return;
      reason.value = "";
      form.hidden = true;
      pause.hidden = false;
    });
  });
  resume.addEventListener(
    "click",
    () =>
      void runAction("resume_trading", agentId ? { agent_id: agentId } : {}, {
        button: resume,
        done: `Resumed ${who}`,
      }),
  );
  return {
    buttons: [pause, resume],
    form,
    slot,
    set(paused) {
      resume.hidden = !paused;
      if (paused) {
        pause.hidden = true;
        form.hidden = true;
      } else if (form.hidden) pause.hidden = false;
    },
  };
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
                  ? el("span", { class: "pos" }, "agrees")
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

/** "Tighten limits": pause_trading with pause:false and only the limits given; raises are the server's to refuse */
function tightenForm() {
  const scope = el("select", { name: "agent_id", "aria-label": "whose limits" });
  const inputs = new Map(
    LIMIT_FIELDS.map(([name]) => [
      name,
      el("input", { type: "number", name, min: "0.01", step: "0.01", inputmode: "decimal", placeholder: "unchanged" }),
    ]),
  );
  const reason = el("input", {
    type: "text",
    name: "reason",
    required: true,
    minlength: 3,
    maxlength: 200,
    placeholder: "why? (kept with the change)",
  });
  const submit = el("button", { class: "btn btn-primary", type: "submit" }, "Lower limits");
  const message = el("div", { class: "form-message", role: "status" });
  const form = el(
    "form",
    { class: "tighten-form" },
    el("label", { class: "field" }, el("span", {}, "Applies to"), scope),
    LIMIT_FIELDS.map(([name, label]) =>
      el("label", { class: "field" }, el("span", {}, `${label}, USD`), inputs.get(name)),
    ),
    el("label", { class: "field grow" }, el("span", {}, "Reason"), reason),
    el("div", { class: "field field-end" }, submit),
    message,
  );
  const node = el(
    "details",
    { class: "panel tighten" },
    el("summary", { class: "panel-title" }, "Tighten limits"),
    el(
      "p",
      { class: "small muted" },
      "Limits can only go down here. A value above the current limit is refused by the server and nothing changes.",
    ),
    form,
  );
  scope.addEventListener("change", () => {
    inputs.get("fleet_daily_loss_limit_usd").disabled = scope.value !== "";
  });
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const body = { reason: reason.value.trim(), pause: false };
    if (scope.value) body.agent_id = scope.value;
    for (const [name, input] of inputs) if (!input.disabled && input.value !== "") body[name] = Number(input.value);
    if (Object.keys(body).length === (scope.value ? 3 : 2)) {
      message.className = "form-message error-text";
      message.textContent = "Give at least one limit to lower.";
      return;
    }
    message.textContent = "";
    void runAction("pause_trading", body, {
      button: submit,
      done: "Limits lowered",
      onError(err) {
        message.className = "form-message error-text";
        fill(
          message,
          el("strong", {}, err.code),
          ` ${err.message}`,
          err.hint ? el("div", { class: "hint" }, err.hint) : null,
        );
      },
    }).then((r) => {
      if (!r) return;
      for (const input of inputs.values()) input.value = "";
      message.className = "form-message ok-text";
      message.textContent = "Limits lowered.";
    });
  });
  return {
    node,
    update(data) {
      const ids = data.agents.map((a) => a.agent_id);
      const have = [...scope.options].slice(1).map((o) => o.value);
      if (have.join("\n") !== ids.join("\n")) {
        const current = scope.value;
        fill(
          scope,
          el("option", { value: "" }, "the whole fleet"),
          data.agents.map((a) =>
            el("option", { value: a.agent_id }, a.label ? `${a.label} (${a.agent_id})` : a.agent_id),
          ),
        );
        scope.value = ids.includes(current) ? current : "";
      }
      inputs.get("fleet_daily_loss_limit_usd").placeholder = `now ${usd(data.fleet.daily_loss_limit_usd)}`;
    },
  };
}

/* ------------------------------------------------------------------ charts (uPlot) */

const PALETTE = [
  "#0ea5e9",
  "#f59e0b",
  "#10b981",
  "#ef4444",
  "#ec4899",
  "#14b8a6",
  "#8b5cf6",
  "#84cc16",
  "#f97316",
  "#64748b",
];
const ACCENT = "#6d28d9";

/**
 * A box that holds one uPlot chart sized to its container (re-sized by a ResizeObserver). `show(spec)` makes the
 * chart, or only swaps the data when the series are the same, so a live refresh keeps the cursor and zoom.
 */
function chartBox(label, height = 240) {
  const target = el("div", { class: "chart", role: "img", "aria-label": label });
  const empty = emptyState("No data yet.");
  const node = el("div", { class: "chart-box" }, target, empty);
  let plot = null;
  let key = "";
  const ro = new ResizeObserver(() => {
    if (plot && target.clientWidth > 0) plot.setSize({ width: target.clientWidth, height });
  });
  ro.observe(target);
  return {
    node,
    show(spec) {
      const hasData = spec && spec.data[0].length > 0;
      empty.hidden = !!hasData;
      target.hidden = !hasData;
      if (!hasData || !window.uPlot) {
        plot?.destroy();
        plot = null;
        key = "";
        if (hasData) empty.textContent = "Chart library did not load.";
        if (hasData) empty.hidden = false;
        return;
      }
      const nextKey = JSON.stringify(spec.opts.series.map((s) => s.label)) + (spec.key ?? "");
      if (plot && nextKey === key) {
        plot.setData(spec.data);
        return;
      }
      plot?.destroy();
      key = nextKey;
      plot = new window.uPlot({ ...spec.opts, width: Math.max(200, target.clientWidth), height }, spec.data, target);
    },
    destroy() {
      ro.disconnect();
      plot?.destroy();
    },
  };
}

function axes(yFormat) {
  const grid = { stroke: "#eceaf2", width: 1 };
  return [
    { stroke: "#6b7280", grid, ticks: grid },
    { stroke: "#6b7280", grid, ticks: grid, size: 64, values: (_u, splits) => splits.map(yFormat) },
  ];
}

function pnlChart(data) {
  const s = data.pnl_series;
  if (!s?.days?.length) return null;
  const labels = new Map(data.agents.map((a) => [a.agent_id, a.label || a.agent_id]));
  const t = s.days.map((d) => Date.parse(`${d}T00:00:00Z`) / 1000);
  const agentIds = Object.keys(s.agents ?? {});
  const compact = (v) => usd(v).replace(".00", "");
  return {
    data: [t, s.fleet, ...agentIds.map((id) => s.agents[id])],
    opts: {
      series: [
        { value: (_u, v) => (v === null ? "" : new Date(v * 1000).toISOString().slice(0, 10)) },
        { label: "Fleet", stroke: ACCENT, width: 3, value: (_u, v) => usd(v, { signed: true }) },
        ...agentIds.map((id, i) => ({
          label: labels.get(id) ?? id,
          stroke: PALETTE[i % PALETTE.length],
          width: 1.5,
          value: (_u, v) => usd(v, { signed: true }),
        })),
      ],
      axes: axes(compact),
      scales: { x: { time: true } },
      cursor: { drag: { x: false, y: false } },
    },
  };
}

/* ------------------------------------------------------------------ health */

function healthView(route) {
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
    el("div", { class: "grid-2" }, section("Rate limits", limitsBox), section("Processes holding leases", procBox)),
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
          { label: "succeeded", stroke: "#059669", fill: "rgba(5,150,105,.18)", width: 1.5 },
          { label: "failed", stroke: "#dc2626", fill: "rgba(220,38,38,.18)", width: 1.5 },
        ],
        axes: timeAxis((v) => num(v)),
        scales: { x: { time: true } },
      },
    });
    depth.show({
      key: asked,
      data: [t, h.series.queued, h.series.running],
      opts: {
        series: [{}, { label: "queued", stroke: ACCENT, width: 2 }, { label: "running", stroke: "#0ea5e9", width: 2 }],
        axes: timeAxis((v) => num(v)),
        scales: { x: { time: true } },
      },
    });
    fill(limitsBox, rateLimitTable(h.rate_limits));
    fill(procBox, processTable(h.processes));
    fill(queuesBox, queueTable(app.overview?.queues));
  }

  const timer = setInterval(() => void refresh(), 15_000);
  return {
    root,
    refresh,
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
  if (!processes?.length) return emptyState("No process holds a lease.");
  return tableWrap(
    el(
      "table",
      { class: "table cards-on-narrow" },
      headRow(["Process", "Jobs", "Last heartbeat", "Lease expires"]),
      el(
        "tbody",
        {},
        processes.map((p) =>
          el(
            "tr",
            { "data-heartbeat": p.last_heartbeat_at, class: isStale(p.last_heartbeat_at) ? "stale" : "" },
            cell("Process", el("span", { class: "mono small break" }, p.owner)),
            cell("Jobs", el("span", { class: "num" }, num(p.jobs_leased))),
            cell(
              "Last heartbeat",
              el("span", {}, timeEl(p.last_heartbeat_at), el("span", { class: "badge stale-badge" }, "stale")),
            ),
            cell("Lease expires", timeEl(p.lease_expires_at)),
          ),
        ),
      ),
    ),
  );
}

const perWindow = (seconds) =>
  ({ 1: "second", 60: "minute", 3600: "hour", 86400: "day" })[seconds] ?? duration(seconds * 1000);

const isStale = (iso) => !iso || Date.now() - Date.parse(iso) > STALE_HEARTBEAT_MS;

/* ------------------------------------------------------------------ schedules */

function schedulesView() {
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

/* ------------------------------------------------------------------ router */

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

let refreshing = null;
let refreshAgain = false;
/** one refresh at a time; a request during one runs once more afterwards */
async function refreshView() {
  if (refreshing) {
    refreshAgain = true;
    return;
  }
  const view = app.view;
  refreshing = view.refresh().catch((err) => console.warn("refresh failed", err));
  await refreshing;
  refreshing = null;
  if (refreshAgain) {
    refreshAgain = false;
    if (app.view === view) await refreshView();
  }
}

let refreshTimer = null;
function scheduleRefresh(delay = LIVE_DEBOUNCE_MS) {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => void refreshView(), delay);
}

/* ------------------------------------------------------------------ live stream */

let events = null;
let retryTimer = null;

function connectEvents() {
  events?.close();
  setConnection("connecting", "connecting");
  events = new EventSource("/api/events");
  events.addEventListener("open", () => setConnection("live", "live"));
  events.addEventListener("overview", (e) => applyOverview(JSON.parse(e.data)));
  events.addEventListener("jobs", () => scheduleRefresh());
  events.addEventListener("error", () => {
    if (events.readyState !== EventSource.CLOSED) {
      setConnection("reconnecting", "reconnecting");
      return;
    }
    // closed for good (an HTTP error): find out whether the login expired, else try again later
    setConnection("offline", "offline, retrying");
    clearTimeout(retryTimer);
    retryTimer = setTimeout(() => {
      getJson("/api/overview")
        .then((o) => {
          applyOverview(o);
          connectEvents();
        })
        .catch(() => connectEvents());
    }, 5000);
  });
}

/** keeps "3 min ago" texts and stale heartbeat marks current without a refetch */
function tick() {
  for (const node of document.querySelectorAll("[data-rel]")) node.textContent = rel(node.dataset.rel);
  for (const row of document.querySelectorAll("tr[data-heartbeat]"))
    row.classList.toggle("stale", isStale(row.dataset.heartbeat));
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
