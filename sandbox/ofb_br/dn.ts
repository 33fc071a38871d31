/**
 * Open Finance Brasil subject DNs (digest §2.5), independent of provider/core/dn.ts: the string the
 * AS expects in `tls_client_auth_subject_dn` (RFC 4514, RDNs in reverse certificate order, the four
 * OFB attributes as `OID=#<DER hex>`), an RFC 4514 parser, the §2.5 format rule and RFC 4517
 * distinguishedNameMatch (§4.2.15) with caseIgnoreMatch (§4.2.11) on the values.
 */
import { AsnConvert } from "@peculiar/asn1-schema";
import { Certificate, type Name } from "@peculiar/asn1-x509";

export const OID = {
  CN: "2.5.4.3",
  L: "2.5.4.7",
  ST: "2.5.4.8",
  O: "2.5.4.10",
  OU: "2.5.4.11",
  C: "2.5.4.6",
  STREET: "2.5.4.9",
  DC: "0.9.2342.19200300.100.1.25",
  UID: "0.9.2342.19200300.100.1.1",
  serialNumber: "2.5.4.5",
  businessCategory: "2.5.4.15",
  organizationIdentifier: "2.5.4.97",
  jurisdictionCountryName: "1.3.6.1.4.1.311.60.2.1.3",
} as const;

/** Attributes written as strings by their short name (§2.5). */
const STRING_NAMES: Record<string, string> = {
  [OID.CN]: "CN",
  [OID.L]: "L",
  [OID.ST]: "ST",
  [OID.O]: "O",
  [OID.OU]: "OU",
  [OID.C]: "C",
  [OID.STREET]: "STREET",
  [OID.DC]: "DC",
  [OID.UID]: "UID",
};

/** The four attributes OFB writes as `OID=#<DER hex>` (§2.5). */
export const OFB_HEX_OIDS: ReadonlySet<string> = new Set([
  OID.businessCategory,
  OID.jurisdictionCountryName,
  OID.serialNumber,
  OID.organizationIdentifier,
]);

/** Descriptors a parser accepts (lower case) → OID: RFC 4514 §3 names plus common LDAP/X.520 ones. */
const DESCRIPTORS: Record<string, string> = {
  cn: OID.CN,
  commonname: OID.CN,
  l: OID.L,
  localityname: OID.L,
  st: OID.ST,
  stateorprovincename: OID.ST,
  o: OID.O,
  organizationname: OID.O,
  ou: OID.OU,
  organizationalunitname: OID.OU,
  c: OID.C,
  countryname: OID.C,
  street: OID.STREET,
  streetaddress: OID.STREET,
  dc: OID.DC,
  domaincomponent: OID.DC,
  uid: OID.UID,
  userid: OID.UID,
  serialnumber: OID.serialNumber,
  businesscategory: OID.businessCategory,
  organizationidentifier: OID.organizationIdentifier,
  jurisdictioncountryname: OID.jurisdictionCountryName,
  jurisdictionc: OID.jurisdictionCountryName,
};

function escapeValue(value: string): string {
  let out = value.replace(/[\\"+,;<>=]/g, (c) => `\\${c}`);
  if (out.startsWith(" ") || out.startsWith("#")) out = `\\${out}`;
  if (out.endsWith(" ") && out.length > 1) out = `${out.slice(0, -1)}\\ `;
  return out;
}

/** The §2.5 DN string of an X.501 Name: reverse order, strings by short name, other types `OID=#hex`. */
export function writeOfbDn(name: Name): string {
  return [...name]
    .reverse()
    .map((rdn) =>
      [...rdn]
        .map((atv) => {
          const short = STRING_NAMES[atv.type];
          if (short) return `${short}=${escapeValue(atv.value.toString())}`;
          return `${atv.type}=#${Buffer.from(AsnConvert.serialize(atv.value)).toString("hex")}`;
        })
        .join("+"),
    )
    .join(",");
}

/** The subject Name of a DER certificate. */
export function certSubject(der: Uint8Array): Name {
  return AsnConvert.parse(der, Certificate).tbsCertificate.subject;
}

/** The §2.5 DN string of a DER certificate's subject. */
export function certSubjectDn(der: Uint8Array): string {
  return writeOfbDn(certSubject(der));
}

/** The subject's values by OID (first occurrence), as strings. */
export function subjectValues(der: Uint8Array): Map<string, string> {
  const out = new Map<string, string>();
  for (const rdn of certSubject(der))
    for (const atv of rdn) {
      if (!out.has(atv.type)) out.set(atv.type, atv.value.toString());
    }
  return out;
}

/** One attribute of a parsed DN: its OID, how it was written, and its value as text (undefined if not a string type). */
export interface Ava {
  oid: string;
  /** How the type was written: a descriptor (`CN`) or a dotted OID. */
  typeForm: "descriptor" | "oid";
  /** `#hex` (BER) or an RFC 4514 string. */
  valueForm: "hex" | "string";
  /** The value as text; for `#hex` the decoded string (undefined when the BER is not a string type). */
  text?: string;
  /** For `#hex`: the BER tag and the raw bytes. */
  tag?: number;
  ber?: Uint8Array;
}
export type Rdn = Ava[];

export class DnParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DnParseError";
  }
}

/** Decodes a BER string value (universal string tags); undefined for any other type. */
function berText(bytes: Uint8Array): { tag: number; text?: string } {
  if (bytes.length < 2) throw new DnParseError("#hex value too short for a BER TLV");
  const tag = bytes[0]!;
  let len = bytes[1]!;
  let off = 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 3 || bytes.length < 2 + n) throw new DnParseError("bad BER length in #hex value");
    len = 0;
    for (let i = 0; i < n; i++) len = (len << 8) | bytes[2 + i]!;
    off = 2 + n;
  }
  if (off + len !== bytes.length) throw new DnParseError("BER length does not match the #hex value");
  const content = Buffer.from(bytes.subarray(off));
  switch (tag) {
    case 0x0c: // UTF8String
      return { tag, text: new TextDecoder("utf-8", { fatal: true }).decode(content) };
    case 0x13: // PrintableString
    case 0x16: // IA5String
    case 0x12: // NumericString
      return { tag, text: content.toString("ascii") };
    case 0x14: // TeletexString (treated as Latin-1)
      return { tag, text: content.toString("latin1") };
    case 0x1e: // BMPString, UTF-16BE
      return { tag, text: Buffer.from(content).swap16().toString("utf16le") };
    case 0x1c: {
      // UniversalString, UTF-32BE
      let s = "";
      for (let i = 0; i + 3 < content.length; i += 4) s += String.fromCodePoint(content.readUInt32BE(i));
      return { tag, text: s };
    }
    default:
      return { tag };
  }
}

/** Splits on an unescaped separator (a `\` escapes the next character). */
function splitUnescaped(s: string, sep: string): string[] {
  const parts: string[] = [];
  let cur = "";
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === "\\" && i + 1 < s.length) {
      cur += c + s[i + 1];
      i++;
    } else if (c === sep) {
      parts.push(cur);
      cur = "";
    } else cur += c;
  }
  parts.push(cur);
  return parts;
}

/** RFC 4514 §3 string value: `\<special>` and `\<hexpair>` (UTF-8 bytes) escapes. */
function unescapeValue(v: string): string {
  const bytes: number[] = [];
  const enc = new TextEncoder();
  for (let i = 0; i < v.length; i++) {
    const c = v[i]!;
    if (c === "\\") {
      const pair = v.slice(i + 1, i + 3);
      if (/^[0-9a-fA-F]{2}$/.test(pair)) {
        bytes.push(Number.parseInt(pair, 16));
        i += 2;
      } else if (i + 1 < v.length) {
        bytes.push(...enc.encode(v[i + 1]!));
        i++;
      } else throw new DnParseError("a DN value ends with a lone backslash");
    } else bytes.push(...enc.encode(c));
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(new Uint8Array(bytes));
  } catch {
    throw new DnParseError("an escaped DN value is not valid UTF-8");
  }
}

function parseAva(text: string): Ava {
  const eq = text.indexOf("=");
  if (eq <= 0) throw new DnParseError(`"${text.trim()}" is not type=value`);
  const type = text.slice(0, eq).trim();
  const raw = text.slice(eq + 1).replace(/^ +/, "");
  let oid: string;
  let typeForm: Ava["typeForm"];
  if (/^\d+(\.\d+)+$/.test(type)) {
    oid = type;
    typeForm = "oid";
  } else {
    const known = DESCRIPTORS[type.toLowerCase()];
    if (!known) throw new DnParseError(`unknown attribute type ${type}`);
    oid = known;
    typeForm = "descriptor";
  }
  if (raw.startsWith("#")) {
    const hex = raw.slice(1).trimEnd();
    if (!/^([0-9a-fA-F]{2})+$/.test(hex)) throw new DnParseError(`${type} has a malformed #hex value`);
    const ber = new Uint8Array(Buffer.from(hex, "hex"));
    const { tag, text: decoded } = berText(ber);
    return { oid, typeForm, valueForm: "hex", text: decoded, tag, ber };
  }
  // Trailing unescaped spaces are not part of the value (RFC 4514 §3).
  const trimmed = raw.replace(/(?<!\\) +$/, "");
  return { oid, typeForm, valueForm: "string", text: unescapeValue(trimmed) };
}

/** Parses an RFC 4514 DN string into RDNs in the order written. */
export function parseDn(dn: string): Rdn[] {
  if (dn.trim() === "") return [];
  return splitUnescaped(dn, ",").map((rdn) => splitUnescaped(rdn, "+").map(parseAva));
}

/**
 * Why a DN string is not in the §2.5 format, or undefined: every attribute is either a short-named
 * string (CN, L, ST, O, OU, C, STREET, DC, UID) or one of the four OFB OIDs written `OID=#<DER hex>`.
 */
export function ofbDnFormatProblem(dn: string): string | undefined {
  let rdns: Rdn[];
  try {
    rdns = parseDn(dn);
  } catch (err) {
    return (err as Error).message;
  }
  if (rdns.length === 0) return "the DN is empty";
  for (const rdn of rdns)
    for (const ava of rdn) {
      const short = STRING_NAMES[ava.oid];
      if (short) {
        if (ava.typeForm !== "descriptor" || ava.valueForm !== "string")
          return `${short} must be written as ${short}=<string>`;
      } else if (OFB_HEX_OIDS.has(ava.oid)) {
        if (ava.typeForm !== "oid" || ava.valueForm !== "hex")
          return `${ava.oid} must be written as ${ava.oid}=#<DER hex>`;
        if (ava.text === undefined) return `${ava.oid} is not a string in DER`;
      } else return `attribute ${ava.oid} is not part of an Open Finance Brasil subject DN`;
    }
  return undefined;
}

/** RFC 4518 insignificant-space handling and case folding, as caseIgnoreMatch needs. */
function foldCase(text: string): string {
  return text.normalize("NFKC").trim().replace(/\s+/g, " ").toLowerCase();
}

function avaMatch(a: Ava, b: Ava): boolean {
  if (a.oid !== b.oid) return false;
  if (a.text !== undefined && b.text !== undefined) return foldCase(a.text) === foldCase(b.text);
  // A value that is not a string (e.g. a non-string BER): equal only byte for byte.
  return a.ber !== undefined && b.ber !== undefined && Buffer.from(a.ber).equals(Buffer.from(b.ber));
}

/** RDN match: the same number of AVAs, each with a match in the other (AVA order inside an RDN is free). */
function rdnMatch(a: Rdn, b: Rdn): boolean {
  if (a.length !== b.length) return false;
  const used = new Set<number>();
  return a.every((x) => {
    const j = b.findIndex((y, k) => !used.has(k) && avaMatch(x, y));
    if (j < 0) return false;
    used.add(j);
    return true;
  });
}

/**
 * RFC 4517 distinguishedNameMatch ("ordered": the same number of RDNs, equal by position), or the
 * unconfirmed set-based variant ("set": each RDN matched once, in any order). Unparsable ⇒ false.
 */
export function dnMatch(a: string, b: string, mode: "ordered" | "set" = "ordered"): boolean {
  let ra: Rdn[];
  let rb: Rdn[];
  try {
    ra = parseDn(a);
    rb = parseDn(b);
  } catch {
    return false;
  }
  if (ra.length !== rb.length || ra.length === 0) return false;
  if (mode === "ordered") return ra.every((r, i) => rdnMatch(r, rb[i]!));
  const used = new Set<number>();
  return ra.every((r) => {
    const j = rb.findIndex((s, k) => !used.has(k) && rdnMatch(r, s));
    if (j < 0) return false;
    used.add(j);
    return true;
  });
}
