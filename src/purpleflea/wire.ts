import { z } from "zod";
import { MICROS_PER_USD, usdToMicros } from "../money.js";

/**
 * zod building blocks for Purple Flea response bodies. Objects are non-strict (unknown keys such as the
 * injected `_info` are dropped, never rejected); USD floats become integer micro-USD here and nowhere else.
 */

/** A raw USD float that converts to micro-USD without overflow. */
export const usdFloat = z
  .number()
  .refine((n) => Number.isSafeInteger(Math.round(n * MICROS_PER_USD)), "amount is out of range");

/** A USD JSON number → integer micro-USD. */
export const usd = usdFloat.transform((n) => usdToMicros(n));

/** Optional text that the API may omit or send as null → `string | null`. */
export const optionalText = z
  .string()
  .nullish()
  .transform((v) => v ?? null);

/** A USD amount sent as text (the faucet stats, some proxies) or as a number. */
export const usdNumberOrText = z
  .union([
    z.number(),
    z
      .string()
      .regex(/^-?\d+(\.\d+)?$/)
      .transform(Number),
  ])
  .pipe(usd);
