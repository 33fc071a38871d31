// The CLI's HTTP recorder keeps bodies only of POSTs (what `run` prints): the pages of a bank list
// and every listed bank's discovery document, kept to the end of the command, would double its
// memory. A real HTTPS server, the real transport.
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HttpRecorder } from "../../provider/cli/http_log.js";
import { send } from "../../provider/http/send.js";
import { closeAgents } from "../../provider/http/transport.js";
import { type SecurityPki, securityPki } from "../security/pki.js";

describe("the CLI's HTTP recorder", () => {
  let pki: SecurityPki;
  let server: Server;
  let base = "";
  beforeAll(async () => {
    pki = await securityPki();
    server = createServer({ cert: pki.serverCert, key: pki.serverKey }, (req, res) => {
      req.resume();
      req.on("end", () => {
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify({ x: "x".repeat(300_000) }));
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await closeAgents();
    await new Promise((r) => server.close(r));
  });

  it("keeps the bodies of POSTs only", async () => {
    const rec = new HttpRecorder();
    try {
      const tls = { ca: pki.caPem };
      for (let i = 0; i < 3; i++)
        await send({ method: "GET", url: `${base}/doc/${i}`, idempotent: true, label: "get" }, tls);
      await send(
        { method: "POST", url: `${base}/register`, body: "{}", idempotent: false, label: "post" },
        tls,
      );
      await new Promise((r) => setTimeout(r, 50));
      const gets = rec.exchanges.filter((x) => x.method === "GET");
      expect(gets).toHaveLength(3);
      for (const x of gets) {
        expect(x.status).toBe(200);
        expect(x.response_body).toBeUndefined();
      }
      const post = rec.last("POST", `${base}/register`);
      expect(post?.request_body?.toString()).toBe("{}");
      expect(post?.response_body?.length).toBeGreaterThan(300_000);
    } finally {
      rec.close();
    }
  });
});
