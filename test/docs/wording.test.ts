// Settings named as the face spells them (#27 finding 2), in what users read without running
// anything: the plugin's schema (hence its SDKs' docstrings) names its config `obdcr:`, never the
// dynamic resource's `ob-dcr:`; the dynamic resource's own docs keep `ob-dcr:`.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../package/offline_project.js";

const read = (f: string) => readFileSync(path.join(ROOT, f), "utf8");

describe("config keys in the docs users read", () => {
  it.each(["provider/native/schema.json", "sdk/python/pulumi_obdcr/_inputs.py", "sdk/nodejs/types/input.ts"])(
    "%s names the plugin's config obdcr:",
    (file) => {
      const text = read(file);
      expect(text).not.toMatch(/ob-dcr:(signingPrivateKey|transportKey)/);
      expect(text).toMatch(/obdcr:signingPrivateKey/);
    },
  );

  it("the dynamic resource's args name its config ob-dcr:", () => {
    expect(read("provider/resource/args_doc.ts")).toMatch(/`ob-dcr:signingPrivateKey`/);
  });
});
