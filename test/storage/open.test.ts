import { describe, expect, it } from "vitest";
import { openStorage } from "../../src/storage/index.js";

describe("openStorage", () => {
  it("refuses a PostgreSQL URL with a clear error and a hint, instead of taking it for a file name", async () => {
    await expect(openStorage("postgres://fleet:secret@db.example:5432/fleet")).rejects.toMatchObject({
      code: "INVALID_INPUT",
      hint: expect.stringMatching(/SQLite file/),
    });
  });
});
