// --timeout / OBDCR_TIMEOUT: a bad value names where it came from (docs/cli.md "Flags").
import { describe, expect, it } from "vitest";
import { timeoutMs } from "../../provider/cli/config.js";

describe("timeout", () => {
  it("a bad OBDCR_TIMEOUT is named as the variable, a bad --timeout as the flag", () => {
    expect(() => timeoutMs(undefined, { OBDCR_TIMEOUT: "abc" })).toThrow(/OBDCR_TIMEOUT/);
    expect(() => timeoutMs("abc", { OBDCR_TIMEOUT: "5" })).toThrow(/--timeout/);
    expect(timeoutMs(undefined, { OBDCR_TIMEOUT: "2.5" })).toBe(2500);
  });
});
