/**
 * A CDR-style directory over real HTTPS (the security tests' PKI): `/brands` lists `count()` banks,
 * bank i at `<base>/b<i>`, and every other path is a bank's discovery document, answered by
 * `discovery` with the issuer it asks for. Shared by the bank-list tests.
 */
import type { ServerResponse } from "node:http";
import { createServer } from "node:https";
import type { AddressInfo } from "node:net";
import type { SecurityPki } from "../security/pki.js";

export interface BrandsServer {
  base: string;
  close(): Promise<void>;
}

export async function brandsServer(
  pki: SecurityPki,
  count: () => number,
  discovery: (issuer: string, res: ServerResponse) => void,
): Promise<BrandsServer> {
  const s: BrandsServer = { base: "", close: () => new Promise((r) => server.close(() => r())) };
  const server = createServer({ cert: pki.serverCert, key: pki.serverKey }, (req, res) => {
    res.setHeader("content-type", "application/json");
    if (req.url?.startsWith("/brands")) {
      const data = Array.from({ length: count() }, (_, i) => ({
        dataHolderBrandId: `brand-${i}`,
        brandName: `Bank ${i}`,
        status: "ACTIVE",
        legalEntity: { legalEntityId: `le-${i}`, legalEntityName: `Bank ${i}`, status: "ACTIVE" },
        endpointDetail: { infosecBaseUri: `${s.base}/b${i}` },
      }));
      res.end(JSON.stringify({ data, links: {}, meta: {} }));
      return;
    }
    discovery(`${s.base}${(req.url ?? "").replace("/.well-known/openid-configuration", "")}`, res);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  s.base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return s;
}
