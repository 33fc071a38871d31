// TLS: an untrusted server certificate, a hostname mismatch and a missing client certificate are
// refused with a clear error; and no code path turns verification off (a static check).
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ObDcrError } from "../../provider/core/errors.js";
import { createContext } from "../../provider/http/context.js";
import { processRegistrationResponse, registrationRequest } from "../../provider/http/dcr.js";
import { closeAgents } from "../../provider/http/transport.js";
import { createRegistration } from "../../provider/lifecycle/registration.js";
import type { Sandbox } from "../../sandbox/index.js";
import { coreParams, read } from "../support/params.js";
import { startTestSandbox } from "../support/sandbox.js";
import { type TinyServer, tinyHttpsServer } from "./helpers.js";

const ROOT = path.resolve(__dirname, "../..");

describe("TLS is verified and refusals say why", () => {
  let sb: Sandbox;
  let other: TinyServer;
  beforeAll(async () => {
    sb = await startTestSandbox({ prefix: "rel-tls" });
    // The sandbox server certificate (SANs localhost, 127.0.0.1), served on another loopback address.
    other = await tinyHttpsServer(sb, (_q, res) => res.end("{}"), "127.0.0.2");
  });
  afterAll(async () => {
    await closeAgents();
    await other?.close();
    await sb?.close();
  });

  const posts = async () => (await sb.admin.requests("sandbox-bank"))["POST /register"] ?? 0;

  it("a server certificate from a CA that transport.ca does not hold is refused", async () => {
    const before = await posts();
    const params = coreParams(sb, "sandbox-bank", {
      transport: { ca: read(sb.manifest.untrusted.ca_cert_file) },
    });
    const e = (await createRegistration(params, createContext()).catch((x: unknown) => x)) as ObDcrError;
    expect(e).toBeInstanceOf(ObDcrError);
    expect(e.code).toBe("OBDCR_TRANSPORT");
    expect(e.message).toMatch(
      /TLS failed \((UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)\).*transport\.ca/,
    );
    // The fix is the CA; our client certificate was never judged (a new user chased transport.cert).
    expect(e.message).toMatch(/not issued by a CA in transport\.ca .*transport\.caFile/);
    expect(e.message).not.toMatch(/transport\.cert\/key/);
    expect(await posts()).toBe(before);
  });

  it("without transport.ca, Node's store is used and the sandbox CA is not in it", async () => {
    const params = coreParams(sb, "sandbox-bank", { transport: { ca: undefined } });
    const e = (await createRegistration(params, createContext()).catch((x: unknown) => x)) as ObDcrError;
    expect(e.code).toBe("OBDCR_TRANSPORT");
    expect(e.message).toMatch(/TLS failed/);
  });

  it("a certificate for another host name is refused", async () => {
    const params = coreParams(sb, "sandbox-bank", {
      bank: { discovery_url: `${other.url}/.well-known/openid-configuration` },
    });
    const e = (await createRegistration(params, createContext()).catch((x: unknown) => x)) as ObDcrError;
    expect(e.code).toBe("OBDCR_TRANSPORT");
    expect(e.message).toMatch(/TLS failed \(ERR_TLS_CERT_ALTNAME_INVALID\)/);
    expect(other.seen).toEqual([]); // nothing was sent to it
  });

  it("a registration POST without a client certificate is refused by the bank, and the error says so", async () => {
    const bank = sb.manifest.banks[0]!;
    const res = await registrationRequest(
      createContext(),
      bank.registration_endpoint,
      "a.b.c",
      "application/jwt",
      {
        ca: read(sb.manifest.ca_cert_file),
      },
    );
    const e = (await processRegistrationResponse(res).catch((x: unknown) => x)) as ObDcrError;
    expect(e.code).toBe("OBDCR_REGISTRATION_REJECTED");
    expect(e.message).toMatch(/HTTP 401 invalid_client: a client certificate is required \(mTLS\)/);
    expect(await sb.admin.registrations("sandbox-bank")).toEqual([]);
  });

  it("the OBIE profiles refuse to run without a client certificate at all (before any call)", async () => {
    const params = coreParams(sb, "sandbox-bank", { transport: { cert: undefined, key: undefined } });
    const e = (await createRegistration(params, createContext()).catch((x: unknown) => x)) as ObDcrError;
    expect(e.code).toBe("OBDCR_INVALID_INPUT");
    expect(e.message).toMatch(/transport\.cert.*cert and key are required by obie-3\.2 \(mTLS\)/);
  });
});

describe("static: no code path turns TLS verification off", () => {
  const files = (dir: string): string[] =>
    readdirSync(dir).flatMap((f) => {
      const p = path.join(dir, f);
      if (statSync(p).isDirectory()) return f === "node_modules" ? [] : files(p);
      return /\.(ts|js|mjs|cjs)$/.test(f) ? [p] : [];
    });
  const sources = ["provider", "sandbox", "scripts", "examples", "bench"]
    .map((d) => path.join(ROOT, d))
    .filter((d) => {
      try {
        return statSync(d).isDirectory();
      } catch {
        return false;
      }
    })
    .flatMap(files);

  it("scans a real tree", () => {
    expect(sources.length).toBeGreaterThan(40);
    expect(sources.some((f) => f.endsWith(path.join("http", "transport.ts")))).toBe(true);
  });

  it("has no rejectUnauthorized: false, NODE_TLS_REJECT_UNAUTHORIZED, checkServerIdentity override or insecure flag", () => {
    const offenders: string[] = [];
    for (const f of sources) {
      const lines = readFileSync(f, "utf8").split("\n");
      lines.forEach((line, i) => {
        const where = `${path.relative(ROOT, f)}:${i + 1}`;
        if (/NODE_TLS_REJECT_UNAUTHORIZED/.test(line)) offenders.push(`${where} ${line.trim()}`);
        if (/checkServerIdentity\s*[:=]/.test(line)) offenders.push(`${where} ${line.trim()}`);
        if (/allowInsecure|insecureHTTPParser|--insecure/.test(line))
          offenders.push(`${where} ${line.trim()}`);
        if (/rejectUnauthorized\s*:\s*(false|!|0)/.test(line)) {
          // The one allowed place: the sandbox's server side asks for a client certificate and
          // checks it itself (requestCert; peerAuthorized is checked on each request).
          const allowed = f.endsWith(path.join("sandbox", "http.ts")) && /requestCert:\s*true/.test(line);
          if (!allowed) offenders.push(`${where} ${line.trim()}`);
        }
      });
    }
    expect(offenders).toEqual([]);
  });

  it("the client transport pins rejectUnauthorized: true", () => {
    const t = readFileSync(path.join(ROOT, "provider", "http", "transport.ts"), "utf8");
    expect(t).toMatch(/rejectUnauthorized: true/);
    expect(t).not.toMatch(/setGlobalDispatcher\(/);
  });
});
