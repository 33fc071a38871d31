/**
 * An AWS KMS endpoint that accepts the connection and never answers (a stalled proxy or VPC
 * endpoint). The faces open the signing key in `check` (the material's identity) and before each
 * step, so a KMS call with no end held `pulumi preview` for ever: the SDK sets no request timeout
 * of its own. Each call now ends within OBDCR_KMS_TIMEOUT_MS, a SignerError naming the endpoint.
 */
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openSigner } from "../../provider/signers/index.js";

let server: net.Server;
let port = 0;
const held: net.Socket[] = [];
const saved = { ...process.env };

beforeAll(async () => {
  server = net.createServer((s) => {
    held.push(s); // read the request, answer nothing
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  port = (server.address() as net.AddressInfo).port;
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: "local",
    AWS_SECRET_ACCESS_KEY: "local-secret-never-printed",
    AWS_REGION: "eu-west-2",
    OBDCR_KMS_TIMEOUT_MS: "1500",
  });
});

afterAll(async () => {
  for (const s of held) s.destroy();
  await new Promise((r) => server.close(r));
  for (const k of ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION", "OBDCR_KMS_TIMEOUT_MS"])
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
});

describe("AWS KMS: a stalled endpoint", () => {
  it("opening the key ends within the KMS timeout: OBDCR_SIGNER unavailable naming the endpoint", async () => {
    const t0 = Date.now();
    const e = await openSigner({
      kid: "kms-es",
      alg: "ES256",
      aws_kms: { key_id: "stalled-key", region: "eu-west-2", endpoint: `http://127.0.0.1:${port}` },
    }).then(
      () => undefined,
      (x: { code?: string; field?: string; reason?: string; message: string }) => x,
    );
    expect(Date.now() - t0).toBeLessThan(6000);
    expect(held.length).toBeGreaterThan(0);
    expect(e).toMatchObject({
      code: "OBDCR_SIGNER",
      field: "signing_key.aws_kms.endpoint",
      reason: "unavailable",
    });
    expect(e?.message).not.toContain("local-secret-never-printed");
  }, 15_000);
});
