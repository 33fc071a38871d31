// The demo's stack name (docs/migration.md: a set OB_DCR_* variable is refused with its new name).
import { describe, expect, it } from "vitest";
import { demoStackName } from "../../scripts/lib/pulumi_stack.js";

describe("demo stack name", () => {
  it("refuses OB_DCR_STACK with its new name", () => {
    expect(() => demoStackName({ OB_DCR_STACK: "prod" })).toThrow(
      "OB_DCR_STACK was renamed: set OBDCR_STACK instead",
    );
  });
  it("takes OBDCR_STACK, else dev", () => {
    expect(demoStackName({ OBDCR_STACK: "prod" })).toBe("prod");
    expect(demoStackName({})).toBe("dev");
  });
});
