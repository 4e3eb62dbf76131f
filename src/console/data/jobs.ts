/**
 * `GET /api/jobs`: the jobs list with its filters and keyset paging. By default only roots (jobs without a parent),
 * so a batch of 2,500 calls is one row carrying its batch summary; `canvas=<id>` lists one canvas's members.
 */
import { QUEUE_NAMES, type QueueName } from "../../config.js";
import type { FleetDeps } from "../../deps.js";
import { FleetError } from "../../errors.js";
import { JOB_STATES, type JobFilter, type JobState } from "../../jobs/types.js";
import { batchSummaries } from "./batch-summary.js";
import { type JobItem, jobItem } from "./job-item.js";

export interface JobsPage {
  jobs: JobItem[];
  next_cursor: string | null;
}

const STATES: readonly JobState[] = JOB_STATES;
const PARAMS = ["state", "queue", "task", "agent", "canvas", "view", "limit", "cursor"];
const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 200;

export async function consoleJobs(deps: Pick<FleetDeps, "storage">, query: URLSearchParams): Promise<JobsPage> {
  const filter = jobsFilter(query);
  const page = await deps.storage.jobs.list(filter);
  const batches = await batchSummaries(deps, page.jobs);
  await deps.storage.settled();
  return {
    jobs: page.jobs.map((j) => jobItem(j, batches.get(j.id) ?? null)),
    next_cursor: page.nextCursor,
  };
}

/** The query as a storage filter; anything it cannot mean is INVALID_INPUT, before any read. */
export function jobsFilter(query: URLSearchParams): JobFilter {
  for (const name of new Set(query.keys())) {
    if (!PARAMS.includes(name)) {
      throw invalid(`unknown parameter \`${name}\``, `the jobs list takes ${PARAMS.join(", ")}`);
    }
    if (query.getAll(name).length > 1) {
      throw invalid(`\`${name}\` is given more than once`, "give each parameter once (state takes a comma list)");
    }
  }
  const filter: JobFilter = { limit: limitOf(query.get("limit")) };
  const state = query.get("state");
  if (state !== null && state !== "") filter.state = statesOf(state);
  const queue = query.get("queue");
  if (queue !== null && queue !== "") {
    if (!(QUEUE_NAMES as readonly string[]).includes(queue)) {
      throw invalid(`queue must be one of ${QUEUE_NAMES.join(", ")}, got \`${clip(queue)}\``);
    }
    filter.queue = queue as QueueName;
  }
  const task = query.get("task");
  if (task !== null && task !== "") {
    if (!/^[A-Za-z0-9_.:-]{1,100}$/.test(task)) {
      throw invalid(`task must be a task name like \`casino.bet_batch\`, got \`${clip(task)}\``);
    }
    filter.task = task;
  }
  const agent = query.get("agent");
  if (agent !== null && agent !== "") {
    if (!/^ag_[0-9a-f]{6,32}$/.test(agent)) {
      throw invalid(`agent must be a casino agent id like \`ag_1a2b3c4d5e6f\`, got \`${clip(agent)}\``);
    }
    filter.agentId = agent;
  }
  const canvas = query.get("canvas");
  if (canvas !== null && canvas !== "") {
    if (!/^[0-9a-f-]{36}$/.test(canvas)) {
      throw invalid(`canvas must be a job id, got \`${clip(canvas)}\``, "the id of a group, chord or chain");
    }
    filter.canvasId = canvas;
  }
  const view = query.get("view");
  if (view !== null && view !== "" && view !== "roots" && view !== "all") {
    throw invalid(`view must be \`roots\` or \`all\`, got \`${clip(view)}\``);
  }
  if (filter.canvasId !== undefined && view === "roots") {
    throw invalid("a canvas's members all have a parent, so `view=roots` lists none of them", "use view=all");
  }
  // a canvas's members are what `canvas=` asks for, so it lists every job unless told otherwise
  filter.roots = (view || (filter.canvasId === undefined ? "roots" : "all")) === "roots";
  const cursor = query.get("cursor");
  if (cursor !== null && cursor !== "") {
    if (!/^[A-Za-z0-9_-]{1,400}$/.test(cursor)) throw badCursor(cursor);
    filter.cursor = cursor;
  }
  return filter;
}

function statesOf(text: string): JobState[] {
  const states = text.split(",").map((s) => s.trim());
  for (const s of states) {
    if (!(STATES as readonly string[]).includes(s)) {
      throw invalid(`unknown state \`${clip(s)}\``, `state is a comma list of ${STATES.join(", ")}`);
    }
  }
  return [...new Set(states)] as JobState[];
}

function limitOf(text: string | null): number {
  if (text === null || text === "") return DEFAULT_LIMIT;
  const n = /^\d{1,4}$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isInteger(n) || n < 1 || n > MAX_LIMIT) {
    throw invalid(`limit must be a whole number from 1 to ${MAX_LIMIT}, got \`${clip(text)}\``);
  }
  return n;
}

function badCursor(cursor: string): FleetError {
  return invalid(`cursor \`${clip(cursor)}\` is not one this server returned`, "pass next_cursor of the previous page");
}

function invalid(message: string, hint = "see src/console/API.md for the jobs list's parameters"): FleetError {
  return new FleetError("INVALID_INPUT", message, { hint });
}

/** a value quoted back in a message, cut short: it is the caller's text */
function clip(text: string): string {
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}
