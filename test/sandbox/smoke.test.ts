import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { register, startTestSandbox, type TestSandbox } from "./helpers.js";

describe("smoke", () => {
  let sb: TestSandbox;
  beforeAll(async () => {
    sb = await startTestSandbox();
  });
  afterAll(async () => sb?.close());
  it("registers", async () => {
    const res = await register(sb);
    expect(res.status, res.text).toBe(201);
  });
});
