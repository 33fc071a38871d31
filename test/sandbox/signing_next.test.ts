import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  bankToken,
  call,
  directoryAssertion,
  fetchSsa,
  form,
  postRegister,
  privateKey,
  registrationClaims,
  signRegistration,
} from "../support/reference_client.js";
import { startTestSandbox, type TestSandbox } from "../support/sandbox.js";

// The "next" PS256 key of a software: same alg as `signing`, another kid, published in the same
// JWKS, so a client can rotate its signing key without changing algorithm.
describe("signing_next (second PS256 key per software)", () => {
  let sb: TestSandbox;
  let ssa: string;
  beforeAll(async () => {
    sb = await startTestSandbox();
    ssa = await fetchSsa(sb);
  });
  afterAll(async () => sb?.close());
  const next = () => ({ kid: sb.sw.signing_next.kid, key: privateKey(sb.sw.signing_next.private_key_file) });

  it("is in the manifest like signing: PS256, its own kid, a 0600 PKCS#8 file in the software's folder", () => {
    const n = sb.sw.signing_next;
    expect(n.alg).toBe("PS256");
    expect(n.kid).not.toBe(sb.sw.signing.kid);
    expect(n.public_jwk).toMatchObject({ kid: n.kid, alg: "PS256", use: "sig", kty: "RSA" });
    expect(n.public_jwk.d).toBeUndefined();
    expect(path.basename(n.private_key_file)).toBe("signing-next.key.pem");
    expect(path.dirname(n.private_key_file)).toBe(path.dirname(sb.sw.signing.private_key_file));
    expect(fs.statSync(n.private_key_file).mode & 0o077).toBe(0);
    expect(fs.readFileSync(n.private_key_file, "utf8")).toMatch(/^-----BEGIN PRIVATE KEY-----/);
  });

  it("the software JWKS holds two usable PS256 kids (signing, signing_next) beside the ES256 and revoked keys", async () => {
    const res = await call(sb.agent, sb.sw.software_jwks_endpoint);
    expect(res.status).toBe(200);
    const ps256 = res.json.keys
      .filter((k: { alg: string }) => k.alg === "PS256")
      .map((k: { kid: string }) => k.kid);
    expect(ps256).toEqual(
      expect.arrayContaining([sb.sw.signing.kid, sb.sw.signing_next.kid, sb.sw.revoked_signing!.kid]),
    );
    const revoked = await call(sb.agent, sb.sw.software_jwks_revoked_endpoint);
    expect(revoked.json.keys.map((k: { kid: string }) => k.kid)).not.toContain(sb.sw.signing_next.kid);
  });

  it("the directory token endpoint accepts a client assertion signed with signing_next", async () => {
    const assertion = await directoryAssertion(sb.manifest, sb.sw, {
      header: { kid: next().kid },
      key: next().key,
    });
    const res = await call(sb.agent, sb.manifest.directory.token_endpoint, {
      method: "POST",
      ...form({
        grant_type: "client_credentials",
        client_id: sb.sw.software_id,
        client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        client_assertion: assertion,
        scope: sb.manifest.directory.scope,
      }),
    });
    expect(res.status, res.text).toBe(200);
    expect(res.json.access_token).toEqual(expect.any(String));
  });

  it("a bank accepts a registration JWT and token assertions signed with signing_next, and still the old key", async () => {
    const jwt = await signRegistration(sb, registrationClaims(sb, ssa), {
      header: { kid: next().kid },
      key: next().key,
    });
    const reg = await postRegister(sb, jwt);
    expect(reg.status, reg.text).toBe(201);
    const id = reg.json.client_id as string;
    const withNext = await bankToken(sb, id, { signer: next() });
    expect(withNext.status, withNext.text).toBe(200);
    expect((await bankToken(sb, id)).status).toBe(200);
  });
});
