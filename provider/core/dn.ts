/**
 * Subject DN of an X.509 certificate as an RFC 4514 string (reverse of the certificate's RDN
 * sequence, RFC 4514 §2.4 escaping), with organizationIdentifier (2.5.4.97) written the way a
 * bank expects. Pure: a tiny DER reader, no I/O.
 */
import { InvalidInputError } from "./errors.js";

/** How OID 2.5.4.97 (organizationIdentifier) is written. */
export type OrgIdDnFormat = "hex" | "name" | "oid";

interface Tlv {
  tag: number;
  start: number; // offset of the tag byte
  valueStart: number;
  end: number; // exclusive
}

function readTlv(buf: Uint8Array, offset: number): Tlv {
  const tag = buf[offset];
  let len = buf[offset + 1];
  if (tag === undefined || len === undefined) throw new Error("truncated DER");
  let p = offset + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) throw new Error("unsupported DER length");
    len = 0;
    for (let i = 0; i < n; i++) {
      const b = buf[p++];
      if (b === undefined) throw new Error("truncated DER");
      len = len * 256 + b;
    }
  }
  const end = p + len;
  if (end > buf.length) throw new Error("truncated DER");
  return { tag, start: offset, valueStart: p, end };
}

function children(buf: Uint8Array, tlv: Tlv): Tlv[] {
  const out: Tlv[] = [];
  let p = tlv.valueStart;
  while (p < tlv.end) {
    const c = readTlv(buf, p);
    out.push(c);
    p = c.end;
  }
  return out;
}

function decodeOid(bytes: Uint8Array): string {
  const parts: number[] = [];
  let v = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number;
    v = v * 128 + (b & 0x7f);
    if (!(b & 0x80)) {
      if (parts.length === 0) {
        const first = v < 80 ? Math.floor(v / 40) : 2;
        parts.push(first, v - first * 40);
      } else parts.push(v);
      v = 0;
    }
  }
  return parts.join(".");
}

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

/** Decode a DER string value; undefined when the type is not a string type. */
function decodeString(tag: number, b: Uint8Array): string | undefined {
  switch (tag) {
    case 0x0c: // UTF8String
      return new TextDecoder("utf-8", { fatal: true }).decode(b);
    case 0x13: // PrintableString
    case 0x16: // IA5String
    case 0x12: // NumericString
      return String.fromCharCode(...b);
    case 0x14: // TeletexString (treated as latin1)
      return new TextDecoder("latin1").decode(b);
    case 0x1e: // BMPString
      return new TextDecoder("utf-16be").decode(b);
    case 0x1c: {
      // UniversalString (UTF-32BE)
      let s = "";
      for (let i = 0; i + 3 < b.length; i += 4)
        s += String.fromCodePoint(
          ((b[i] as number) << 24) |
            ((b[i + 1] as number) << 16) |
            ((b[i + 2] as number) << 8) |
            (b[i + 3] as number),
        );
      return s;
    }
    default:
      return undefined;
  }
}

/** RFC 4514 short names (only those from RFC 4514 §3). */
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

export const OID_ORGANIZATION_IDENTIFIER = "2.5.4.97";

/** RFC 4514 §2.4 escaping of a string attribute value. */
export function escapeDnValue(v: string): string {
  let out = "";
  for (let i = 0; i < v.length; i++) {
    const c = v[i] as string;
    if (c === "\0") out += "\\00";
    else if ('"+,;<>\\'.includes(c)) out += `\\${c}`;
    else if ((i === 0 && (c === " " || c === "#")) || (i === v.length - 1 && c === " ")) out += `\\${c}`;
    else out += c;
  }
  return out;
}

/** One attribute of a DN, as found in the certificate. */
export interface DnAttribute {
  oid: string;
  /** DER encoding of the whole AttributeValue (tag, length, value). */
  der: Uint8Array;
  /** Decoded text when the value is a string type. */
  text: string | undefined;
}

/** The subject's RDN sequence in certificate order. */
export function parseSubjectRdns(certDer: Uint8Array): DnAttribute[][] {
  try {
    const cert = readTlv(certDer, 0);
    const tbs = children(certDer, cert)[0];
    if (!tbs) throw new Error("no tbsCertificate");
    const f = children(certDer, tbs);
    const base = f[0]?.tag === 0xa0 ? 1 : 0; // optional [0] version
    const subject = f[base + 4];
    if (subject?.tag !== 0x30) throw new Error("no subject");
    return children(certDer, subject).map((rdn) =>
      children(certDer, rdn).map((atv) => {
        const [oidT, valT] = children(certDer, atv);
        if (!oidT || !valT) throw new Error("bad AttributeTypeAndValue");
        const der = certDer.slice(valT.start, valT.end);
        return {
          oid: decodeOid(certDer.slice(oidT.valueStart, oidT.end)),
          der,
          text: decodeString(valT.tag, certDer.slice(valT.valueStart, valT.end)),
        };
      }),
    );
  } catch (cause) {
    throw new InvalidInputError("transport.cert", "is not a parseable X.509 certificate", { cause });
  }
}

function formatAttribute(a: DnAttribute, orgIdFormat: OrgIdDnFormat): string {
  if (a.oid === OID_ORGANIZATION_IDENTIFIER && a.text !== undefined) {
    if (orgIdFormat === "name") return `organizationIdentifier=${escapeDnValue(a.text)}`;
    if (orgIdFormat === "oid") return `2.5.4.97=${escapeDnValue(a.text)}`;
    return `2.5.4.97=#${hex(a.der)}`;
  }
  const short = SHORT_NAMES[a.oid];
  if (short && a.text !== undefined) return `${short}=${escapeDnValue(a.text)}`;
  // RFC 4514 §2.4: dotted-decimal type => '#' + hex of the BER encoding.
  return `${a.oid}=#${hex(a.der)}`;
}

/** RFC 4514 string of an RDN sequence (given in certificate order). */
export function formatDn(rdns: DnAttribute[][], orgIdFormat: OrgIdDnFormat = "hex"): string {
  return [...rdns]
    .reverse()
    .map((rdn) => rdn.map((a) => formatAttribute(a, orgIdFormat)).join("+"))
    .join(",");
}

/** DER bytes of the first certificate in a PEM string (or the bytes themselves). */
export function certificateDer(cert: string | Uint8Array): Uint8Array {
  if (typeof cert !== "string") return cert;
  const m = /-----BEGIN CERTIFICATE-----([\s\S]+?)-----END CERTIFICATE-----/.exec(cert);
  if (!m?.[1]) throw new InvalidInputError("transport.cert", "must be a PEM certificate (BEGIN CERTIFICATE)");
  return Uint8Array.from(Buffer.from(m[1].replace(/\s+/g, ""), "base64"));
}

/**
 * Subject DN of a certificate (PEM or DER) in RFC 4514 order with the chosen 2.5.4.97 form.
 * @throws {InvalidInputError} `OBDCR_INVALID_INPUT` (field `transport.cert`): not a certificate.
 */
export function subjectDnFromCertificate(
  cert: string | Uint8Array,
  orgIdFormat: OrgIdDnFormat = "hex",
): string {
  return formatDn(parseSubjectRdns(certificateDer(cert)), orgIdFormat);
}
