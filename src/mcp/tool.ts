import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { type CallToolResult, ErrorCode, McpError, type ToolAnnotations } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import { FleetError, toFleetError } from "../errors.js";
import { clip, forbiddenKeyError } from "./argument-guard.js";
import { resourceLinksFor } from "./resource-links.js";
import { wrapSdkRequestHandler } from "./sdk-handlers.js";
import { registerTaskTool, type TaskRun } from "./tasks.js";
import { advertiseTool } from "./tool-list.js";

/**
 * One way to define an MCP tool: zod input and output shapes, truthful annotations, a handler that returns
 * structured content plus a short text summary. Every failure — bad arguments included — becomes an
 * `isError` result with a stable code and a hint in `structuredContent.error`, never a protocol error.
 */

export interface ToolContext {
  /** aborted when the client cancels the request */
  signal: AbortSignal;
  /** MCP progress notification; a no-op when the client sent no progressToken */
  progress(p: { progress: number; total?: number; message?: string }): Promise<void>;
  sessionId: string | undefined;
  /**
   * Asks the user a question through MCP elicitation (form mode), tied to this call; undefined when the client
   * did not declare the `elicitation` capability (src/mcp/confirm.ts falls back to a dry run's token).
   */
  elicit?:
    | ((
        params: import("@modelcontextprotocol/sdk/types.js").ElicitRequestFormParams,
        opts: { timeoutMs: number },
      ) => Promise<import("@modelcontextprotocol/sdk/types.js").ElicitResult>)
    | undefined;
}

export interface ToolReply<O> {
  structured: O;
  text: string;
}

export interface ToolSpec<I extends z.ZodRawShape, O extends z.ZodRawShape> {
  name: string;
  title: string;
  /** for an LLM: what it does, when (not) to use it, units, limits, prerequisites, what comes back */
  description: string;
  input: I;
  output: O;
  annotations: Required<Pick<ToolAnnotations, "readOnlyHint" | "destructiveHint" | "idempotentHint" | "openWorldHint">>;
  handler(args: z.output<z.ZodObject<I>>, ctx: ToolContext): Promise<ToolReply<z.output<z.ZodObject<O>>>>;
  /** long tools: a call with `task` runs as an MCP task backed by the tool's job (src/mcp/tasks.ts) */
  task?: TaskRun<z.output<z.ZodObject<I>>, z.output<z.ZodObject<O>>>;
  /** the tool's `_meta` in tools/list: the MCP App that shows its results (src/mcp/apps/fleet-view.ts) */
  _meta?: Record<string, unknown>;
}

/** a net under every error message: values are clipped where they are echoed, and this catches any that is not */
const MAX_ERROR_MESSAGE = 4_000;

export function errorResult(err: unknown): CallToolResult {
  const e = toFleetError(err);
  const hint = e.hint ?? defaultHint(e);
  const message = clip(e.message, MAX_ERROR_MESSAGE);
  return {
    isError: true,
    content: [{ type: "text", text: `${e.code}: ${message}${hint ? `\nHint: ${hint}` : ""}` }],
    structuredContent: {
      error: { code: e.code, message, ...(hint ? { hint } : {}), retryable: e.retryable },
    },
  };
}

function defaultHint(e: FleetError): string | undefined {
  if (e.code === "INTERNAL")
    return "this is a pf-fleet bug; the job and ledger are unchanged unless a job id was returned";
  return undefined;
}

/** issues listed in one message; more are counted, not listed */
const MAX_ISSUES = 5;

/**
 * zod issues → one precise sentence naming each bad field, the expectation and the value received. Every echo of
 * the caller's input is clipped (argument-guard.ts), so a huge value cannot make a huge message.
 */
export function describeIssues(error: z.ZodError, input: unknown): string {
  const listed = error.issues.slice(0, MAX_ISSUES).map((issue) => {
    const path = issue.path.length ? clip(issue.path.map(String).join(".")) : "arguments";
    const got = valueAt(input, issue.path);
    const echo = got === undefined ? "" : `, got \`${clip(JSON.stringify(got) ?? String(got))}\``;
    return `${path}: ${clip(issue.message)}${echo}`;
  });
  const more = error.issues.length - listed.length;
  return `${listed.join("; ")}${more > 0 ? `; and ${more} more` : ""}`;
}

function valueAt(input: unknown, path: PropertyKey[]): unknown {
  let cur = input;
  for (const key of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return cur;
}

/**
 * The SDK validates arguments before calling a handler and reports failures as bare text. pf-fleet
 * validates inside the handler instead (same zod shape, still advertised in tools/list) so that bad input
 * gets the stable INVALID_INPUT code and a hint. Called once per server, before any tool is registered.
 */
export function takeOverInputValidation(server: McpServer): void {
  (server as unknown as { validateToolInput: (tool: unknown, args: unknown) => Promise<unknown> }).validateToolInput =
    async (_tool, args) => args ?? {};
  refuseForbiddenKeys(server);
}

/**
 * Arguments holding a forbidden key get INVALID_INPUT before anything else happens (argument-guard.ts): checked
 * on the raw request, since the SDK's parse drops an own `__proto__` key. Installed after JobTasks, so task
 * calls are covered too.
 */
function refuseForbiddenKeys(server: McpServer): void {
  wrapSdkRequestHandler(server, "tools/call", (call) => async (request, extra) => {
    const params = (request as { params?: { name?: unknown; arguments?: unknown; task?: unknown } }).params;
    const refused = forbiddenKeyError(params?.arguments, String(params?.name));
    if (!refused) return call(request, extra);
    if (params?.task === undefined) return withNotices(server, errorResult(refused));
    // a task-augmented call answers CreateTaskResult or an error, as JobTasks refuses bad input
    throw new McpError(ErrorCode.InvalidParams, `${refused.code}: ${refused.message} Hint: ${refused.hint}`, {
      error: { code: refused.code, message: refused.message, hint: refused.hint, retryable: false },
    });
  });
}

const answerGates = new WeakMap<McpServer, () => Promise<void>>();

/**
 * What a tool's answer waits for before it leaves: the storage's `settled()`, so a result never reports a state
 * that a crash could still take back. Set once per server by the session that owns it.
 */
export function gateAnswers(server: McpServer, settled: () => Promise<void>): void {
  answerGates.set(server, settled);
  // resources registered from here on answer through the same gate (the read callback is the last argument)
  const register = server.registerResource.bind(server) as (...args: unknown[]) => unknown;
  server.registerResource = ((...args: unknown[]) => {
    const read = args.at(-1) as (...a: unknown[]) => Promise<unknown>;
    const gated = async (...a: unknown[]) => {
      const result = await read(...a);
      await settled();
      return result;
    };
    return register(...args.slice(0, -1), gated);
  }) as typeof server.registerResource;
}

const answerNotices = new WeakMap<McpServer, () => readonly string[]>();

/**
 * Notices every tool answer of `server` carries while they hold (the primary agent not yet imported, say): one
 * `Notice:` line each after the answer's text, and `notices` in its structured content. Read at each answer.
 */
export function setAnswerNotices(server: McpServer, notices: () => readonly string[]): void {
  answerNotices.set(server, notices);
}

function withNotices(server: McpServer, result: CallToolResult): CallToolResult {
  let notices: readonly string[] = [];
  try {
    notices = answerNotices.get(server)?.() ?? [];
  } catch {
    // a notice must never cost the answer
  }
  if (notices.length === 0) return result;
  const lines = notices.map((n) => `Notice: ${n}`).join("\n");
  const [first, ...rest] = result.content;
  const content =
    first?.type === "text"
      ? [{ ...first, text: `${first.text}\n${lines}` }, ...rest]
      : [...result.content, { type: "text" as const, text: lines }];
  return {
    ...result,
    content,
    structuredContent: { ...(result.structuredContent ?? {}), notices: [...notices] },
  };
}

const toolSelections = new WeakMap<
  McpServer,
  (tool: Pick<ToolSpec<never, never>, "name" | "annotations">) => boolean
>();

/** Which tools `registerTool` registers on `server` (toolsets, read-only mode); set before registering them. */
export function selectTools(
  server: McpServer,
  keep: (tool: Pick<ToolSpec<never, never>, "name" | "annotations">) => boolean,
): void {
  toolSelections.set(server, keep);
}

export function registerTool<I extends z.ZodRawShape, O extends z.ZodRawShape>(
  server: McpServer,
  spec: ToolSpec<I, O>,
): void {
  if (toolSelections.get(server)?.(spec) === false) return;
  const inputSchema = z.object(spec.input).strict();
  const successSchema = z.object(spec.output);
  // tools/list shows compact 2020-12 JSON of these (tool-list.ts), not the SDK's rendering of the shapes below
  advertiseTool(server, spec.name, { input: z.object(spec.input), success: successSchema });
  server.registerTool(
    spec.name,
    {
      title: spec.title,
      description: spec.description,
      inputSchema: spec.input,
      // the SDK checks successes against it (non-strict: `notices` may ride along); error results skip it
      outputSchema: successSchema,
      // the top-level title is the one clients show; the annotation would say it twice in every list
      annotations: spec.annotations,
      ...(spec._meta ? { _meta: spec._meta } : {}),
    },
    (async (rawArgs: unknown, extra: ToolCallExtra): Promise<CallToolResult> => {
      const refused = forbiddenKeyError(rawArgs, spec.name);
      if (refused) return withNotices(server, errorResult(refused));
      const parsed = inputSchema.safeParse(rawArgs ?? {});
      if (!parsed.success) {
        return withNotices(
          server,
          errorResult(
            new FleetError(
              "INVALID_INPUT",
              `invalid arguments for ${spec.name}: ${describeIssues(parsed.error, rawArgs)}`,
              {
                hint: "fix the named fields and call again; nothing was sent or stored",
              },
            ),
          ),
        );
      }
      return answer(() => spec.handler(parsed.data, toolContext(extra, server)));
    }) as never,
  );

  /** The reply as it leaves: durable first, checked against the output schema, with the notices; errors as results. */
  async function answer(produce: () => Promise<ToolReply<unknown>>): Promise<CallToolResult> {
    try {
      const reply = await produce();
      await answerGates.get(server)?.();
      const shaped = successSchema.safeParse(reply.structured);
      if (!shaped.success) {
        throw new FleetError(
          "INTERNAL",
          `${spec.name} produced a result that does not match its output schema: ${describeIssues(shaped.error, reply.structured)}`,
        );
      }
      return withNotices(server, {
        // the text first (hosts show it), then links to the jobs and reports it names, for a host to open
        content: [{ type: "text", text: reply.text }, ...resourceLinksFor(spec.name, reply.structured)],
        structuredContent: reply.structured as Record<string, unknown>,
      });
    } catch (err) {
      return withNotices(server, errorResult(err));
    }
  }

  const run = spec.task;
  if (run) {
    // the same checks and job as a call without `task`; the answer is the one it gives once the job is done
    registerTaskTool(server, spec.name, {
      async start(rawArgs, extra) {
        const refused = forbiddenKeyError(rawArgs, spec.name);
        if (refused) throw refused;
        const parsed = inputSchema.safeParse(rawArgs ?? {});
        if (!parsed.success) {
          throw new FleetError(
            "INVALID_INPUT",
            `invalid arguments for ${spec.name}: ${describeIssues(parsed.error, rawArgs)}`,
            {
              hint: "fix the named fields and call again; nothing was sent or stored",
            },
          );
        }
        return run.start(parsed.data, toolContext(extra as ToolCallExtra, server));
      },
      answer: (started) => answer(() => run.finish(started, { waitSeconds: 0 }, idleContext())),
      ...(run.follow ? { follow: (job) => run.follow?.(job) } : {}),
      ...(run.progress ? { progress: (job, replay) => run.progress?.(job, replay) ?? Promise.resolve(null) } : {}),
    });
  }
}

/** For answers given outside a tools/call (tasks/result): nothing to abort, nobody to notify. */
function idleContext(): ToolContext {
  return { signal: new AbortController().signal, progress: async () => undefined, sessionId: undefined };
}

interface ToolCallExtra {
  signal: AbortSignal;
  sessionId?: string;
  _meta?: { progressToken?: string | number };
  sendNotification(n: { method: "notifications/progress"; params: Record<string, unknown> }): Promise<void>;
}

function toolContext(extra: ToolCallExtra & { requestId?: string | number }, server: McpServer): ToolContext {
  const token = extra._meta?.progressToken;
  // form mode: an empty `elicitation: {}` capability means form (the SDK normalises it to `{ form: {} }`)
  const canElicit = server.server.getClientCapabilities()?.elicitation?.form !== undefined;
  return {
    signal: extra.signal,
    sessionId: extra.sessionId,
    elicit: canElicit
      ? (params, { timeoutMs }) =>
          server.server.elicitInput(params, {
            signal: extra.signal,
            timeout: timeoutMs,
            ...(extra.requestId !== undefined ? { relatedRequestId: extra.requestId } : {}),
          })
      : undefined,
    progress: async ({ progress, total, message }) => {
      if (token === undefined) return;
      await extra
        .sendNotification({
          method: "notifications/progress",
          params: {
            progressToken: token,
            progress,
            ...(total !== undefined ? { total } : {}),
            ...(message ? { message } : {}),
          },
        })
        .catch(() => undefined);
    },
  };
}
