// The plugin's BankRegistrations component and getBanks function from a TypeScript program (the
// remote component as a generated SDK declares it), on the real engine against the BR emulator over
// real mTLS: a secret in the shared inputs stays secret in every child, a per-bank override reaches
// only its bank, `onMissing: delete` deletes exactly the bank that left, and a filter the list
// cannot answer is refused naming the field.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type { Stack } from "@pulumi/pulumi/automation";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OfbBrSandbox } from "../../sandbox/ofb_br/index.js";
import { stateFile } from "../../scripts/lib/pulumi_stack.js";
import { nativeStack } from "../native/stack.js";
import { ofbParams, regimePulumiArgs, startOfbBr } from "../support/regimes.js";

const SERVERS = ["ofb-as-a", "ofb-as-b"];
const TRIGGER = "a-secret-rotation-trigger-7f3c9a";

/** What the generated SDKs declare: a remote component of the plugin. */
class BankRegistrations extends pulumi.ComponentResource {
  declare readonly clientIds: pulumi.Output<Record<string, string>>;
  declare readonly banks: pulumi.Output<{ id: string }[]>;
  constructor(name: string, args: pulumi.Inputs) {
    super(
      "obdcr:index:BankRegistrations",
      name,
      {
        ...args,
        clientIds: undefined,
        banks: undefined,
        added: undefined,
        missing: undefined,
        source: undefined,
      },
      {},
      true,
    );
  }
}

class Registration extends pulumi.CustomResource {
  declare readonly clientId: pulumi.Output<string>;
  constructor(name: string, args: pulumi.Inputs) {
    super("obdcr:index:ClientRegistration", name, { ...args, clientId: undefined });
  }
}

type Resource = { type: string; urn: string; inputs?: Record<string, unknown> };

describe("obdcr:index:BankRegistrations and getBanks from a program on the real engine", () => {
  const dir = mkdtempSync(join(tmpdir(), "ob-dcr-native-banks-"));
  const backend = `file://${join(dir, "state")}`;
  let sb: OfbBrSandbox;
  let stack: Stack;
  let policy: Record<string, unknown> = {};
  let filter: Record<string, unknown> = {};
  /** A registration made in the same `up`, whose client_id feeds the shared inputs (unknown in a preview). */
  let feedFrom: Record<string, unknown> | undefined;
  let out = "";
  const id = (server: string) => sb.admin.listEntryFor(server).id;
  const held = (server: string) => sb.admin.clients(server).length;
  const children = async () =>
    (((await stack.exportStack()).deployment.resources ?? []) as Resource[]).filter(
      (r) => r.type === "obdcr:index:ClientRegistration",
    );

  beforeAll(async () => {
    sb = await startOfbBr({ dataDir: join(dir, "sandbox"), servers: SERVERS.map((name) => ({ name })) });
    const registration = {
      ...(regimePulumiArgs(ofbParams(sb.manifest)) as unknown as Record<string, unknown>),
      bank: undefined,
      // Not a secret field of the schema: only the program's marker makes it secret.
      rotationTrigger: pulumi.secret(TRIGGER),
    };
    const listUrl = sb.manifest.directory.participants_url!;
    stack = await nativeStack({
      projectName: "ob-dcr-native-banks",
      stackName: "component",
      backend,
      declared: new Map(),
      program: async () => {
        const f = { families: [{ family: "payments-consents", major: 4 }], roles: ["CONTA"], ...filter };
        const listed = (await pulumi.runtime.invoke("obdcr:index:getBanks", {
          registration: { ...registration, rotationTrigger: undefined },
          filter: f,
          listUrl,
        })) as { banks: { id: string }[]; excluded: { id: string; excluded: { code: string }[] }[] };
        const fed = feedFrom ? new Registration("feed", feedFrom) : undefined;
        const banks = new BankRegistrations("br", {
          registration: fed ? { ...registration, rotationTrigger: fed.clientId } : registration,
          filter: f,
          listUrl,
          policy,
          knownListFile: join(dir, "known.json"),
          overrides: { [id("ofb-as-a")]: { expiryWarningDays: 7 } },
        });
        return {
          listed: listed.banks.map((b) => b.id),
          excludedCodes: Object.fromEntries(
            listed.excluded.map((b) => [b.id, b.excluded.map((x) => x.code)]),
          ),
          clientIds: banks.clientIds,
        };
      },
    });
  });

  afterAll(async () => {
    await stack?.workspace.removeStack("component", { force: true }).catch(() => undefined);
    await sb?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("registers each listed bank; getBanks gives the same set and every other entry with its reasons", async () => {
    sb.admin.resetStats();
    const up = await stack.up({ onOutput: (x) => (out += x) });
    expect(up.summary.resourceChanges?.create).toBe(4); // stack, component, 2 registrations
    const want = SERVERS.map(id).sort();
    expect(up.outputs.listed!.value).toEqual(want);
    expect(Object.keys(up.outputs.clientIds!.value as object).sort()).toEqual(want);
    expect(SERVERS.map(held)).toEqual([1, 1]);
    const codes = up.outputs.excludedCodes!.value as Record<string, string[]>;
    // The §1.6 fixtures, e.g. the withdrawn org and the placeholder discovery.
    expect(Object.values(codes).flat()).toEqual(expect.arrayContaining(["status", "discovery_url"]));
    const st = sb.admin.stats();
    expect([st.directory_token_requests, st.ssa_requests]).toEqual([1, 1]);
  });

  it("a secret of the shared inputs is secret in every child, in state and output; an override reaches only its bank", async () => {
    const state = readFileSync(stateFile(backend, "ob-dcr-native-banks", "component"), "utf8");
    expect(state).not.toContain(TRIGGER);
    expect(out).not.toContain(TRIGGER);
    const kids = await children();
    expect(kids).toHaveLength(2);
    for (const k of kids) {
      // The export decrypts: the value is there, marked secret.
      const t = k.inputs?.rotationTrigger as { plaintext?: string } | undefined;
      expect(JSON.parse(t?.plaintext ?? "null")).toBe(TRIGGER);
    }
    const days = Object.fromEntries(kids.map((k) => [k.urn.split("::").pop(), k.inputs?.expiryWarningDays]));
    expect(days).toEqual({ [`br-${id("ofb-as-a")}`]: 7, [`br-${id("ofb-as-b")}`]: undefined });
  });

  it("onMissing delete: a bank retired from the list is deleted, exactly that one", async () => {
    policy = { onMissing: "delete" };
    sb.admin.list.retire(id("ofb-as-b"));
    sb.admin.resetStats();
    let o = "";
    const up = await stack.up({ onOutput: (x) => (o += x) });
    expect(up.summary.resourceChanges?.delete).toBe(1);
    expect(o).toContain(`bank ${id("ofb-as-b")} (ofb-as-b) is no longer selected`);
    expect(SERVERS.map(held)).toEqual([1, 0]);
    expect(sb.admin.stats().servers["ofb-as-a"]!.registrations).toBe(0);
  });

  it("a preview whose shared inputs are not known yet shows the last known banks, none going", async () => {
    feedFrom = regimePulumiArgs(ofbParams(sb.manifest, { server: "ofb-as-b" })) as unknown as Record<
      string,
      unknown
    >;
    let o = "";
    try {
      const pre = await stack.preview({ onOutput: (x) => (o += x) });
      expect(pre.changeSummary.delete ?? 0).toBe(0);
      expect(pre.changeSummary.create).toBe(1); // the registration that feeds the inputs
      expect(o).toContain("inputs not known yet; the last known banks are shown");
    } finally {
      feedFrom = undefined;
    }
  });

  it("a filter the BR list cannot answer is refused, naming the field", async () => {
    filter = { industries: ["banking"] };
    const e = await stack.up({ onOutput: () => undefined }).then(
      () => "",
      (err: Error) => err.message,
    );
    filter = {};
    expect(e).toMatch(/OBDCR_INVALID_INPUT.*filter\.industries/s);
  });
});
