import { existsSync, readFileSync, writeFileSync } from "node:fs";

/** Replaces (or appends) the `<!-- bench:NAME:start -->…end` section of a Markdown file, leaving the rest. */
export function replaceSection(path: string, name: string, body: string): void {
  const start = `<!-- bench:${name}:start -->`;
  const end = `<!-- bench:${name}:end -->`;
  const section = `${start}\n${body}\n${end}`;
  const current = existsSync(path) ? readFileSync(path, "utf8") : "# pf-fleet benchmarks\n";
  const next =
    current.includes(start) && current.includes(end)
      ? current.slice(0, current.indexOf(start)) + section + current.slice(current.indexOf(end) + end.length)
      : `${current.trimEnd()}\n\n${section}\n`;
  writeFileSync(path, next);
}
