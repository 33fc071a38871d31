/**
 * Where the directory publishes our signing key (`findPublishedKey`, before a management call or a
 * directory token with a key the state does not record, and in doctor), against a real TLS server
 * serving the software JWKS. A directory may list a kid twice: our key under our kid counts
 * wherever it is in the set.
 */
import https from "node:https";
import type { AddressInfo } from "node:net";
import * as jose from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jwkThumbprint } from "../../provider/core/material.js";
import { createContext } from "../../provider/http/context.js";
import { findPublishedKey } from "../../provider/http/own_side.js";
import { type SecurityPki, securityPki } from "../security/pki.js";

describe("findPublishedKey", () => {
  let pki: SecurityPki;
  let server: https.Server;
  let base = "";
  const sets: Record<string, unknown> = {};

  beforeAll(async () => {
    pki = await securityPki();
    const ours = pki.softwareJwk;
    const other = {
      ...(await jose.exportJWK((await jose.generateKeyPair("ES256")).publicKey)),
      kid: ours.kid,
    };
    sets["/other-first"] = { keys: [other, ours] };
    sets["/ours-first"] = { keys: [ours, other] };
    sets["/other-only"] = { keys: [other] };
    server = https.createServer({ cert: pki.serverCert, key: pki.serverKey }, (req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(sets[req.url ?? ""] ?? { keys: [] }));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `https://localhost:${(server.address() as AddressInfo).port}`;
  }, 120_000);

  afterAll(async () => {
    await new Promise((r) => server?.close(r));
  });

  const find = async (path: string) => {
    const identity = {
      kid: pki.softwareJwk.kid as string,
      alg: "PS256" as const,
      thumbprint: await jwkThumbprint(pki.softwareJwk),
    };
    return findPublishedKey(createContext(), `${base}${path}`, { ca: pki.caPem }, identity);
  };

  it.each([
    ["/ours-first", "published"],
    ["/other-first", "published"],
    ["/other-only", "key_mismatch"],
  ])("%s: %s", async (path, status) => {
    expect((await find(path)).status).toBe(status);
  });
});
