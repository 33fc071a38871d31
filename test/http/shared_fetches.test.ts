// Registrations that share a context share what they fetch: several registrations with one bank
// started together (as one `pulumi up` starts them) make one discovery fetch, one directory token
// request and one SSA download, counted at the sandbox.
import { beforeEach, describe, expect, it } from "vitest";
import { closeAgents, createContext, createRegistration, deleteRegistration } from "../../provider/index.js";
import { sandboxForFile } from "../support/hooks.js";
import { paramsFor } from "./sandbox_helpers.js";

const sb = sandboxForFile({ prefix: "shared", banks: ["sandbox-bank"] }, closeAgents);
const DISCOVERY = "GET /.well-known/openid-configuration";

beforeEach(async () => {
  await sb.admin.reset();
});

describe("one context, many registrations with one bank", () => {
  it("fetches the bank's discovery document once for 4 concurrent registrations", async () => {
    const ctx = createContext();
    const params = paramsFor(sb, "sandbox-bank", "obie-3.3");
    const created = await Promise.all(Array.from({ length: 4 }, () => createRegistration(params, ctx)));
    expect(new Set(created.map((c) => c.client_id)).size).toBe(4);
    const bank = await sb.admin.requests("sandbox-bank");
    expect(bank["POST /register"]).toBe(4);
    expect(bank[DISCOVERY]).toBe(1);
    const directory = await sb.admin.requests("directory");
    expect(directory["POST /as/token.oauth2"]).toBe(1);
    expect(directory["GET /api/v2/tpp/{org_id}/ssa/{software_id}"]).toBe(1);
    // Later calls within the cache's lifetime fetch nothing again.
    for (const c of created)
      await deleteRegistration(params, { client_id: c.client_id, secrets: c.secrets }, ctx);
    expect((await sb.admin.requests("sandbox-bank"))[DISCOVERY]).toBe(1);
  });
});
