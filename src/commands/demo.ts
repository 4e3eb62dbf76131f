/**
 * `pf-fleet demo`: the end-to-end demo. It starts pf-fleet over stdio exactly as an MCP host does (this same
 * CLI, in a child process, with a fresh database), connects with the MCP SDK's own client and drives the
 * tools against the embedded sandbox. Any failed step exits non-zero.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { DemoSession, findFreePorts } from "../demo/session.js";

const FLEET_SIZE = 4;
const BATCH_BETS = 50;

export async function run(argv: string[]): Promise<number> {
  if (argv.length) {
    process.stderr.write(`pf-fleet demo: takes no options, got ${argv.join(" ")}\n`);
    return 2;
  }
  const dir = mkdtempSync(join(tmpdir(), "pf-fleet-demo-"));
  // free ports for the embedded sandbox's four services, so a sandbox already running elsewhere does not collide
  const [sandboxPort] = await findFreePorts(4);
  const session = await DemoSession.start({
    cli: fileURLToPath(new URL("../cli.js", import.meta.url)),
    // every toolset: the demo walks through escrow, queues and schedules, which the default set leaves out
    env: {
      PF_DB: join(dir, "fleet.db"),
      PF_SANDBOX_PORT: String(sandboxPort),
      PF_TOOLSETS: "all",
      LOG_LEVEL: "warn",
    },
  });
  const started = Date.now();
  try {
    await demo(session);
    session.say(`\nDemo finished in ${((Date.now() - started) / 1000).toFixed(1)} s: every step succeeded.`);
    return 0;
  } catch (err) {
    process.stderr.write(`\npf-fleet demo FAILED: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  } finally {
    await session.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function demo(s: DemoSession): Promise<void> {
  s.heading("0. Connect over stdio");
  const tools = await s.client.listTools();
  s.say(`pf-fleet ${s.serverVersion} answered initialize; ${tools.tools.length} tools, mode: sandbox (embedded).`);

  s.heading(`1. Register a fleet of ${FLEET_SIZE} casino agents`);
  const agents: string[] = [];
  for (let i = 1; i <= FLEET_SIZE; i++) {
    const r = await s.call("register_agent", { label: `demo-${i}` });
    agents.push((r.structured.agent as { agent_id: string }).agent_id);
    s.say(r.text);
  }

  s.heading("2. Fund them through the faucet ($1 each, one claim per agent ever)");
  s.say(
    "Registering the first agent already claimed its $1 (the casino does that for the first registration in\n" +
      "24 h). The faucet allows one claim per IP per 24 h and every local caller shares one IP, so before each\n" +
      "claim the demo moves the sandbox's clock a day forward with sandbox_advance_clock (a sandbox-mode-only tool).",
  );
  for (const agent of agents) {
    await s.call("sandbox_advance_clock", { hours: 24.001 });
    const r = await s.call("claim_faucet", { agent_id: agent, wait_seconds: 30 });
    s.say(r.text);
  }

  s.heading(`3. A ${BATCH_BETS}-bet crash batch across the fleet (a chord of bets/batch jobs)`);
  const plan = await s.call("place_crash_batch", {
    count: BATCH_BETS,
    amount: 0.01,
    cash_out_at: 1.5,
    dry_run: true,
  });
  s.say(plan.text);
  const batch = await s.call("place_crash_batch", {
    count: BATCH_BETS,
    amount: 0.01,
    cash_out_at: 1.5,
    wait_seconds: 50,
  });
  s.say(batch.text);
  s.expect(batch.structured.status === "finished", `the batch did not finish: status ${batch.structured.status}`);

  s.heading("4. Escrow chain: create → counterparty completes → validate → release");
  const [creator, counterparty] = agents as [string, string];
  const chain = await s.call("create_escrow_chain", {
    agent_id: creator,
    counterparty_agent_id: counterparty,
    amount: 0.2,
    description: "demo: write the weekly summary",
    validation: "counterparty_completed",
    validation_wait_seconds: 60,
    wait_seconds: 5,
  });
  s.say(chain.text);
  const escrowId = chain.structured.escrow_id as string;
  s.expect(Boolean(escrowId), "the chain created no escrow");
  const completed = await s.call("complete_escrow", { escrow_id: escrowId, agent_id: counterparty, wait_seconds: 20 });
  s.say(completed.text);
  const chainJob = (chain.structured.job as { job_id: string }).job_id;
  const done = await s.call("job_status", { job_id: chainJob, wait_seconds: 50 });
  s.say(done.text);
  const escrow = await s.call("get_escrow", { escrow_id: escrowId });
  s.say(escrow.text);
  s.expect((escrow.structured.escrow as { status: string }).status === "released", "the escrow was not released");

  s.heading("5. Queues (Flower for an LLM) and the Beat schedule");
  s.say((await s.call("queue_stats", {})).text);
  s.say((await s.call("list_schedules", {})).text);

  s.heading("6. PnL report, reconciled against the server's balances");
  const report = await s.call("pnl_report", { period: "all", reconcile: true });
  s.say(report.text);
  const lines = (report.structured.reconciliation ?? []) as Array<{ ok: boolean; agent_id: string }>;
  s.expect(lines.length === FLEET_SIZE, `expected a reconciliation line per agent, got ${lines.length}`);
  const off = lines.filter((l) => !l.ok).map((l) => l.agent_id);
  s.expect(off.length === 0, `local ledger and server balance disagree for ${off.join(", ")}`);
}
