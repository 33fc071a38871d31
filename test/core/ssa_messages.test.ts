/**
 * An SSA's claims and header are the directory's text: where they enter an error message they are
 * bounded (core/untrusted.ts `untrustedText`), as bank text is; every error's constructor escapes
 * controls. Before, an SSA with a 700 KB `iss` made a 700 KB error line.
 */
import * as jose from "jose";
import { describe, expect, it } from "vitest";
import { ssaView, validateSsaView } from "../../provider/core/directory/ssa_view.js";
import type { Jwks } from "../../provider/core/schemas/common.js";
import { validateSsaClaims } from "../../provider/core/validate/ssa_claims.js";
import { createContext } from "../../provider/http/context.js";
import { verifySsa } from "../../provider/http/ssa_verify.js";

const FORGED = `x\n::error::from the directory\r\u001b[2K\u009b2K##vso[task.complete result=Succeeded]${"A".repeat(20_000)}`;
// biome-ignore lint/suspicious/noControlCharactersInRegex: the point of the check
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

function expectPrintable(message: string): void {
  expect(message).not.toMatch(CONTROL);
  expect(message.length).toBeLessThan(1000);
}

function thrown(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error("did not throw");
}

const claims = {
  iss: "OpenBanking Ltd",
  software_id: "sw-1",
  org_id: "org-1",
  org_status: "Active",
  software_roles: ["AISP"],
};
const expected = { issuers: ["OpenBanking Ltd"], software_id: "sw-1", org_id: "org-1", now: 1_800_000_000 };

describe("SSA claims in error messages", () => {
  it.each(["iss", "software_id", "org_id", "org_status"])("%s is quoted bounded and escaped", (claim) => {
    const hostile = { ...claims, [claim]: FORGED };
    const e1 = thrown(() => validateSsaView(ssaView("ob-directory", hostile), expected));
    expect((e1 as { claim?: string }).claim).toBe(claim);
    expectPrintable(e1.message);
    const e2 = thrown(() =>
      validateSsaClaims(hostile, {
        issuer: "OpenBanking Ltd",
        software_id: "sw-1",
        org_id: "org-1",
        now: 1_800_000_000,
      }),
    );
    expectPrintable(e2.message);
  });

  it("the header's kid and alg are quoted bounded and escaped", async () => {
    const ours = await jose.generateKeyPair("PS256", { extractable: true });
    const other = await jose.generateKeyPair("PS256", { extractable: true });
    const jwks: Jwks = {
      keys: [{ ...(await jose.exportJWK(ours.publicKey)), kty: "RSA", kid: "ours", alg: "PS256" }],
    };
    const sign = (alg: string, kid: string) =>
      new jose.SignJWT({ ...claims, iat: 1_800_000_000 })
        .setProtectedHeader({ alg, kid })
        .sign(other.privateKey);
    const v = { issuer: "OpenBanking Ltd", software_id: "sw-1", org_id: "org-1", jwks, tls: {} };
    const ctx = createContext({ now: () => 1_800_000_000 });
    const kid = await verifySsa(ctx, await sign("PS256", FORGED), v).catch((e: Error) => e);
    expect((kid as { code?: string }).code).toBe("OBDCR_SSA_INVALID");
    expectPrintable((kid as Error).message);
    const [, p, s] = (await sign("PS256", "ours")).split(".");
    const header = Buffer.from(JSON.stringify({ alg: FORGED, kid: "ours" })).toString("base64url");
    const alg = await verifySsa(ctx, `${header}.${p}.${s}`, v).catch((e: Error) => e);
    expect((alg as { claim?: string }).claim).toBe("alg");
    expectPrintable((alg as Error).message);
  });
});
