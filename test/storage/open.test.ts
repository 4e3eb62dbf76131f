import { describe, expect, it } from "vitest";
import { openStorage } from "../../src/storage/index.js";

describe("openStorage", () => {
  it("takes a postgres:// URL for PostgreSQL; one that is down is STORAGE_UNAVAILABLE with a hint, and no password in it", async () => {
    const err = await openStorage("postgres://fleet:s3cret-pw@127.0.0.1:1/fleet").then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: "STORAGE_UNAVAILABLE", hint: expect.stringMatching(/PostgreSQL is down/) });
    expect(JSON.stringify(err)).not.toContain("s3cret-pw");
    expect(String((err as Error).message)).not.toContain("s3cret-pw");
  });
});
