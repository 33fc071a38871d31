// Every input of ObClientRegistrationArgs explains itself on hover: the TypeScript compiler reads
// provider/resource/args_doc.ts as an editor does, and every field of the interface and of every
// type it nests (the section interfaces, inline objects such as `bankProfile.management`, JWKs) must
// carry a TSDoc summary and a `@see` naming where it comes from (the spec section, or the ob-dcr
// document for settings of ob-dcr's own). A field added without documentation fails here.
import path from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const FILE = path.resolve(__dirname, "../../provider/resource/args_doc.ts");

interface Field {
  path: string;
  summary: string;
  see: string[];
}

function fields(): Field[] {
  const program = ts.createProgram([FILE], {
    strict: true,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    noEmit: true,
  });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(FILE);
  if (!source) throw new Error(`cannot read ${FILE}`);
  // The interfaces and type aliases of the file, by name.
  const declared = new Map<string, ts.InterfaceDeclaration | ts.TypeAliasDeclaration>();
  for (const s of source.statements) {
    if (ts.isInterfaceDeclaration(s) || ts.isTypeAliasDeclaration(s)) declared.set(s.name.text, s);
  }
  const out: Field[] = [];
  const seen = new Set<string>();

  const members = (owner: string, list: ts.NodeArray<ts.TypeElement>) => {
    for (const m of list) {
      if (!ts.isPropertySignature(m)) continue; // index signatures: "passed as is"
      const name = `${owner}.${m.name.getText(source)}`;
      const symbol = checker.getSymbolAtLocation(m.name);
      out.push({
        path: name,
        summary: symbol ? ts.displayPartsToString(symbol.getDocumentationComment(checker)).trim() : "",
        see: symbol
          ? symbol
              .getJsDocTags(checker)
              .filter((t) => t.name === "see")
              .map((t) => ts.displayPartsToString(t.text).trim())
          : [],
      });
      if (m.type) nested(name, m.type);
    }
  };
  // The object types a field's type node reaches: inline literals, and this file's declarations
  // (through In<…>, unions, arrays).
  const nested = (owner: string, node: ts.Node) => {
    if (ts.isTypeLiteralNode(node)) return members(owner, node.members);
    if (ts.isTypeReferenceNode(node)) {
      const d = declared.get(node.typeName.getText(source));
      if (d && !seen.has(d.name.text)) {
        seen.add(d.name.text);
        if (ts.isInterfaceDeclaration(d)) members(d.name.text, d.members);
        else nested(d.name.text, d.type);
      }
    }
    ts.forEachChild(node, (c) => nested(owner, c));
  };
  const root = declared.get("ObClientRegistrationArgs");
  if (!root || !ts.isInterfaceDeclaration(root)) throw new Error("ObClientRegistrationArgs is not declared");
  seen.add(root.name.text);
  members(root.name.text, root.members);
  return out;
}

describe("types: hover text of ObClientRegistrationArgs (TSDoc on every field)", () => {
  const all = fields();

  it("reaches every section and nested object", () => {
    const owners = new Set(all.map((f) => f.path.split(".")[0]));
    for (const t of [
      "ObClientRegistrationArgs",
      "BankArgs",
      "DirectoryArgs",
      "SoftwareArgs",
      "SigningKeyArgs",
      "TransportArgs",
      "ClientArgs",
      "BankProfileArgs",
      "AdoptArgs",
      "JwkArg",
      "JwksArg",
    ]) {
      expect(owners, t).toContain(t);
    }
    expect(all.map((f) => f.path)).toEqual(
      expect.arrayContaining([
        "BankProfileArgs.management.ratMayRotate",
        "BankProfileArgs.response.dnClaim",
        "BankProfileArgs.supports.delete",
        "BankProfileArgs.aud.literal",
      ]),
    );
    expect(all.length).toBeGreaterThan(95);
  });

  it("every field has a summary", () => {
    expect(all.filter((f) => f.summary.length < 10).map((f) => f.path)).toEqual([]);
  });

  it("every field says where it comes from (@see: the spec section, or the ob-dcr document)", () => {
    expect(all.filter((f) => f.see.length === 0 || f.see.some((s) => s === "")).map((f) => f.path)).toEqual(
      [],
    );
  });
});
