// The client_id hint a create proposes (#27 finding 4): it never changes on its own (an update
// keeps it, so no diff shows it changing), a replacement never proposes the id it replaces, and the
// same inputs always give the same hint (a run after a lost POST answer proposes, and finds, it).
import { describe, expect, it } from "vitest";
import { nextClientIdHint, uuidFrom } from "../../provider/lifecycle/hint.js";
import type { Props } from "../../provider/lifecycle/props.js";

const declared: Props = {
  profile: "obie-3.2",
  bank: { discoveryUrl: "https://bank.example/.well-known/openid-configuration", orgId: "bank-org" },
  directory: {
    tokenEndpoint: "https://dir.example/token",
    ssaEndpoint: "https://dir.example/ssa",
    jwksUri: "https://dir.example/jwks",
  },
  software: { softwareId: "sw-1", orgId: "org-1" },
  client: { redirectUris: ["https://tpp.example.com/callback"] },
  bankCapabilities: { supportsUpdate: true, refusesDuplicateRegistration: false },
};
const seed = "organization/project/dev/bank";
const first = nextClientIdHint({}, { ...declared, clientIdHintSeed: seed });

describe("nextClientIdHint", () => {
  it("a new resource: derived from its seed and identity, the same on every run", () => {
    expect(first).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(nextClientIdHint({}, { ...declared, clientIdHintSeed: seed })).toBe(first);
  });

  it("an update (client metadata changed) keeps the recorded hint", () => {
    const olds = { ...declared, clientIdHint: first };
    const news = {
      ...declared,
      client: { redirectUris: ["https://tpp.example.com/callback2"] },
      clientIdHintSeed: seed,
    };
    expect(nextClientIdHint(olds, news)).toBe(first);
    // and a no-change check too
    expect(nextClientIdHint(olds, { ...declared, clientIdHintSeed: seed })).toBe(first);
  });

  it("a replacement proposes the next hint, never the one it replaces, the same on every run", () => {
    const olds = { ...declared, clientIdHint: first };
    const news = { ...declared, software: { softwareId: "sw-2", orgId: "org-1" }, clientIdHintSeed: seed };
    const next = nextClientIdHint(olds, news);
    expect(next).not.toBe(first);
    expect(next).toBe(uuidFrom(`next:${first}`));
    expect(nextClientIdHint(olds, news)).toBe(next);
  });
});
