import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { escapeDnValue, InvalidInputError, subjectDnFromCertificate } from "../../provider/core/index.js";

const fx = (f: string) => readFileSync(path.join(__dirname, "../fixtures", f), "utf8");
const HEX = "0c1050534447422d4643412d313233343536"; // UTF8String "PSDGB-FCA-123456"

describe("subjectDnFromCertificate", () => {
  const cert = fx("dn_test.crt");
  it("hex form (RFC 4514 order, 2.5.4.97=#DER)", () => {
    expect(subjectDnFromCertificate(cert, "hex")).toBe(
      `CN=2cfGqDWH4LgtDRHd5JtFp8,OU=0015800001041RHAAY,2.5.4.97=#${HEX},O=Open Banking\\, Ltd,C=GB`,
    );
  });
  it("default is hex", () => {
    expect(subjectDnFromCertificate(cert)).toContain(`2.5.4.97=#${HEX}`);
  });
  it("name form", () => {
    expect(subjectDnFromCertificate(cert, "name")).toBe(
      "CN=2cfGqDWH4LgtDRHd5JtFp8,OU=0015800001041RHAAY,organizationIdentifier=PSDGB-FCA-123456,O=Open Banking\\, Ltd,C=GB",
    );
  });
  it("oid text form", () => {
    expect(subjectDnFromCertificate(cert, "oid")).toBe(
      "CN=2cfGqDWH4LgtDRHd5JtFp8,OU=0015800001041RHAAY,2.5.4.97=PSDGB-FCA-123456,O=Open Banking\\, Ltd,C=GB",
    );
  });
  it("escapes special characters and writes unknown OIDs as #hex", () => {
    expect(subjectDnFromCertificate(fx("dn_escape.crt"))).toBe(
      '2.5.4.5=#13053132333435,CN=\\ lead trail\\ ,O=\\#Acme\\+Co\\;\\<x\\>\\"q\\"\\\\,C=GB',
    );
  });
  it("PrintableString organizationIdentifier vector (sandbox style)", () => {
    // the DER hex is written verbatim whatever the string type
    expect(escapeDnValue("a,b")).toBe("a\\,b");
    expect(escapeDnValue("#x")).toBe("\\#x");
    expect(escapeDnValue("x ")).toBe("x\\ ");
    expect(escapeDnValue("a\0b")).toBe("a\\00b");
    expect(escapeDnValue("mid#dle")).toBe("mid#dle");
  });
  it("rejects garbage", () => {
    expect(() => subjectDnFromCertificate("nope")).toThrow(InvalidInputError);
    expect(() => subjectDnFromCertificate(new Uint8Array([0x30, 0x05, 1]))).toThrow(/transport.cert/);
  });
});
