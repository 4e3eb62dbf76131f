import type { Reply } from "./reply.js";
import type { ApiRequest } from "./request.js";

export type HttpMethod = "GET" | "POST" | "PUT";

export interface Route {
  method: HttpMethod;
  /** pattern relative to the service base, e.g. `/escrow/complete/:id` */
  path: string;
  /** moves money: the only requests `scope: "money"` faults hit */
  money?: boolean;
  /** the services' per-IP limiter (key = full path + IP), answered with `429 rate_limited` */
  ipLimit?: { name: string; max: number };
  handle(req: ApiRequest): Reply | Promise<Reply>;
}

export interface RouteMatch {
  route: Route;
  params: Record<string, string>;
}

interface CompiledRoute {
  route: Route;
  segments: string[];
}

/** Method + path-pattern matching; routes are tried in the order given, so list static paths first. */
export class Router {
  readonly #routes: CompiledRoute[];

  constructor(routes: readonly Route[]) {
    this.#routes = routes.map((route) => ({ route, segments: split(route.path) }));
  }

  match(method: string, path: string): RouteMatch | undefined {
    const parts = split(path);
    for (const { route, segments } of this.#routes) {
      if (route.method !== method || segments.length !== parts.length) continue;
      const params = matchSegments(segments, parts);
      if (params) return { route, params };
    }
    return undefined;
  }
}

function split(path: string): string[] {
  return path.split("/").filter((s) => s !== "");
}

function matchSegments(pattern: string[], parts: string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const expected = pattern[i] as string;
    const actual = parts[i] as string;
    if (expected.startsWith(":")) {
      try {
        params[expected.slice(1)] = decodeURIComponent(actual);
      } catch {
        return undefined;
      }
    } else if (expected !== actual) {
      return undefined;
    }
  }
  return params;
}
