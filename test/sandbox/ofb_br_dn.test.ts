// The BR emulator's DN code (sandbox/ofb_br/dn.ts): the §2.5 writer on its own certificates, the
// digest's decoding examples, the §2.5 format rule, and RFC 4517 distinguishedNameMatch.
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  certSubjectDn,
  DEFAULT_OFB_ORGS,
  dnMatch,
  OfbBrOrgConfig,
  ofbDnFormatProblem,
  parseDn,
} from "../../sandbox/ofb_br/index.js";
import { ensureOfbPki, type OfbPki } from "../../sandbox/ofb_br/pki.js";

const hex = (tag: string, s: string) => {
  const b = Buffer.from(s, "utf8");
  return `#${tag}${b.length.toString(16).padStart(2, "0")}${b.toString("hex")}`;
};
const ORG = "67c57882-043b-11ec-9a03-0242ac130003";
const SW = "0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d";

describe("OFB DN writer on the sandbox's transport certificates", () => {
  let dir: string;
  let pki: OfbPki;
  const orgs = DEFAULT_OFB_ORGS.map((o) => OfbBrOrgConfig.parse(o));
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "ofb-dn-"));
    pki = await ensureOfbPki(dir, orgs);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("writes UID first, the four OFB OIDs as #DER hex with their tags (13 and 0C), strings by short name", () => {
    const t = pki.softwares.get(SW)!.transport;
    const expected = [
      `UID=${SW}`,
      `2.5.4.97=${hex("13", `OFBBR-${ORG}`)}`,
      "CN=tpp.example.com.br",
      `2.5.4.5=${hex("13", "13353236000189")}`,
      "1.3.6.1.4.1.311.60.2.1.3=#13024252",
      `2.5.4.15=${hex("0c", "Private Organization")}`,
      "O=Sandbox TPP Ltda",
      "L=São Paulo",
      "ST=SP",
      "C=BR",
    ].join(",");
    expect(certSubjectDn(t.der)).toBe(expected);
    expect(t.subject_dn).toBe(expected);
    // The digest's example prefix for organizationIdentifier (tag 13, length 0x2A).
    expect(expected).toContain("2.5.4.97=#132a4f464242522d");
    // Reverse certificate order, checked against Node's own reading of the certificate (cert order).
    const nodeOrder = new crypto.X509Certificate(t.certPem).subject.split("\n").map((l) => l.split("=")[0]);
    expect(nodeOrder[0]).toBe("C");
    expect(nodeOrder.at(-1)).toBe("UID");
    expect(nodeOrder).toHaveLength(10);
    expect(ofbDnFormatProblem(expected)).toBeUndefined();
    expect(dnMatch(expected, t.subject_dn)).toBe(true);
  });

  it("reuses the PKI on a second start (same certificates)", async () => {
    const again = await ensureOfbPki(dir, orgs);
    expect(again.softwares.get(SW)!.transport.certPem).toBe(pki.softwares.get(SW)!.transport.certPem);
    expect(again.caPem).toBe(pki.caPem);
  });
});

describe("§2.5 decoding examples", () => {
  it("decodes organizationIdentifier, serialNumber and jurisdictionCountryName", () => {
    const dn = `2.5.4.97=#132A4F464242522D${Buffer.from(ORG).toString("hex").toUpperCase()},2.5.4.5=#130e3133333533323336303030313839,1.3.6.1.4.1.311.60.2.1.3=#13024252`;
    const [oi, sn, jc] = parseDn(dn).map((r) => r[0]!);
    expect(oi).toMatchObject({ oid: "2.5.4.97", valueForm: "hex", tag: 0x13, text: `OFBBR-${ORG}` });
    expect(sn).toMatchObject({ oid: "2.5.4.5", tag: 0x13, text: "13353236000189" });
    expect(jc).toMatchObject({ oid: "1.3.6.1.4.1.311.60.2.1.3", text: "BR" });
  });

  it("decodes UTF8String (0C) hex and RFC 4514 escapes", () => {
    expect(parseDn(`2.5.4.15=${hex("0c", "Private Organization")}`)[0]![0]!.text).toBe(
      "Private Organization",
    );
    expect(parseDn("O=Foo\\, Ltda,L=S\\C3\\A3o Paulo").map((r) => r[0]!.text)).toEqual([
      "Foo, Ltda",
      "São Paulo",
    ]);
  });
});

describe("§2.5 format rule", () => {
  const good = `UID=${SW},2.5.4.97=${hex("13", `OFBBR-${ORG}`)},CN=tpp.example.com.br,C=BR`;
  it("accepts short-named strings and the OFB OIDs as #hex", () => {
    expect(ofbDnFormatProblem(good)).toBeUndefined();
  });
  it.each([
    ["organizationIdentifier as a descriptor", `UID=${SW},organizationIdentifier=OFBBR-${ORG},C=BR`],
    ["2.5.4.97 as a string", `UID=${SW},2.5.4.97=OFBBR-${ORG},C=BR`],
    ["CN as #hex", `UID=${SW},CN=${hex("0c", "tpp.example.com.br")},C=BR`],
    ["a short name as an OID", `0.9.2342.19200300.100.1.1=${SW},C=BR`],
    ["an attribute outside §2.5", `UID=${SW},1.2.840.113549.1.9.1=${hex("16", "a@b.c")},C=BR`],
    ["not type=value", `UID=${SW},garbage`],
    ["empty", ""],
  ])("refuses %s", (_what, dn) => {
    expect(ofbDnFormatProblem(dn)).toEqual(expect.any(String));
  });
});

describe("distinguishedNameMatch", () => {
  const oi = hex("13", `OFBBR-${ORG}`);
  const base = `UID=${SW},2.5.4.97=${oi},CN=tpp.example.com.br,C=BR`;
  it.each([
    ["identical", base],
    ["value case (caseIgnoreMatch)", `UID=${SW.toUpperCase()},2.5.4.97=${oi},CN=TPP.Example.COM.br,C=br`],
    ["type case and descriptor vs OID", `uid=${SW},2.5.4.97=${oi},2.5.4.3=tpp.example.com.br,c=BR`],
    [
      "hex vs string",
      `UID=${SW},organizationIdentifier=OFBBR-${ORG},CN=${hex("0c", "tpp.example.com.br")},C=BR`,
    ],
    [
      "UTF8String vs PrintableString",
      `UID=${SW},2.5.4.97=${hex("0c", `OFBBR-${ORG}`)},CN=tpp.example.com.br,C=BR`,
    ],
    ["upper-case hex", `UID=${SW},2.5.4.97=${oi.toUpperCase()},CN=tpp.example.com.br,C=BR`],
    ["spaces around separators and inside values", `UID=${SW} , 2.5.4.97=${oi},CN=  tpp.example.com.br,C=BR`],
  ])("matches: %s", (_what, other) => {
    expect(dnMatch(base, other)).toBe(true);
  });

  it.each([
    ["RDN order differs", `2.5.4.97=${oi},UID=${SW},CN=tpp.example.com.br,C=BR`],
    ["one RDN fewer", `UID=${SW},2.5.4.97=${oi},CN=tpp.example.com.br`],
    ["one RDN more", `${base},O=Extra`],
    ["another value", `UID=${SW},2.5.4.97=${hex("13", "OFBBR-other")},CN=tpp.example.com.br,C=BR`],
    ["another type", `UID=${SW},2.5.4.97=${oi},O=tpp.example.com.br,C=BR`],
    ["a multi-valued RDN instead of two", `UID=${SW}+2.5.4.97=${oi},CN=tpp.example.com.br,C=BR`],
    ["unparsable", `UID=${SW},2.5.4.97=#13zz,CN=tpp.example.com.br,C=BR`],
  ])("does not match: %s", (_what, other) => {
    expect(dnMatch(base, other)).toBe(false);
  });

  it("set mode (unconfirmed deployed behaviour) ignores RDN order but not content", () => {
    expect(dnMatch(base, `C=BR,CN=tpp.example.com.br,2.5.4.97=${oi},UID=${SW}`, "set")).toBe(true);
    expect(dnMatch(base, `C=BR,CN=other.example.com.br,2.5.4.97=${oi},UID=${SW}`, "set")).toBe(false);
  });

  it("matches multi-valued RDNs in any AVA order", () => {
    expect(dnMatch(`CN=a+O=b,C=BR`, `O=B+CN=A,C=br`)).toBe(true);
  });
});
