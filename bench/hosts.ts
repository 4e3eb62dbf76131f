/**
 * "Machines" for the multi-host tests: Linux network namespaces on a bridge in the root namespace, each with an IP
 * of its own, so processes started in them reach the root namespace's services (PostgreSQL, the sandbox) over a
 * real network and those services see each machine as a different peer. Needs root and iproute2. Every name
 * carries a per-run suffix, and `remove()` takes down whatever `createHosts` made, also after a failure half-way.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes, randomInt } from "node:crypto";
import { existsSync } from "node:fs";

export interface Host {
  /** h1, h2, … */
  name: string;
  netns: string;
  ip: string;
}

export interface HostNetwork {
  /** the bridge's address: where the hosts reach the root namespace's services */
  gateway: string;
  /** e.g. 10.37.201.0/24 */
  subnet: string;
  hosts: Host[];
  remove(): void;
}

function ip(...args: string[]): string {
  return execFileSync("ip", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

function stderrOf(err: unknown): string {
  const e = err as { stderr?: string; message?: string };
  return (e.stderr || e.message || String(err)).trim();
}

/** why hosts cannot be made here, or undefined when they can */
export function netnsUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return "needs root (it creates network namespaces)";
  const probe = `pf-probe-${randomBytes(3).toString("hex")}`;
  try {
    ip("netns", "add", probe);
  } catch (err) {
    return `\`ip netns add\` failed: ${stderrOf(err)}`;
  }
  try {
    ip("netns", "del", probe);
  } catch {
    // removed with the probe's name on the next reboot at worst
  }
  return undefined;
}

/** A 10.x.y.0/24 no interface or route here uses yet. */
function freeSubnet(): string {
  const taken = `${ip("-o", "addr")}\n${ip("route")}`;
  for (let i = 0; i < 50; i++) {
    const prefix = `10.${randomInt(16, 250)}.${randomInt(0, 256)}`;
    if (!taken.includes(`${prefix}.`)) return prefix;
  }
  throw new Error("no free 10.x.y.0/24 subnet found for the test hosts");
}

/** A bridge `pfbr<suffix>` at 10.x.y.1 and one namespace `pf-<suffix>-<name>` per name at 10.x.y.11, .12, … */
export function createHosts(names: readonly string[]): HostNetwork {
  const suffix = randomBytes(3).toString("hex");
  const prefix = freeSubnet();
  const bridge = `pfbr${suffix}`;
  // undo steps, run newest first by remove()
  const undo: Array<() => void> = [];
  const remove = () => {
    for (const step of undo.splice(0).reverse()) {
      try {
        step();
      } catch {
        // already gone (a namespace takes its end of a veth pair with it)
      }
    }
  };
  try {
    ip("link", "add", bridge, "type", "bridge");
    undo.push(() => ip("link", "del", bridge));
    ip("addr", "add", `${prefix}.1/24`, "dev", bridge);
    ip("link", "set", bridge, "up");
    const hosts = names.map((name, i): Host => {
      const netns = `pf-${suffix}-${name}`;
      const veth = `pfv${suffix}${i}`; // interface names are at most 15 characters
      ip("netns", "add", netns);
      undo.push(() => ip("netns", "del", netns));
      ip("link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", netns);
      undo.push(() => ip("link", "del", veth));
      ip("link", "set", veth, "master", bridge, "up");
      const addr = `${prefix}.${11 + i}`;
      ip("-n", netns, "addr", "add", `${addr}/24`, "dev", "eth0");
      ip("-n", netns, "link", "set", "eth0", "up");
      ip("-n", netns, "link", "set", "lo", "up");
      ip("-n", netns, "route", "add", "default", "via", `${prefix}.1`);
      return { name, netns, ip: addr };
    });
    return { gateway: `${prefix}.1`, subnet: `${prefix}.0/24`, hosts, remove };
  } catch (err) {
    remove();
    throw err;
  }
}

/** argv that runs `command` inside the host (`ip netns exec` execs it: the child's pid is the command's) */
export function inHost(host: Host, command: readonly string[]): string[] {
  return ["ip", "netns", "exec", host.netns, ...command];
}

/** libfaketime, Debian's path (`apt-get install libfaketime`) */
export const FAKETIME_LIB = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1";

/**
 * `env` argv that runs a command with its wall clock `offset` off ("+7s", "-5s"), monotonic time untouched, or
 * undefined when libfaketime is missing or does not move node's Date.now() here.
 */
export function skewedClock(offset: string): string[] | undefined {
  if (!existsSync(FAKETIME_LIB)) return undefined;
  const prefix = ["env", `LD_PRELOAD=${FAKETIME_LIB}`, `FAKETIME=${offset}`, "FAKETIME_DONT_FAKE_MONOTONIC=1"];
  const before = Date.now();
  const out = spawnSync(prefix[0] as string, [...prefix.slice(1), process.execPath, "-p", "Date.now()"], {
    encoding: "utf8",
  });
  const after = Date.now();
  const seen = Number(out.stdout.trim());
  const wanted = Number.parseFloat(offset) * 1_000;
  // the child read its clock somewhere between `before` and `after`
  const ok = seen - after <= wanted + 1_000 && seen - before >= wanted - 1_000;
  return ok ? prefix : undefined;
}
