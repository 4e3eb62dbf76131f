import type { RunningSandbox, SandboxOptions } from "../../src/sandbox/index.js";
import { startSandbox } from "../../src/sandbox/index.js";

export type Service = "casino" | "escrow" | "faucet" | "domains";

export interface CallResult {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary response fields
  body: any;
  text: string;
  headers: Headers;
}

export interface CallOptions {
  body?: unknown;
  /** sent verbatim instead of JSON.stringify(body) */
  rawBody?: string;
  key?: string;
  headers?: Record<string, string>;
}

/** A sandbox on ephemeral ports; rate limits are off unless a test asks for them. */
export function startTestSandbox(opts: SandboxOptions = {}): Promise<RunningSandbox> {
  return startSandbox({ rateLimits: false, ...opts });
}

export async function call(
  sb: RunningSandbox,
  service: Service,
  method: string,
  path: string,
  opts: CallOptions = {},
): Promise<CallResult> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.key) headers.authorization = `Bearer ${opts.key}`;
  let payload: string | undefined = opts.rawBody;
  if (payload === undefined && opts.body !== undefined) payload = JSON.stringify(opts.body);
  if (payload !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(`${sb.urls[service]}${path}`, { method, headers, body: payload });
  const text = await res.text();
  const isJson = res.headers.get("content-type")?.includes("application/json") ?? false;
  return { status: res.status, body: isJson ? JSON.parse(text) : undefined, text, headers: res.headers };
}

export async function control(sb: RunningSandbox, method: string, path: string, body?: unknown): Promise<CallResult> {
  const res = await fetch(`${sb.controlUrl}/_sandbox/${path}`, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, text, headers: res.headers };
}

export interface TestAgent {
  agentId: string;
  apiKey: string;
  referralCode: string;
}

/** Registers a casino agent and, when `fund` is given, funds it to exactly that balance on top of any faucet $1. */
export async function registerAgent(
  sb: RunningSandbox,
  opts: { fund?: number; referralCode?: string; riskFactor?: number } = {},
): Promise<TestAgent> {
  const res = await call(sb, "casino", "POST", "/auth/register", {
    body: opts.referralCode ? { referral_code: opts.referralCode } : {},
  });
  if (res.status !== 201) throw new Error(`register failed: ${res.status} ${res.text}`);
  const agent = { agentId: res.body.agent_id, apiKey: res.body.api_key, referralCode: res.body.referral_code };
  if (opts.fund !== undefined) sb.fund(agent.agentId, opts.fund);
  if (opts.riskFactor !== undefined) {
    const set = await call(sb, "casino", "PUT", "/kelly/config", {
      key: agent.apiKey,
      body: { risk_factor: opts.riskFactor },
    });
    if (set.status !== 200) throw new Error(`kelly/config failed: ${set.text}`);
  }
  return agent;
}

/** Parses the export CSV (no quoted commas in sandbox data except client seeds, which tests keep plain). */
export function parseCsv(text: string): Array<Record<string, string>> {
  const [header, ...rows] = text.split("\r\n");
  const columns = (header ?? "").split(",");
  return rows.map((row) => Object.fromEntries(row.split(",").map((cell, i) => [columns[i] as string, cell])));
}
