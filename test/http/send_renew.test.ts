// `send`'s retry with a renewed body (provider/http/send.ts `renew`: a fresh request JWT or client
// assertion for each attempt) against the real sandbox over mTLS. The renewal is part of the
// operation's budget: a retry whose renewal left too little of it is not started (the 503 is the
// answer), where it was sent with a deadline of 1 ms and a POST came back "outcome unknown".
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { TlsMaterial } from "../../provider/http/index.js";
// Transport internals (not exported by ob-dcr/http): imported from their source modules.
import { send } from "../../provider/http/send.js";
import { closeAgents, createContext } from "../../provider/index.js";
import { sandboxForFile } from "../support/hooks.js";

const sb = sandboxForFile({ prefix: "renew", banks: ["sandbox-bank"] }, closeAgents);

const tls = (): TlsMaterial => ({
  cert: readFileSync(sb.sw.transport.cert_file, "utf8"),
  key: readFileSync(sb.sw.transport.key_file, "utf8"),
  ca: readFileSync(sb.manifest.ca_cert_file, "utf8"),
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A POST answered 503 once, then whatever the bank says; `renew` gives the second body. */
async function postOnce503(renew: () => Promise<string>) {
  const b = sb.manifest.banks.find((x) => x.name === "sandbox-bank")!;
  const path = new URL(b.discovery_url).pathname;
  await sb.admin.setFaults("sandbox-bank", [{ kind: "server_error", status: 503, count: 1, path }]);
  const posts = async () =>
    Object.entries(await sb.admin.requests("sandbox-bank"))
      .filter(([route]) => route.startsWith("POST "))
      .reduce((n, [, c]) => n + c, 0);
  const before = await posts();
  const res = await send(
    {
      method: "POST",
      url: b.discovery_url,
      headers: { "content-type": "text/plain" },
      body: "first",
      idempotent: false,
      label: "test POST",
      renew,
    },
    tls(),
    { ...createContext().transport, operation_budget_ms: 1500, backoff_base_ms: 10, backoff_max_ms: 20 },
  );
  await sb.admin.setFaults("sandbox-bank", []);
  return { res, sent: (await posts()) - before };
}

describe("send: a retry with a renewed body", () => {
  it("is sent with the renewed body when the budget holds it", async () => {
    let renewed = 0;
    const { res, sent } = await postOnce503(async () => {
      renewed++;
      return "second";
    });
    expect(renewed).toBe(1);
    expect(res.retried_statuses).toEqual([503]);
    expect(res.status).not.toBe(503);
    expect(sent).toBe(2);
  });

  it("is not started when the renewal spent the budget: the 503 is the answer, nothing more is sent", async () => {
    let renewed = 0;
    const { res, sent } = await postOnce503(async () => {
      renewed++;
      await sleep(1600);
      return "second";
    });
    expect(renewed).toBe(1);
    expect(res.status).toBe(503);
    expect(sent).toBe(1);
  });
});
