import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatUsd, microsToUsd, payoutMicros, usdToMicros } from "../../src/money.js";

describe("micro-USD", () => {
  it("converts server floats to whole micros, absorbing float noise", () => {
    expect(usdToMicros(0.5469999999999999)).toBe(547_000);
    expect(usdToMicros(0.1 + 0.2)).toBe(300_000);
    expect(microsToUsd(1_234_567)).toBe(1.234567);
  });

  it("rejects amounts that are not finite", () => {
    expect(() => usdToMicros(Number.NaN)).toThrow(/finite number of USD, got `NaN`/);
    expect(() => usdToMicros(Number.POSITIVE_INFINITY)).toThrow(RangeError);
  });

  it("computes the exact credit the server makes, not the response's 2-dp rounding", () => {
    // purpleflea-api.md §11: $0.03 at 1.37× credits $0.0411 while the response says 0.04
    expect(payoutMicros(30_000, 1.37)).toBe(41_100);
    expect(payoutMicros(10_000, 1.99)).toBe(19_900);
    expect(payoutMicros(70_000, 1.0152)).toBe(71_064);
  });

  it("sums of converted stakes equal the conversion of the exact sum (no float drift)", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 100_000 }), { maxLength: 200 }), (cents) => {
        const micros = cents.map((c) => usdToMicros(c / 100));
        const total = micros.reduce((a, b) => a + b, 0);
        expect(total).toBe(cents.reduce((a, b) => a + b, 0) * 10_000);
      }),
    );
  });

  it("formats exactly, with sign and rounding", () => {
    expect(formatUsd(1_234_567)).toBe("1.23");
    expect(formatUsd(1_235_000)).toBe("1.24");
    expect(formatUsd(-50_000)).toBe("-0.05");
    expect(formatUsd(-4)).toBe("0.00");
    expect(formatUsd(41_100, 4)).toBe("0.0411");
    expect(formatUsd(12_000_000, 0)).toBe("12");
    expect(formatUsd(7, 6)).toBe("0.000007");
  });
});
