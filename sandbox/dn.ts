import { AsnConvert } from "@peculiar/asn1-schema";
import { Certificate, type Name } from "@peculiar/asn1-x509";
import type { DnEncoding } from "./quirks.js";

/** RFC 4514 §3 short names; any other attribute type is written as a dotted OID with a `#<BER hex>` value. */
const SHORT_NAMES: Record<string, string> = {
  "2.5.4.3": "CN",
  "2.5.4.7": "L",
  "2.5.4.8": "ST",
  "2.5.4.10": "O",
  "2.5.4.11": "OU",
  "2.5.4.6": "C",
  "2.5.4.9": "STREET",
  "0.9.2342.19200300.100.1.25": "DC",
  "0.9.2342.19200300.100.1.1": "UID",
};
export const ORGANIZATION_IDENTIFIER = "2.5.4.97";

function escapeValue(value: string): string {
  let out = value.replace(/[\\"+,;<>=]/g, (c) => `\\${c}`);
  if (out.startsWith(" ") || out.startsWith("#")) out = `\\${out}`;
  if (out.endsWith(" ") && out.length > 1) out = `${out.slice(0, -1)}\\ `;
  return out;
}

/** RFC 4514 string of an X.501 Name (last RDN first), organizationIdentifier in the given encoding. */
export function nameToRfc4514(name: Name, encoding: DnEncoding): string {
  const rdns = [...name].reverse().map((rdn) =>
    [...rdn]
      .map((atv) => {
        const short = SHORT_NAMES[atv.type];
        if (short) return `${short}=${escapeValue(atv.value.toString())}`;
        if (atv.type === ORGANIZATION_IDENTIFIER && encoding === "name")
          return `organizationIdentifier=${escapeValue(atv.value.toString())}`;
        if (atv.type === ORGANIZATION_IDENTIFIER && encoding === "oid")
          return `${atv.type}=${escapeValue(atv.value.toString())}`;
        return `${atv.type}=#${Buffer.from(AsnConvert.serialize(atv.value)).toString("hex")}`;
      })
      .join("+"),
  );
  return rdns.join(",");
}

/** The subject DN of a DER certificate as RFC 4514 text. */
export function subjectDn(der: Uint8Array, encoding: DnEncoding): string {
  const cert = AsnConvert.parse(der, Certificate);
  return nameToRfc4514(cert.tbsCertificate.subject, encoding);
}

/** The subject DN in each encoding a bank may use for 2.5.4.97 (what the manifest and a renewal show). */
export function subjectDnEncodings(der: Uint8Array): { hex: string; name: string; oid: string } {
  return { hex: subjectDn(der, "hex"), name: subjectDn(der, "name"), oid: subjectDn(der, "oid") };
}

/** The subject's RDN values by short name (CN, OU, ...), first occurrence. */
export function subjectAttributes(der: Uint8Array): Record<string, string> {
  const cert = AsnConvert.parse(der, Certificate);
  const out: Record<string, string> = {};
  for (const rdn of cert.tbsCertificate.subject) {
    for (const atv of rdn) {
      const key = SHORT_NAMES[atv.type] ?? atv.type;
      out[key] ??= atv.value.toString();
    }
  }
  return out;
}

/** Splits an RFC 4514 string on unescaped commas and normalises whitespace, type case and hex case. */
export function normalizeDn(dn: string): string {
  const parts: string[] = [];
  let cur = "";
  for (let i = 0; i < dn.length; i++) {
    const c = dn[i];
    if (c === "\\" && i + 1 < dn.length) {
      cur += c + dn[i + 1];
      i++;
    } else if (c === ",") {
      parts.push(cur);
      cur = "";
    } else cur += c;
  }
  parts.push(cur);
  return parts
    .map((p) => {
      const t = p.trim();
      const eq = t.indexOf("=");
      if (eq < 0) return t;
      const type = t.slice(0, eq).trim().toUpperCase();
      const value = t.slice(eq + 1).trim();
      return `${type}=${value.startsWith("#") ? value.toLowerCase() : value}`;
    })
    .join(",");
}
