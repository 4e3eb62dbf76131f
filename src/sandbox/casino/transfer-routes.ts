import { HttpError } from "../http/http-error.js";
import { json } from "../http/reply.js";
import type { Route } from "../http/router.js";
import { randomHex } from "../ids.js";
import { requireAgent } from "./auth.js";
import type { CasinoContext } from "./context.js";

const MIN_TRANSFER_USD = 0.01;
const MAX_MEMO_CHARS = 200;

/**
 * `POST /stats/pay {to_agent_id, amount ≥ 0.01, memo?}`: an instant, irreversible agent-to-agent transfer. The
 * sender gets a `payment_sent` debit and the recipient a `payment_received` credit (service `payment`), both
 * referenced by the payment's `tx_id`.
 */
export function transferRoutes({ world }: CasinoContext): Route[] {
  return [
    {
      method: "POST",
      path: "/stats/pay",
      money: true,
      async handle(req) {
        const caller = requireAgent(world, req);
        const body = await req.json();
        // Re-read after the body arrives: another request may have moved this balance meanwhile.
        const sender = world.agents.byId(caller.id) ?? caller;
        const to = typeof body.to_agent_id === "string" ? body.to_agent_id.trim() : "";
        if (!to.startsWith("ag_")) {
          throw new HttpError(400, "invalid_recipient", "to_agent_id must be a casino agent id (ag_xxx)");
        }
        const amount = body.amount;
        if (typeof amount !== "number" || !Number.isFinite(amount) || amount < MIN_TRANSFER_USD) {
          throw new HttpError(
            400,
            "invalid_amount",
            `amount must be a JSON number ≥ 0.01 USD, got \`${JSON.stringify(amount) ?? "nothing"}\``,
          );
        }
        const memo = typeof body.memo === "string" ? body.memo.slice(0, MAX_MEMO_CHARS) : null;
        if (to === sender.id) throw new HttpError(400, "self_transfer", "Cannot pay yourself");
        if (!world.agents.byId(to)) throw new HttpError(404, "recipient_not_found", `Agent ${to} not found`);
        if (sender.balance_usd < amount) {
          throw new HttpError(
            400,
            "insufficient_balance",
            `Balance $${sender.balance_usd.toFixed(2)} is less than transfer $${amount.toFixed(2)}`,
          );
        }
        // Production's shape (purpleflea-api.md §12): the memo is echoed but stored nowhere, and both rows
        // carry only the payment id, so a lost answer cannot be found by a tag in the memo.
        const txId = `pay_${randomHex(8)}`;
        const newBalance = world.db.transaction(() => {
          const after = world.ledger.debit(sender.id, amount, {
            reason: "payment_sent",
            reference: txId,
            service: "payment",
          });
          if (after === null) throw new HttpError(400, "insufficient_balance", "Balance changed; transfer refused");
          world.ledger.credit(to, amount, { reason: "payment_received", reference: txId, service: "payment" });
          return after;
        })();
        return json({
          tx_id: txId,
          from: sender.id,
          to,
          amount,
          memo,
          sender_new_balance: newBalance,
          timestamp: new Date(world.clock.now()).toISOString(),
          message: `Sent $${amount.toFixed(2)} to ${to}`,
          note: "Transfers are instant and irreversible.",
        });
      },
    },
  ];
}
