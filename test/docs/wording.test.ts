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

describe("the README's table of tuning variables", () => {
  // A variable read from the environment by the transport or a signer (a timeout a pipeline needs
  // to know of) is in the README: OBDCR_PKCS11_TIMEOUT_MS and OBDCR_KMS_TIMEOUT_MS were not.
  it("names every OBDCR_* the transport or a signer reads", async () => {
    const { TRANSPORT_ENV } = await import("../../provider/http/transport_env.js");
    const readme = read("README.md");
    const signers = ["provider/signers/pkcs11.ts", "provider/signers/aws_kms.ts"].flatMap((f) =>
      [...read(f).matchAll(/env\.(OBDCR_[A-Z0-9_]+)/g)].map((m) => m[1]!),
    );
    expect(signers).toEqual(expect.arrayContaining(["OBDCR_PKCS11_TIMEOUT_MS", "OBDCR_KMS_TIMEOUT_MS"]));
    for (const name of [...TRANSPORT_ENV.map(([v]) => v), ...signers])
      expect(readme.includes(`\`${name}\``), name).toBe(true);
  });
});
