import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { ListToolsResult } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import { wrapSdkRequestHandler } from "./sdk-handlers.js";

/**
 * The tool list as clients see it. The SDK would advertise draft-07 JSON with every success field optional (so
 * that error results validate); pf-fleet advertises compact JSON Schema 2020-12 instead (no `$schema`, so no
 * validator mistakes the dialect), where an output schema states what a success really holds — its required
 * fields required — and error results validate through the other branch of one `anyOf`:
 *
 *   { type: "object", properties: {…}, anyOf: [{ required: [success fields] }, { required: ["error"], … }] }
 *
 * The list is context a model pays for in every conversation, so the JSON says each thing once and nothing
 * that cannot be false (`additionalProperties: false`, 2^53 integer bounds, `propertyNames: string`).
 */

type JsonSchema = Record<string, unknown>;

interface ToolSchemas {
  input: z.ZodObject;
  success: z.ZodObject;
  /** filled at the first tools/list of the server, then reused */
  json?: { inputSchema: JsonSchema; outputSchema: JsonSchema };
}

const advertised = new WeakMap<McpServer, Map<string, ToolSchemas>>();

/** Every JSON type: what a node that may hold any JSON value declares, so no node goes untyped. */
export const ANY_JSON_TYPE = ["object", "array", "string", "number", "boolean", "null"];
const SAFE_INTEGER_BOUND = Number.MAX_SAFE_INTEGER;

/**
 * Records the zod shapes whose JSON `tools/list` advertises for `name`, and makes sure the server's list goes
 * through `compactToolList`. Call before `server.registerTool` (the SDK installs its list handler at the first).
 */
export function advertiseTool(server: McpServer, name: string, schemas: { input: z.ZodObject; success: z.ZodObject }) {
  let tools = advertised.get(server);
  if (!tools) {
    tools = new Map();
    advertised.set(server, tools);
    rewriteToolList(server, tools);
  }
  tools.set(name, { ...schemas });
}

/** Every `tools/list` answer passes `compactTools`. */
function rewriteToolList(server: McpServer, tools: Map<string, ToolSchemas>): void {
  wrapSdkRequestHandler(
    server,
    "tools/list",
    (sdkList) => async (req, extra) => compactTools((await sdkList(req, extra)) as ListToolsResult, tools),
  );
}

function compactTools(result: ListToolsResult, tools: Map<string, ToolSchemas>): ListToolsResult {
  return {
    ...result,
    tools: result.tools.map((tool) => {
      const own = tools.get(tool.name);
      const { execution, ...rest } = tool;
      // `forbidden` is what an absent `execution` means: saying it costs every tool 40 characters
      const keepExecution =
        execution && Object.keys(execution).some((k) => k !== "taskSupport" || execution[k] !== "forbidden");
      const schemas = own ? ownJson(own) : sdkJson(tool);
      return { ...rest, ...schemas, ...(keepExecution ? { execution } : {}) } as ListToolsResult["tools"][number];
    }),
  };
}

function ownJson(own: ToolSchemas): { inputSchema: JsonSchema; outputSchema: JsonSchema } {
  own.json ??= { inputSchema: inputJson(own.input), outputSchema: outputJson(own.success) };
  return own.json;
}

/** A tool registered some other way: its SDK JSON, compacted the same way (its output schema as it is). */
function sdkJson(tool: ListToolsResult["tools"][number]): { inputSchema: JsonSchema; outputSchema?: JsonSchema } {
  return {
    inputSchema: compactSchema(tool.inputSchema as JsonSchema),
    ...(tool.outputSchema ? { outputSchema: compactSchema(tool.outputSchema as JsonSchema) } : {}),
  };
}

export function inputJson(input: z.ZodObject): JsonSchema {
  return compactSchema(z.toJSONSchema(input, { target: "draft-2020-12", io: "input" }) as JsonSchema);
}

/**
 * A success holds every required field; an error result (`isError: true`) holds `error` (and perhaps `notices`)
 * instead. A tool whose success has an `error` field of its own (a job's last error) keeps its shape for it,
 * and the error branch asks for an object there (a success's own `error` may be null).
 *
 * The top level is always complete (every field, its type, whether it is required). Nested detail is cut from
 * the deepest level up until the schema fits OUTPUT_SCHEMA_BUDGET characters: a cut object keeps its type and
 * description. A model reads the detail in the result itself; the list is paid for in every conversation.
 */
export function outputJson(success: z.ZodObject): JsonSchema {
  const full = compactSchema(z.toJSONSchema(success, { target: "draft-2020-12", io: "output" }) as JsonSchema);
  const ownError = "error" in ((full.properties as JsonSchema | undefined) ?? {});
  const errorBranch = ownError
    ? { required: ["error"], properties: { error: { type: "object" } } }
    : { required: ["error"] };
  let fitted = full;
  for (const depth of [4, 3, 2, 1]) {
    if (JSON.stringify(fitted).length <= OUTPUT_SCHEMA_BUDGET) break;
    fitted = cutBelow(full, depth);
  }
  const { required = [], ...rest } = fitted as { required?: string[] };
  return { ...rest, anyOf: [{ required }, errorBranch] };
}

/** Characters an output schema may take before its deepest nested detail is cut. */
export const OUTPUT_SCHEMA_BUDGET = 600;

/**
 * The schema with objects nested deeper than `depth` levels reduced to their type and description. An array's
 * items sit at the array's own level: a list of rows keeps the rows' fields as long as the list is kept.
 */
function cutBelow(node: JsonSchema, depth: number): JsonSchema {
  const out: JsonSchema = { ...node };
  if (out.properties) {
    if (depth === 0) {
      delete out.properties;
      delete out.required;
    } else {
      out.properties = Object.fromEntries(
        Object.entries(out.properties as JsonSchema).map(([k, v]) => [k, cutBelow(v as JsonSchema, depth - 1)]),
      );
    }
  }
  for (const key of ["items", "additionalProperties"]) {
    if (typeof out[key] === "object") out[key] = cutBelow(out[key] as JsonSchema, depth);
  }
  if (Array.isArray(out.anyOf)) out.anyOf = (out.anyOf as JsonSchema[]).map((s) => cutBelow(s, depth));
  return out;
}

/** The JSON without what cannot be false or is said elsewhere, and with a type on every node. */
export function compactSchema(schema: JsonSchema): JsonSchema {
  const { $schema: _dialect, ...rest } = schema;
  return compactNode(rest) as JsonSchema;
}

function compactNode(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(compactNode);
  if (node === null || typeof node !== "object") return node;
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === "additionalProperties" && value === false) continue;
    if (key === "propertyNames" && isPlainString(value)) continue;
    if ((key === "minimum" || key === "maximum") && Math.abs(value as number) === SAFE_INTEGER_BOUND) continue;
    const compacted = compactKey(key, value);
    if (compacted !== undefined) out[key] = compacted;
  }
  // an array that says what it holds speaks for its items (agent_ids: "fleet agents to bet with")
  if (typeof out.description === "string" && isObject(out.items) && "description" in out.items) {
    const { description: _said, ...items } = out.items;
    out.items = items;
  }
  return Array.isArray(out.anyOf) ? mergeNullable(out) : out;
}

function isObject(value: unknown): value is JsonSchema {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Keys whose value maps names to schemas, keys whose value is a schema, keys whose value lists schemas. */
const SCHEMA_MAPS = new Set(["properties", "$defs", "patternProperties"]);
const SCHEMAS = new Set(["items", "additionalProperties", "contains", "not"]);
const SCHEMA_LISTS = new Set(["anyOf", "oneOf", "allOf", "prefixItems"]);

function compactKey(key: string, value: unknown): unknown {
  const schema = (v: unknown) => typed(compactNode(v) as JsonSchema);
  if (SCHEMA_MAPS.has(key)) {
    return Object.fromEntries(Object.entries(value as JsonSchema).map(([k, v]) => [k, schema(v)]));
  }
  // a record of any JSON values says no more than a bare object: its `additionalProperties` goes
  if (key === "additionalProperties" && isEmptySchema(value)) return undefined;
  if (SCHEMAS.has(key) && typeof value === "object") return schema(value);
  if (SCHEMA_LISTS.has(key) && Array.isArray(value)) return value.map(schema);
  return compactNode(value);
}

function isEmptySchema(value: unknown): boolean {
  return typeof value === "object" && value !== null && Object.keys(value).length === 0;
}

function isPlainString(value: unknown): boolean {
  return (
    typeof value === "object" &&
    value !== null &&
    Object.keys(value).length === 1 &&
    (value as JsonSchema).type === "string"
  );
}

/** A node that says nothing about its type (zod's `unknown`) may hold any JSON value, and says so. */
function typed(node: JsonSchema): JsonSchema {
  const constrained = ["type", "anyOf", "oneOf", "allOf", "$ref", "enum", "const", "not"].some((k) => k in node);
  return constrained ? node : { ...node, type: ANY_JSON_TYPE };
}

/**
 * `anyOf: [{type: "object", …}, {type: "null"}]` → `type: ["object", "null"]` (and `null` among an enum's
 * values): the same schema, said shorter.
 */
function mergeNullable(node: JsonSchema): JsonSchema {
  const { anyOf, ...rest } = node as { anyOf: JsonSchema[] } & JsonSchema;
  if (anyOf.length !== 2) return node;
  const [first, second] = anyOf as [JsonSchema, JsonSchema];
  const isNull = Object.keys(second).length === 1 && second.type === "null";
  if (!isNull || typeof first.type !== "string" || "const" in first || Object.keys(first).some((k) => k in rest)) {
    return node;
  }
  const nullable = { ...rest, ...first, type: [first.type, "null"] };
  return Array.isArray(first.enum) ? { ...nullable, enum: [...first.enum, null] } : nullable;
}
