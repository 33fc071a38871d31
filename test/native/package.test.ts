// The plugin as a user gets it: `npm pack`, installed offline into a new Pulumi project whose
// Pulumi.yaml has the documented one-line set-up (`plugins.providers: [{name: obdcr, path:
// node_modules/ob-dcr/bin}]`); a plain `pulumi up` (the CLI's nodejs language host, a JavaScript
// program declaring obdcr:index:ClientRegistration) registers at the sandbox and `pulumi destroy`
// deletes. Nothing downloads. Needs `npm run build` first.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createContext } from "../../provider/http/context.js";
import { createRegistration } from "../../provider/lifecycle/registration.js";
import { cliInfo, DEMO_PASSPHRASE } from "../../scripts/lib/pulumi_stack.js";
import {
  describeRun,
  nodeOnlyBin,
  npm,
  packRepo,
  ROOT,
  type RunResult,
  run,
  userEnv,
  writeOfflineProject,
} from "../package/offline_project.js";
import { coreParams, sandboxParams } from "../support/params.js";
import { startTestSandbox, type TestSandbox } from "../support/sandbox.js";

const PROJECT = "obdcr-native-packed";
const PULUMI_YAML = `name: ${PROJECT}
runtime: nodejs
plugins:
  providers:
    - name: obdcr
      path: node_modules/ob-dcr/bin
`;

// What a user writes until generated SDKs exist: the type token and the schema's inputs.
const INDEX_JS = `const pulumi = require("@pulumi/pulumi");
const args = JSON.parse(require("node:fs").readFileSync("args.json", "utf8"));
class ClientRegistration extends pulumi.CustomResource {
  constructor(name, a, opts) { super("obdcr:index:ClientRegistration", name, a, opts); }
}
const names = new pulumi.Config().getObject("names") || ["bank"];
for (const n of names) exports[n] = new ClientRegistration(n, args).id;
`;

describe("the native plugin from the installed npm package", () => {
  const tmp = mkdtempSync(path.join(tmpdir(), "obdcr-native-pack-"));
  const dir = path.join(tmp, "project");
  let sb: TestSandbox;
  let env: NodeJS.ProcessEnv;
  const ok = (what: string, r: RunResult) => {
    if (r.code !== 0) throw new Error(describeRun(what, r));
    return r;
  };

  beforeAll(async () => {
    const baseEnv = userEnv();
    // Node 24 (the one running this test) first on PATH; the repo's node_modules/.bin not at all.
    const nodeBin = nodeOnlyBin(path.join(tmp, "node-bin"));
    const cli = cliInfo();
    baseEnv.PATH = [nodeBin, path.dirname(cli.pulumi), ...(process.env.PATH ?? "").split(path.delimiter)]
      .filter((p) => !p.includes("node_modules"))
      .join(path.delimiter);
    const { tarball } = await packRepo(path.join(tmp, "pack"), baseEnv);
    sb = await startTestSandbox({ dataDir: path.join(tmp, "sandbox"), banks: ["packed-bank"] });
    mkdirSync(dir);
    writeFileSync(path.join(dir, "Pulumi.yaml"), PULUMI_YAML);
    writeFileSync(path.join(dir, "index.js"), INDEX_JS);
    const { camelKeys } = await import("../../provider/lifecycle/inputs.js");
    writeFileSync(
      path.join(dir, "args.json"),
      JSON.stringify(camelKeys(sandboxParams(sb.manifest, { bank: "packed-bank" }))),
    );
    writeOfflineProject({
      dir,
      manifest: { name: PROJECT, main: "index.js" },
      tarball,
      dependencies: ["@pulumi/pulumi"],
    });
    ok("npm ci --offline", await npm(["ci", "--offline"], dir, baseEnv));
    env = {
      ...baseEnv,
      PULUMI_HOME: path.join(tmp, "pulumi-home"),
      PULUMI_BACKEND_URL: `file://${path.join(tmp, "backend")}`,
      PULUMI_CONFIG_PASSPHRASE: DEMO_PASSPHRASE,
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    };
    mkdirSync(path.join(tmp, "backend"));
  });

  afterAll(async () => {
    await sb?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  it("`pulumi package get-schema` reads the installed wrapper's schema", async () => {
    const wrapper = path.join(dir, "node_modules", "ob-dcr", "bin", "pulumi-resource-obdcr");
    const r = ok(
      "get-schema",
      await run(cliInfo().pulumi, ["package", "get-schema", wrapper], { cwd: dir, env }),
    );
    const schema = JSON.parse(r.stdout) as {
      name: string;
      version: string;
      resources: Record<string, unknown>;
    };
    expect(schema.name).toBe("obdcr");
    expect(schema.version).toBe(JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")).version);
    expect(Object.keys(schema.resources).sort()).toEqual([
      "obdcr:index:BankRegistrations",
      "obdcr:index:ClientRegistration",
    ]);
  });

  it("`pulumi up` finds the plugin through Pulumi.yaml and registers; `pulumi import <client_id>` then no change; `pulumi destroy` deletes", async () => {
    const pulumi = (...args: string[]) =>
      run(cliInfo().pulumi, [...args, "--non-interactive"], { cwd: dir, env });
    ok("stack init", await pulumi("stack", "init", "dev"));
    const up = await pulumi("up", "--yes");
    expect(up.code, describeRun("pulumi up", up)).toBe(0);
    const outputs = JSON.parse(ok("stack output", await pulumi("stack", "output", "--json")).stdout);
    const held = async () => (await sb.admin.registrations("packed-bank")).map((r) => r.client_id);
    expect(await held()).toEqual([outputs.bank]);

    // `pulumi import` as documented: the inputs in provider config, recorded by an `up` (it changes
    // no registration), then import by client_id, declare it, and the preview shows no change.
    const existing = await createRegistration(coreParams(sb, "packed-bank"), createContext());
    ok(
      "config set",
      await pulumi("config", "set", "obdcr:importInputs", readFileSync(path.join(dir, "args.json"), "utf8")),
    );
    ok("up (provider config)", await pulumi("up", "--yes"));
    // An unknown client_id at an OBIE-managed bank: the bank's refusal is ambiguous; said so.
    const ghost = await pulumi(
      "import",
      "obdcr:index:ClientRegistration",
      "ghost",
      "no-such-client",
      "--yes",
      "--generate-code=false",
    );
    expect(ghost.code).not.toBe(0);
    expect(ghost.stdout + ghost.stderr).toMatch(
      /OBDCR_GONE_UNCONFIRMED: cannot import registration no-such-client: /,
    );
    expect(ghost.stdout + ghost.stderr).not.toMatch(/does not support importing|kept in state/);
    const imp = await pulumi(
      "import",
      "obdcr:index:ClientRegistration",
      "adopted",
      existing.client_id,
      "--yes",
      "--generate-code=false",
      "--protect=false",
    );
    expect(imp.code, describeRun("pulumi import", imp)).toBe(0);
    ok("config set", await pulumi("config", "set", "--path", "names[1]", "adopted"));
    ok("config set", await pulumi("config", "set", "--path", "names[0]", "bank"));
    const same = await pulumi("preview", "--expect-no-changes");
    expect(same.code, describeRun("pulumi preview --expect-no-changes", same)).toBe(0);
    expect((await held()).sort()).toEqual([outputs.bank, existing.client_id].sort());

    const destroy = await pulumi("destroy", "--yes");
    expect(destroy.code, describeRun("pulumi destroy", destroy)).toBe(0);
    expect(await held()).toEqual([]);
  });
});
