/**
 * `resource_link` content for a tool result: the jobs it started (`jobs://<id>`, readable and subscribable until
 * the job is pruned) and, for a PnL report, the PnL resources of its period (`pnl://daily/<date>`, `pnl://weekly`).
 * A client can show them, read them, or subscribe to hear when a job finishes, without the model copying an id.
 * Pure: the caller (src/mcp/tool.ts) appends what it returns to a successful result's content.
 */
import type { ResourceLink } from "@modelcontextprotocol/sdk/types.js";
import { startOfIsoWeek, utcDateKey } from "../ledger/period.js";

/** A result lists a day per trading day; a year of them would drown the answer. */
const MAX_DAY_LINKS = 7;
const MAX_JOB_LINKS = 10;

type Structured = Record<string, unknown>;

export function resourceLinksFor(toolName: string, structured: unknown, now: number = Date.now()): ResourceLink[] {
  if (!isObject(structured) || "error" in structured) return [];
  const links = [...jobLinks(toolName, structured), ...(toolName === "pnl_report" ? pnlLinks(structured, now) : [])];
  const seen = new Set<string>();
  return links.filter((l) => !seen.has(l.uri) && seen.add(l.uri));
}

/**
 * The jobs a result names as its own: `job_id` (a batch, a faucet claim, a schedule's firing), `job.job_id` or
 * `job.id` (a chain, a settlement, job_status), `releases_job_id` (a settlement's release chord) and the per-step or
 * per-agent jobs of a chain or verification. Not the bet members a summary quotes (`best.job_id`): a batch's link
 * leads to them.
 */
function jobLinks(toolName: string, s: Structured): ResourceLink[] {
  const named: Array<[unknown, string]> = [
    [s.job_id, `the job ${toolName} started`],
    [
      isObject(s.job) ? (s.job.job_id ?? s.job.id) : undefined,
      `the job ${toolName} ${toolName === "job_status" ? "reports on" : "started"}`,
    ],
    [s.releases_job_id, "the release jobs of this settlement"],
    ...listed(s.steps).map((step, i): [unknown, string] => [
      step.job_id,
      `step ${i + 1}${typeof step.task === "string" ? ` (${step.task})` : ""}`,
    ]),
    ...listed(s.agents).map((a): [unknown, string] => [a.job_id, `the job for agent ${String(a.agent_id ?? "?")}`]),
  ];
  return named
    .filter((n): n is [string, string] => typeof n[0] === "string" && n[0] !== "")
    .slice(0, MAX_JOB_LINKS)
    .map(([id, what]) => ({
      type: "resource_link",
      uri: `jobs://${id}`,
      name: `job ${id}`,
      mimeType: "application/json",
      description: `${what}: state, progress, result and history; subscribe to hear when it finishes`,
    }));
}

/** The day or week the report covers, else the days it lists (newest first). */
function pnlLinks(s: Structured, now: number): ResourceLink[] {
  const period = isObject(s.period) ? s.period : {};
  const from = typeof period.from === "string" ? Date.parse(period.from) : Number.NaN;
  const links: ResourceLink[] = [];
  if ((period.kind === "today" || period.kind === "day") && Number.isFinite(from)) {
    links.push(dailyLink(utcDateKey(from)));
  }
  if (period.kind === "week" && Number.isFinite(from) && from === startOfIsoWeek(now)) {
    links.push({
      type: "resource_link",
      uri: "pnl://weekly",
      name: "PnL this week",
      mimeType: "application/json",
      description: "trading PnL of the current ISO week, in USD",
    });
  }
  const days = listed(s.days)
    .map((d) => d.date)
    .filter((d): d is string => typeof d === "string" && /^\d{4}-\d{2}-\d{2}$/.test(d))
    .sort()
    .reverse()
    .slice(0, MAX_DAY_LINKS);
  return [...links, ...days.map(dailyLink)];
}

function dailyLink(date: string): ResourceLink {
  return {
    type: "resource_link",
    uri: `pnl://daily/${date}`,
    name: `PnL ${date}`,
    mimeType: "application/json",
    description: `trading PnL of ${date} (UTC), in USD`,
  };
}

function isObject(x: unknown): x is Structured {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

function listed(x: unknown): Structured[] {
  return Array.isArray(x) ? x.filter(isObject) : [];
}
