// Descriptions for the package schema, from the doc comments the TypeScript users already read:
// the resource args (provider/resource/args_doc.ts), the outputs (provider/lifecycle/outputs.ts,
// material.ts) and the provider config (provider/native/config.ts). One source for both.
import { join } from "node:path";
import ts from "typescript";
import { TRANSPORT_CONFIG } from "../provider/native/config.js";
import type { Docs } from "../provider/native/schema.js";

function docOf(node: ts.Node): string | undefined {
  const parts = ts
    .getJSDocCommentsAndTags(node)
    .filter(ts.isJSDoc)
    .map((d) => {
      const text = ts.getTextOfJSDocComment(d.comment) ?? "";
      const tagged = (name: string, label: string) =>
        (d.tags ?? [])
          .filter((t) => t.tagName.text === name)
          .map((t) => {
            // The tag's source text: `@see RFC 7591 §3` parses "RFC" as a name reference, and the
            // comment alone would lose it.
            const raw = t.getSourceFile().text.slice(t.tagName.end, t.end);
            return `${label}: ${raw
              .replace(/\n\s*\*\/?/g, " ")
              .replace(/\s+/g, " ")
              .trim()}`;
          });
      // Where the input comes from (the spec section), as TypeScript users see it on hover.
      return [text, ...tagged("example", "Example"), ...tagged("see", "See")].filter(Boolean).join(" ");
    });
  const s = parts.join(" ").replace(/\s+/g, " ").trim();
  return s || undefined;
}

const nameOf = (m: ts.PropertySignature | ts.PropertyAssignment) =>
  ts.isIdentifier(m.name) || ts.isStringLiteral(m.name) ? m.name.text : m.name.getText();

/** Docs of an interface's members, recursing into the file's other interfaces and inline types. */
function walkInterfaces(file: ts.SourceFile, root: string, prefix: string[], docs: Docs): void {
  const decls = new Map<string, ts.InterfaceDeclaration>();
  file.forEachChild((n) => {
    if (ts.isInterfaceDeclaration(n)) decls.set(n.name.text, n);
  });
  const members = (list: ts.NodeArray<ts.TypeElement>, path: string[], seen: Set<string>) => {
    for (const m of list) {
      if (!ts.isPropertySignature(m)) continue;
      const p = [...path, nameOf(m)];
      const d = docOf(m);
      if (d) docs[p.join(".")] = d;
      const visit = (t: ts.Node) => {
        if (ts.isTypeLiteralNode(t)) members(t.members, p, seen);
        else if (ts.isTypeReferenceNode(t) && ts.isIdentifier(t.typeName) && decls.has(t.typeName.text)) {
          const name = t.typeName.text;
          if (seen.has(name)) return;
          const decl = decls.get(name)!;
          if (!docs[p.join(".")] && docOf(decl)) docs[p.join(".")] = docOf(decl)!;
          members(decl.members, p, new Set([...seen, name]));
        }
        t.forEachChild(visit);
      };
      if (m.type) visit(m.type);
    }
  };
  const rootDecl = decls.get(root);
  if (!rootDecl) throw new Error(`no interface ${root} in ${file.fileName}`);
  members(rootDecl.members, prefix, new Set([root]));
}

/** Docs of the members of an object literal passed to `z.strictObject` in `const <name> = …`. */
function walkZodObject(file: ts.SourceFile, name: string, prefix: string[], docs: Docs): void {
  const camel = (k: string) => k.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
  const visit = (n: ts.Node): void => {
    if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name) && n.name.text === name) {
      const lit = (function find(x: ts.Node): ts.ObjectLiteralExpression | undefined {
        if (ts.isObjectLiteralExpression(x)) return x;
        return x.forEachChild(find);
      })(n);
      for (const p of lit?.properties ?? [])
        if (ts.isPropertyAssignment(p)) {
          const d = docOf(p);
          const key = [...prefix, camel(nameOf(p))].join(".");
          if (d) docs[key] ??= d;
        }
      return;
    }
    n.forEachChild(visit);
  };
  visit(file);
}

const parse = (root: string, rel: string) => {
  const f = join(root, rel);
  return ts.createSourceFile(f, ts.sys.readFile(f) ?? "", ts.ScriptTarget.Latest, true);
};

export function schemaDocs(root: string): Docs {
  const docs: Docs = {};
  const args = parse(root, "provider/resource/args_doc.ts");
  walkInterfaces(args, "ObClientRegistrationArgs", [], docs);
  const root_ = [...args.statements].find(
    (s) => ts.isInterfaceDeclaration(s) && s.name.text === "ObClientRegistrationArgs",
  );
  docs[""] =
    `One client registration at one bank (create = DCR POST, read = GET, update = PUT, delete = DELETE). ${root_ ? (docOf(root_) ?? "") : ""}`.trim();
  walkInterfaces(parse(root, "provider/lifecycle/outputs.ts"), "RegistrationComputed", [], docs);
  walkInterfaces(parse(root, "provider/lifecycle/material.ts"), "MaterialOutputs", [], docs);
  walkInterfaces(parse(root, "provider/lifecycle/outputs.ts"), "Substitution", ["substitution"], docs);
  walkZodObject(parse(root, "provider/native/config.ts"), "ProviderConfig", ["config"], docs);
  // Fields the args interface does not describe: the doc comments of the zod schemas themselves.
  const params = parse(root, "provider/core/schemas/params.ts");
  for (const [name, path] of [
    ["BankParams", "bank"],
    ["DirectoryParams", "directory"],
    ["SigningKeyParams", "signingKey"],
    ["TransportParams", "transport"],
    ["ClientParams", "client"],
    ["RegistrationParams", ""],
  ] as const)
    walkZodObject(params, name, path ? [path] : [], docs);
  const profiles = parse(root, "provider/core/bank_profiles/schema.ts");
  walkZodObject(profiles, "BankProfile", ["bankProfile"], docs);
  walkZodObject(profiles, "ProfileManagement", ["bankProfile", "management"], docs);
  walkZodObject(profiles, "ProfileResponse", ["bankProfile", "response"], docs);
  walkZodObject(parse(root, "provider/lifecycle/inputs.ts"), "ResourceOnlyInputs", [], docs);
  // Banks from the directory: the core's schemas, and the function's and component's own members.
  const listing = parse(root, "provider/core/directory/listing.ts");
  walkZodObject(listing, "BankFilter", ["bankFilter"], docs);
  walkZodObject(listing, "DirectoryBank", ["directoryBank"], docs);
  const plan = parse(root, "provider/core/directory/bank_plan.ts");
  walkZodObject(plan, "BankChangePolicy", ["bankChangePolicy"], docs);
  walkZodObject(plan, "KnownBank", ["declaredBank"], docs);
  Object.assign(docs, BANK_DOCS);
  // Members the TypeScript resource never shows (it splits them off itself), and plain outputs.
  Object.assign(docs, {
    signingPrivateKey:
      "Secret. The signing private key given beside signingKey (PKCS#8 PEM or a private JWK); the provider also moves signingKey.privateKey here, so the kid stays readable.",
    transportPrivateKey:
      "Secret. The transport private key PEM given beside transport; the provider also moves transport.key here.",
    clientId: "The client_id the bank issued (also the resource id).",
    clientIdIssuedAt: "When the bank issued the client_id (epoch seconds).",
    clientSecretExpiresAt: "When the client secret expires (epoch seconds; 0: never).",
    registrationClientUri: "RFC 7592 registration_client_uri, when the bank gave one.",
    "substitution.field": "The metadata field the bank changed.",
    "substitution.requested": "What was requested.",
    "substitution.registered": "What the bank registered.",
    "signingKeyIdentity.kid": "The kid.",
    "signingKeyIdentity.alg": "The algorithm.",
    "signingKeyIdentity.thumbprint": "RFC 7638 thumbprint of the public key.",
    "transportCertificate.sha256": "SHA-256 of the certificate (DER).",
    "transportCertificate.subjectDn": "Subject DN.",
    "transportCertificate.issuerDn": "Issuer DN.",
    "transportCertificate.notBefore": "Start of validity.",
    "transportCertificate.notAfter": "End of validity.",
    bankCapabilities:
      "What the bank profile says the bank offers, as resolved at the last check (bookkeeping: never a change of its own).",
    "bankCapabilities.supportsUpdate":
      "The bank offers PUT: a metadata change is an update, not a replacement.",
    "bankCapabilities.refusesDuplicateRegistration":
      "The bank refuses a second registration of the software: a replacement deletes first.",
    clientIdHint:
      "The client_id proposed to a bank that honours a hint (bankProfile.clientIdHint); kept across updates (bookkeeping).",
  } satisfies Docs);
  for (const [k, [, env]] of Object.entries(TRANSPORT_CONFIG))
    docs[`config.${k}`] ??=
      `The provider's HTTP transport: overrides the ${env} environment variable (non-negative integer).`;
  docs.provider =
    "The obdcr provider: key material shared by every registration, transport limits, import settings.";
  // args_doc.ts speaks to the dynamic resource (`ob-dcr:` config); the plugin's config is `obdcr:`.
  for (const [k, v] of Object.entries(docs)) docs[k] = v.replaceAll("`ob-dcr:", "`obdcr:");
  return docs;
}

/** The function's and component's own members (docs/directories.md says more). */
const BANK_DOCS: Docs = {
  getBanks:
    "The banks a directory lists, filtered in the regime's terms, each selected bank's discovery checked for a registration_endpoint. Registers nothing.",
  "getBanks.registration":
    "What every registration shares (profile, directory, software, signingKey, transport, client): the profile names the directory; AU and UK lists need the directory token it gets.",
  "getBanks.filter": "Which banks (default: active ones whose discovery offers a registration_endpoint).",
  "getBanks.listUrl": "The directory's list (default: the regime's production list).",
  "getBanks.directory": "The directory the list came from (ob-directory, cdr-register, ofb-directory).",
  "getBanks.banks": "The selected banks.",
  "getBanks.excluded": "Every other entry, each with its reasons (`excluded`).",
  "getBanks.requests": "Pages requested from the directory.",
  bankRegistrations:
    "One ClientRegistration per bank a directory lists (named `<name>-<bank id>`), kept in step with the list under a change policy that is safe by default. The registrations share one directory token and one SSA.",
  "bankRegistrations.registration":
    "What every registration shares; `bank` (optional) is merged under each bank's own.",
  "bankRegistrations.filter":
    "Which banks (default: active ones whose discovery offers a registration_endpoint).",
  "bankRegistrations.listUrl": "The directory's list (default: the regime's production list).",
  "bankRegistrations.policy":
    "What a change of the list does (default: keep missing banks, fail when the directory fails).",
  "bankRegistrations.overrides":
    'Per-bank inputs by bank id, merged over `registration` (e.g. `{bankProfile: "preset"}`).',
  "bankRegistrations.knownListFile":
    "The last known list, read and written by the provider (default `ob-dcr-state/banks-<project>-<stack>-<name>.json` in the program's directory). Keep it with the stack's sources.",
  "bankRegistrations.banks": "The banks declared.",
  "bankRegistrations.clientIds": "The client_id of each bank's registration, by bank id.",
  "bankRegistrations.added": "The ids new in this run.",
  "bankRegistrations.missing":
    "Declared banks the list no longer selects, kept or deleted per `policy.onMissing`.",
  "bankRegistrations.source": "`directory`, or `last-known` when the policy kept the last list.",
  registrationTemplate:
    "The inputs of a ClientRegistration, with `bank` optional: shared by every bank of a list.",
  missingBank: "A declared bank the list no longer selects.",
  "missingBank.why": "Why it is not selected any more.",
  "missingBank.action": "`kept` or `deleted`.",
};
