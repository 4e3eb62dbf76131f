/**
 * MCP tasks (spec 2025-11-25, experimental), backed by the job table. A task-augmented `tools/call` of a long tool
 * submits the same job the tool would wait on and answers at once with a task whose id IS that job's id; the job
 * row carries the task's bookkeeping in `mcp_task` (the tool, what its answer needs, a client's cancel), so there
 * is no second store: a task outlives the session and the process that created it, and is pruned with its job
 * (PF_RESULT_TTL_HOURS after it finished, which is also the `ttl` every task states).
 *
 *   job state                          task status   statusMessage
 *   queued, running, retrying, waiting working       the job's progress ("12 of 40 bets settled")
 *   unknown, or being reconciled       working       "reconciling: …" (retry_job resolves an unknown outcome)
 *   succeeded                          completed
 *   failed, dead, expired              failed        the job's error
 *   cancelled                          cancelled
 *
 * `tasks/cancel` cancels the job as cancel_job does (unsent requests are never sent); the task is cancelled from
 * then on, as the spec demands, even while a request already on the wire is reconciled. `tasks/result` is the
 * tool's own answer for its finished job, built by the tool (`TaskRun.finish`), so it reads like a call that
 * waited to the end. A call without `task` never comes here: it runs exactly as before (wait_seconds).
 *
 * Access: pf-fleet has one authorization context — the operator's, whether it arrives as the bearer token or an
 * access token the operator's authorization server issued for this server on HTTP, or as the local user on
 * stdio — and every job is already visible to it through job_status. So tasks are bound to that context, not to
 * an MCP session (binding them to a session would lose them at a reconnect, which is what tasks are for). Job ids
 * are UUIDv7 with 62 random bits from the system's CSPRNG. A requested `ttl` is not honoured (the spec lets a
 * receiver override it): a task lives as long as its job row.
 *
 * The SDK 1.x answers tasks/get, tasks/result, tasks/list and tasks/cancel through the `TaskStore` it is given
 * (`JobTasks` below). Its own task tools (`registerToolTask`) cannot serve here: called without `task` they poll
 * to the end instead of honouring wait_seconds, and a tool without task support would still RUN when a call asks
 * for a task. So `attach` wraps the `tools/call` and `tools/list` handlers instead (the way tool-list.ts does).
 * Moving to SDK v2, where tasks are an extension: `JobTasks`' four reads become that extension's handlers, the
 * `tools/call` branch becomes its task-creation hook, and `TaskRun` and the `mcp_task` column stay as they are.
 */

import type { CreateTaskOptions, TaskStore } from "@modelcontextprotocol/sdk/experimental/tasks/interfaces.js";
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import {
  type CallToolResult,
  type CreateTaskResult,
  ErrorCode,
  type ListToolsResult,
  McpError,
  type Result,
  type Task,
} from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import type { FleetDeps } from "../deps.js";
import { toFleetError } from "../errors.js";
import type { JobProgress, JobRow } from "../jobs/types.js";
import type { StoredJob } from "../storage/jobs.js";
import { wrapSdkRequestHandler } from "./sdk-handlers.js";
import type { ToolContext, ToolReply } from "./tool.js";
import { isTerminal, jobProgress } from "./wait.js";

/** What the server declares: task-augmented tools/call, tasks/list and tasks/cancel. */

/** Clients poll tasks/get this often; tasks/result re-reads the job at the same pace. */
const POLL_INTERVAL_MS = 1_000;
const LIST_PAGE = 20;

/** A tool's job, as the tool started it: what its answer needs later is JSON kept on the job row. */
export interface StartedJob<R = unknown> {
  jobId: string;
  replay: R;
}

/**
 * What a long tool offers to run as a task. Its ordinary handler is `start` then `finish` with the call's
 * wait_seconds; a task is `start`, then `finish` with no wait once the job is done.
 */
export interface TaskRun<A, O, R = unknown> {
  /** every check the call makes, then the job (chord, chain…) the call would wait on */
  start(args: A, ctx: ToolContext): Promise<StartedJob<R>>;
  /** the tool's answer for the job as it stands after waiting up to `waitSeconds` */
  finish(
    started: StartedJob<R>,
    wait: { waitSeconds: number; cancelOnAbort?: boolean },
    ctx: ToolContext,
  ): Promise<ToolReply<O>>;
  /** the job whose end ends the task, when it is not the started one (settle_escrows: its releases) */
  follow?(job: JobRow): string | undefined;
  /** progress in the tool's own unit (the bets of a batch), for the status message */
  progress?(job: JobRow, replay: R): Promise<JobProgress | null>;
}

/** A task tool as tool.ts registers it: argument parsing and the answer's shape are tool.ts's business. */
export interface TaskTool {
  /** throws a FleetError (INVALID_INPUT …) when the call is refused; nothing is then submitted */
  start(rawArgs: unknown, extra: unknown): Promise<StartedJob>;
  /** the CallToolResult the tool gives for the job (an error result for a failure) */
  answer(started: StartedJob): Promise<CallToolResult>;
  follow?(job: JobRow): string | undefined;
  progress?(job: JobRow, replay: unknown): Promise<JobProgress | null>;
}

/** What `mcp_task` holds. */
const taskMark = z.object({ tool: z.string(), replay: z.unknown(), cancelledAt: z.number().optional() });
type TaskMark = z.output<typeof taskMark>;

const instances = new WeakMap<McpServer, JobTasks>();

/** Called by registerTool for a tool with a `task` option; a server without task support ignores it. */
export function registerTaskTool(server: McpServer, name: string, tool: TaskTool): void {
  instances.get(server)?.tools.set(name, tool);
}

export class JobTasks implements TaskStore {
  readonly tools = new Map<string, TaskTool>();
  readonly #deps: FleetDeps;

  constructor(deps: FleetDeps) {
    this.#deps = deps;
  }

  /** Routes task-augmented tools/call here and advertises `execution.taskSupport` for the task tools. */
  attach(server: McpServer): void {
    instances.set(server, this);
    wrapSdkRequestHandler(server, "tools/call", (call) => async (request, extra) => {
      const params = (request as { params: { name: string; arguments?: unknown; task?: unknown } }).params;
      if (params.task === undefined) return call(request, extra);
      return this.#create(params.name, params.arguments, extra);
    });
    wrapSdkRequestHandler(server, "tools/list", (list) => async (request, extra) => {
      const result = (await list(request, extra)) as ListToolsResult;
      return {
        ...result,
        tools: result.tools.map((t) =>
          this.tools.has(t.name) ? { ...t, execution: { ...t.execution, taskSupport: "optional" as const } } : t,
        ),
      };
    });
  }

  async #create(name: string, args: unknown, extra: unknown): Promise<CreateTaskResult> {
    const tool = this.tools.get(name);
    if (!tool) {
      throw new McpError(
        ErrorCode.MethodNotFound,
        `tool \`${name}\` does not run as a task (its execution.taskSupport is not "optional"); call it without \`task\``,
      );
    }
    let started: StartedJob;
    try {
      started = await tool.start(args, extra);
    } catch (err) {
      throw refusal(err);
    }
    const mark: TaskMark = { tool: name, replay: started.replay };
    await this.#deps.storage.transaction((tx) => tx.jobs.setMcpTask(started.jobId, mark));
    const row = await this.#row(started.jobId);
    if (!row) throw new McpError(ErrorCode.InternalError, `job ${started.jobId} vanished as its task was created`);
    // a task begins `working` (spec); tasks/get reports what the job did since
    return {
      task: {
        ...this.#times(row, []),
        taskId: row.id,
        status: "working",
        statusMessage: `submitted as job ${row.id}; tasks/get follows it, tasks/result waits for its answer`,
      },
    };
  }

  async getTask(taskId: string): Promise<Task | null> {
    const found = await this.#find(taskId);
    return found ? this.#describe(found.row, found.mark, { progress: true }) : null;
  }

  async getTaskResult(taskId: string): Promise<Result> {
    const found = await this.#find(taskId);
    if (!found) throw notFound(taskId);
    const tool = this.tools.get(found.mark.tool);
    if (!tool) {
      return {
        isError: true,
        content: [{ type: "text", text: `${found.mark.tool} is not enabled on this server; job_status ${taskId}` }],
        structuredContent: {
          error: {
            code: "NOT_FOUND",
            message: `the task's tool ${found.mark.tool} is not enabled on this server`,
            hint: `job_status ${taskId} shows its job`,
            retryable: false,
          },
        },
      } satisfies CallToolResult;
    }
    return tool.answer({ jobId: taskId, replay: found.mark.replay });
  }

  /** The SDK calls this for tasks/cancel (after refusing a task already terminal); other statuses are not ours. */
  async updateTaskStatus(taskId: string, status: Task["status"]): Promise<void> {
    if (status !== "cancelled") return;
    const found = await this.#find(taskId);
    if (!found) throw notFound(taskId);
    const target = this.#tool(found.mark)?.follow?.(found.row) ?? taskId;
    try {
      await this.#deps.engine.cancel(target, "cancelled by the MCP client (tasks/cancel)");
    } catch (err) {
      const e = toFleetError(err);
      // the job finished between the SDK's check and ours: the task is terminal, which the spec answers so
      if (e.code === "CONFLICT") throw new McpError(ErrorCode.InvalidParams, `Cannot cancel task: ${e.message}`);
      throw err;
    }
    const mark: TaskMark = { ...found.mark, cancelledAt: Date.now() };
    await this.#deps.storage.transaction((tx) => tx.jobs.setMcpTask(taskId, mark));
  }

  async listTasks(cursor?: string): Promise<{ tasks: Task[]; nextCursor?: string }> {
    const page = await this.#deps.storage.jobs.list({
      mcpTasks: true,
      limit: LIST_PAGE,
      ...(cursor ? { cursor } : {}),
    });
    const tasks: Task[] = [];
    for (const row of page.jobs) {
      const mark = taskMark.safeParse(row.mcpTask);
      // the list reads no member rows: its status message is the job's own
      if (mark.success) tasks.push(await this.#describe(row, mark.data, { progress: false }));
    }
    return { tasks, ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
  }

  async createTask(_params: CreateTaskOptions): Promise<Task> {
    throw new Error("pf-fleet tasks are created by the long tools themselves, never through the SDK's createTask");
  }

  async storeTaskResult(): Promise<void> {
    throw new Error("a pf-fleet task's result is its job's; nothing is stored beside it");
  }

  #tool(mark: TaskMark): TaskTool | undefined {
    return this.tools.get(mark.tool);
  }

  #row(id: string): Promise<StoredJob | undefined> {
    return this.#deps.storage.jobs.get(id);
  }

  async #find(taskId: string): Promise<{ row: StoredJob; mark: TaskMark } | undefined> {
    const row = await this.#row(taskId);
    const mark = taskMark.safeParse(row?.mcpTask);
    return row && mark.success ? { row, mark: mark.data } : undefined;
  }

  async #describe(root: StoredJob, mark: TaskMark, opts: { progress: boolean }): Promise<Task> {
    const tool = this.#tool(mark);
    const followed = tool?.follow?.(root);
    const job = (followed && (await this.#row(followed))) || root;
    return {
      ...this.#times(root, [job.updatedAt, mark.cancelledAt ?? 0]),
      taskId: root.id,
      ...(await this.#status(job, mark, tool, opts)),
    };
  }

  async #status(
    job: StoredJob,
    mark: TaskMark,
    tool: TaskTool | undefined,
    opts: { progress: boolean },
  ): Promise<Pick<Task, "status" | "statusMessage">> {
    if (mark.cancelledAt !== undefined) {
      const still = isTerminal(job)
        ? ""
        : `; job ${job.id} is ${job.state}: a request already sent is reconciled and recorded, never unsent`;
      return { status: "cancelled", statusMessage: `cancelled by the client${still}` };
    }
    switch (job.state) {
      case "succeeded":
        return { status: "completed", statusMessage: `job ${job.id} succeeded` };
      case "failed":
      case "dead":
      case "expired":
        return { status: "failed", statusMessage: `job ${job.id} ${job.state}: ${errorText(job)}` };
      case "cancelled":
        return { status: "cancelled", statusMessage: `job ${job.id} was cancelled` };
      case "unknown":
        return {
          status: "working",
          statusMessage: `reconciling: the outcome of job ${job.id} could not be proven yet; retry_job ${job.id} reconciles it again`,
        };
      default:
        if (job.phase === "reconcile") {
          return { status: "working", statusMessage: `reconciling: job ${job.id} asks the server what happened` };
        }
        return { status: "working", statusMessage: await this.#progressText(job, mark, tool, opts) };
    }
  }

  async #progressText(job: JobRow, mark: TaskMark, tool: TaskTool | undefined, opts: { progress: boolean }) {
    const p = opts.progress
      ? await (tool?.progress ? tool.progress(job, mark.replay) : jobProgress(this.#deps.engine, job))
      : job.progress;
    if (!p) return `job ${job.id} is ${job.state}`;
    return `${p.message ?? `${p.done} of ${p.total} done`} (job ${job.id} is ${job.state})`;
  }

  #times(root: StoredJob, updates: number[]) {
    return {
      createdAt: new Date(root.createdAt).toISOString(),
      lastUpdatedAt: new Date(Math.max(root.updatedAt, ...updates)).toISOString(),
      ttl: this.#deps.config.resultTtlMs,
      pollInterval: POLL_INTERVAL_MS,
    };
  }
}

function notFound(taskId: string): McpError {
  return new McpError(ErrorCode.InvalidParams, `Task not found: ${taskId} (unknown, or pruned after its ttl)`);
}

function errorText(job: JobRow): string {
  return job.error ? `${job.error.code}: ${job.error.message}` : "no error recorded";
}

/**
 * A task-augmented call answers with a task or a JSON-RPC error, never with a tool result: a refusal before
 * anything was submitted (bad arguments, a risk limit, the kill switch) is -32602 carrying the same stable code,
 * hint and retryable flag a tool error result carries in `structuredContent.error`.
 */
function refusal(err: unknown): McpError {
  if (err instanceof McpError) return err;
  const e = toFleetError(err);
  const error = { code: e.code, message: e.message, ...(e.hint ? { hint: e.hint } : {}), retryable: e.retryable };
  const code = e.code === "INTERNAL" ? ErrorCode.InternalError : ErrorCode.InvalidParams;
  return new McpError(code, `${e.code}: ${e.message}${e.hint ? ` Hint: ${e.hint}` : ""}`, { error });
}
