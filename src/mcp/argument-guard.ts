import { FleetError } from "../errors.js";

/**
 * Checks on a tool's raw arguments made before anything else looks at them.
 *
 * Keys named `__proto__`, `constructor` or `prototype` are refused wherever they sit. JSON.parse makes an own
 * `__proto__` key, which the SDK's request parsing then drops silently: `{"__proto__": {"dry_run": true}}` would
 * reach the tool as `{}` and place a real bet. Refusing the key, rather than dropping it, tells the caller.
 */

const FORBIDDEN_KEYS = new Set(["__proto__", "constructor", "prototype"]);

/** the longest echo of a caller's value in an error message */
export const ECHO_LIMIT = 200;

/** INVALID_INPUT naming the first forbidden key and where it is; undefined when there is none */
export function forbiddenKeyError(args: unknown, tool: string): FleetError | undefined {
  const path = forbiddenKeyPath(args);
  if (path === undefined) return undefined;
  const key = path.at(-1) as string;
  return new FleetError(
    "INVALID_INPUT",
    `invalid arguments for ${tool}: ${clip(path.join("."))}: a key named \`${key}\` is not accepted anywhere in the arguments`,
    {
      hint: `drop or rename the \`${key}\` key (${[...FORBIDDEN_KEYS].join(", ")} are refused); nothing was sent or stored`,
    },
  );
}

/** the path to the first own key named like an Object.prototype internal, walking objects and arrays */
export function forbiddenKeyPath(value: unknown): string[] | undefined {
  // iterative: a deeply nested input must not overflow the stack
  const stack: Array<{ value: unknown; path: string[] }> = [{ value, path: [] }];
  while (stack.length) {
    const { value: node, path } = stack.pop() as { value: unknown; path: string[] };
    if (node === null || typeof node !== "object") continue;
    const keys = Array.isArray(node) ? node.map((_, i) => String(i)) : Object.keys(node);
    for (const key of keys) {
      if (!Array.isArray(node) && FORBIDDEN_KEYS.has(key)) return [...path, key];
      stack.push({ value: (node as Record<string, unknown>)[key], path: [...path, key] });
    }
  }
  return undefined;
}

/** `text` cut to `limit` characters, saying how long it was: a 180 kB value must not make 180 kB of error */
export function clip(text: string, limit = ECHO_LIMIT): string {
  if (text.length <= limit) return text;
  let end = limit;
  // never split a surrogate pair
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end--;
  return `${text.slice(0, end)}… (${text.length} characters)`;
}
