/** The pure guards against untrusted answers: text, JSON, URLs, salvage. */
import { describe, expect, it } from "vitest";
import { OutcomeUnknownError, RegistrationRejectedError } from "../../provider/core/errors.js";
import { depthOf, parseUntrustedJson, topLevelMembers } from "../../provider/core/parse/json.js";
import { salvageRegistration } from "../../provider/core/parse/salvage.js";
import {
  escapeControls,
  printable,
  rememberSecret,
  safeJson,
  scrubSecrets,
  untrustedText,
} from "../../provider/core/untrusted.js";
import {
  addressProblem,
  answeredManagementUriProblem,
  checkDiscoveryDocument,
  hostScope,
  issuerOfDiscoveryUrl,
  managementUriProblem,
  sourceOf,
  urlProblem,
} from "../../provider/core/validate/url_policy.js";

describe("untrusted text", () => {
  it("scrubs a remembered secret whole and in part, and anything JWS-shaped", () => {
    rememberSecret("rat-0123456789abcdefghijklmnop");
    expect(scrubSecrets("token rat-0123456789abcdefghijklmnop here")).toBe("token [redacted] here");
    // Cut by the bank at a length limit: any 16 characters of it are enough to redact the run.
    expect(scrubSecrets("echo: 0123456789abcdefgh")).toBe("echo: [redacted]");
    expect(scrubSecrets("jwt eyJhbGciOiJQUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln end")).toBe("jwt [redacted] end");
    expect(scrubSecrets("a plain sentence")).toBe("a plain sentence");
  });
  it("scrubs a short secret (4 to 7 characters, as a hostile bank may issue) as a whole word only", () => {
    rememberSecret("hunter2");
    rememberSecret("a.b$");
    rememberSecret("abc"); // under 4: not scrubbed by value
    expect(scrubSecrets('invalid_client: client_secret "hunter2" is wrong')).toBe(
      'invalid_client: client_secret "[redacted]" is wrong',
    );
    expect(scrubSecrets("secret=hunter2&x=1, hunter2.")).toBe("secret=[redacted]&x=1, [redacted].");
    expect(scrubSecrets("hunter22 xhunter2 hunter2_b")).toBe("hunter22 xhunter2 hunter2_b");
    expect(scrubSecrets("got a.b$ and axb$")).toBe("got [redacted] and axb$");
    expect(scrubSecrets("abc def")).toBe("abc def");
  });
  it("scrubs a secret in the spellings a reader can undo: percent, \\u escapes, base64, cut in lines", () => {
    const rat = "rat-enc0123456789abcdefghij";
    rememberSecret(rat);
    const pct = [...rat].map((c) => `%${c.charCodeAt(0).toString(16)}`).join("");
    const esc = [...rat].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`).join("");
    expect(scrubSecrets(`token ${pct} here`)).toBe("token [redacted] here");
    expect(scrubSecrets(`token ${esc} here`)).toBe("token [redacted] here");
    expect(scrubSecrets(`token ${Buffer.from(rat).toString("base64url")} here`)).toBe(
      "token [redacted] here",
    );
    expect(scrubSecrets(`t ${Buffer.from(`Bearer ${rat}`).toString("base64")} e`)).toBe("t [redacted] e");
    expect(scrubSecrets(`token ${rat.match(/.{1,10}/g)!.join("\n")}\nhere`)).toBe("token [redacted]\nhere");
    // Cut by characters a terminal does not show, or by a control (printed escaped).
    for (const cut of ["\u200b", "\u00ad", "\u0001", "\u202e"])
      expect(untrustedText(`token ${rat.match(/.{1,10}/g)!.join(cut)} here`)).toBe("token [redacted] here");
    // A JWS base64-encoded, and percent-encoded with its dots.
    const jws = "eyJhbGciOiJQUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln";
    expect(scrubSecrets(`jwt ${Buffer.from(jws).toString("base64")} end`)).toBe("jwt [redacted] end");
    expect(scrubSecrets(`jwt ${jws.replaceAll(".", "%2E")}, end`)).toBe("jwt [redacted], end");
    // Text that merely holds escapes, spaces or base64 is left as it was.
    const plain = "line one\\u000aline two 100%25 done, kid dGhpcyBpcyBub3QgYSBzZWNyZXQ";
    expect(scrubSecrets(plain)).toBe(plain);
  });
  it("past its bound it forgets the oldest secrets, never the ones it remembered last", () => {
    const value = (i: number) => `bulk-secret-${String(i).padStart(8, "0")}-xyz`;
    for (let i = 0; i <= 50_000; i++) rememberSecret(value(i));
    expect(scrubSecrets(`a ${value(49_990)} b`)).toBe("a [redacted] b");
    expect(scrubSecrets(`cut ${value(49_999).slice(0, 20)}`)).toBe("cut [redacted]");
    expect(scrubSecrets(`a ${value(50_000)} b`)).toBe("a [redacted] b");
  });
  it("escapes controls so that no line, CI command or terminal escape can be forged", () => {
    const forged = "ok\n::add-mask::x\r\u001b]0;t\u0007\u009b2K##vso[task.setvariable x]1";
    const out = untrustedText(forged, 500);
    for (const c of ["\n", "\r", "\u001b", "\u0007", "\u009b"]) expect(out).not.toContain(c);
    expect(out).toContain("\\u000a::add-mask::");
    // A printed line that would start a workflow command is neutralised.
    expect(printable("::error::boom")).toBe("| ::error::boom");
    // Azure Pipelines (`##vso[`) and GitHub's legacy `##[` run from anywhere in a line: escaped.
    expect(printable("##vso[task.setvariable variable=x]1")).toBe(
      "##vso\\u005btask.setvariable variable=x]1",
    );
    expect(printable("bank said: ##VSO[task.complete result=Succeeded]")).toBe(
      "bank said: ##VSO\\u005btask.complete result=Succeeded]",
    );
    expect(printable("x ##[add-mask]y")).toBe("x ##\\u005badd-mask]y");
    // Invisible characters, which a culture-aware search skips, cannot hide a command.
    expect(printable("a ##\u00advso[task.complete]")).toBe("a ##\u00advso\\u005btask.complete]");
    expect(printable("x #\u200b#[add-mask]y")).toBe("x #\u200b#\\u005badd-mask]y");
    expect(printable("\u200b::error::x")).toBe("| \u200b::error::x");
    expect(printable("ok \u2705\ufe0f")).toBe("ok \u2705\ufe0f");
    const json = safeJson({ "##vso[k]": "see ##[add-mask]x \u202e\u2066 ##\ufeffvso[x]" }, 2);
    expect(json.replace(/[\u00ad\u200b-\u200f\ufeff]/g, "")).not.toMatch(/##(vso)?\[|[\u202e\u2066]/);
    expect(JSON.parse(json)).toEqual({ "##vso[k]": "see ##[add-mask]x \u202e\u2066 ##\ufeffvso[x]" });
    expect(safeJson({ s: "\u009b\u2028" })).toBe('{"s":"\\u009b\\u2028"}');
  });
  it("no character that a culture-aware search (ICU, as Intl.Collator here) skips can hide a command", () => {
    // Every code point that ICU's root collation weighs at zero, as .NET's IndexOf/StartsWith on
    // ICU do: between the letters of `##vso[` or before `::`, the command is still escaped.
    const icu = new Intl.Collator("en", { sensitivity: "variant" });
    const skipped: string[] = [];
    for (let cp = 0xa0; cp <= 0x10ffff; cp++) {
      if (cp >= 0xd800 && cp <= 0xdfff) continue;
      const c = String.fromCodePoint(cp);
      if (icu.compare(`#${c}#`, "##") === 0) skipped.push(c);
    }
    expect(skipped.length).toBeGreaterThan(100);
    // What such a search sees of the printed text: the skipped characters gone.
    const seen = (t: string) => [...t].filter((ch) => !skipped.includes(ch)).join("");
    const missed = skipped.filter(
      (c) =>
        /##(vso)?\[/i.test(seen(escapeControls(`x #${c}#vso[task.setvariable variable=a]1`))) ||
        /##(vso)?\[/i.test(seen(escapeControls(`x ##${c}[add-mask]y`))) ||
        /^\s*::/.test(seen(printable(`${c}::error::x`))),
    );
    expect(missed.map((c) => `U+${c.codePointAt(0)!.toString(16)}`)).toEqual([]);
    // Text with such characters elsewhere is left as it is (JSON output too).
    expect(printable("caf\u0065\u0301 \u05d0\u0591 #1 [x]")).toBe("caf\u0065\u0301 \u05d0\u0591 #1 [x]");
    expect(JSON.parse(safeJson({ a: "#\u0591#vso[x]" }))).toEqual({ a: "#\u0591#vso[x]" });
  });
  it("errors made from bank text carry neither secrets nor controls", () => {
    rememberSecret("client-secret-abcdefghijklmnop");
    const e = new RegistrationRejectedError(
      400,
      "bad\r\n::error::x",
      "your client-secret-abcdefghijklmnop is wrong\n",
      "registration (POST)",
    );
    expect(e.message).not.toMatch(/[\r\n]/);
    expect(e.message).not.toContain("client-secret-abcdefghijklmnop");
    expect(e.error_description).toContain("[redacted]");
  });
});

describe("untrusted JSON", () => {
  it("refuses depth, duplicate members and __proto__, without recursion; drops a BOM", () => {
    const deep = `${"[".repeat(100_000)}${"]".repeat(100_000)}`;
    expect(() => parseUntrustedJson(deep)).toThrow(/deeper than 64/);
    expect(() => parseUntrustedJson('{"client_id":"a","x":1,"client_id":"b"}')).toThrow(
      /member "client_id" twice/,
    );
    expect(() => parseUntrustedJson('{"a":{"__proto__":{"x":1}}}')).toThrow(/__proto__/);
    expect(parseUntrustedJson('\ufeff{"client_id":"c"}')).toEqual({ client_id: "c" });
    expect(parseUntrustedJson('{"a":"{\\"client_id\\":1,\\"client_id\\":2}"}')).toEqual({
      a: '{"client_id":1,"client_id":2}',
    });
    expect(depthOf(JSON.parse(`${"[".repeat(50_000)}${"]".repeat(50_000)}`), 100)).toBe(100);
  });
});

describe("topLevelMembers", () => {
  it("names every top-level member of a name, decoded, duplicates and far ones included; nothing nested or quoted", () => {
    const pad = "p".repeat(70_000);
    expect(topLevelMembers('{"client\\u005fid":"a","x":1,"client_id":"b"}', "client_id")).toEqual(["a", "b"]);
    expect(topLevelMembers(`{"x":"${pad}","client_id":"a","client_id":7}`, "client_id")).toEqual(["a", 7]);
    expect(
      topLevelMembers(
        '{"n":{"client_id":"nested"},"s":"{\\"client_id\\":\\"quoted\\"}","client_id":"top"}',
        "client_id",
      ),
    ).toEqual(["top"]);
    // Too deep for the parser, cut off: the top level still says what it named.
    const deep = `{"client_id":"c1","d":${"[".repeat(100_000)}`;
    expect(topLevelMembers(deep, "client_id")).toEqual(["c1"]);
    expect(topLevelMembers('["client_id","x"]', "client_id")).toEqual([]);
    expect(topLevelMembers('{"client_id":{"a":1}}', "client_id")).toEqual([]);
  });
});

describe("URL policy", () => {
  it("https only; http on literal loopback only when allowed; no other scheme, no user-info", () => {
    expect(urlProblem("https://bank.example/register")).toBeUndefined();
    expect(urlProblem("http://bank.example/register")).toMatch(/plain http/);
    expect(urlProblem("http://127.0.0.1:8080/r")).toMatch(/plain http/);
    expect(urlProblem("http://127.0.0.1:8080/r", { allow_http_loopback: true })).toBeUndefined();
    expect(urlProblem("http://localhost:8080/r", { allow_http_loopback: true })).toMatch(/not a loopback/);
    for (const u of ["file:///etc/passwd", "data:text/plain,x", "javascript:alert(1)"])
      expect(urlProblem(u)).toMatch(/scheme/);
    expect(urlProblem("https://user:pw@bank.example/")).toMatch(/user-info/);
  });
  it("management stays on the registration endpoint's origin unless the bank profile names another", () => {
    const reg = "https://bank.example/register";
    expect(managementUriProblem("https://bank.example/register/c1", reg)).toBeUndefined();
    expect(managementUriProblem("https://evil.example/register/c1", reg)).toMatch(
      /not on the registration endpoint's origin/,
    );
    expect(
      managementUriProblem("https://mgmt.bank.example/c1", reg, ["https://mgmt.bank.example"]),
    ).toBeUndefined();
  });
  it("a management URI from an answer never quotes a credential whole (it is kept and printed in plain)", () => {
    const reg = "https://bank.example/register";
    const rat = "rat-uri-0123456789abcdefghij/+";
    rememberSecret(rat);
    expect(answeredManagementUriProblem("https://bank.example/register/c1", reg)).toBeUndefined();
    expect(answeredManagementUriProblem(`https://bank.example/register/c1?t=${rat}`, reg)).toMatch(
      /quotes a credential/,
    );
    expect(
      answeredManagementUriProblem(`https://bank.example/register/c1?t=${encodeURIComponent(rat)}`, reg),
    ).toMatch(/quotes a credential/);
    for (const enc of ["base64url", "base64"] as const)
      expect(
        answeredManagementUriProblem(
          `https://bank.example/register/c1?t=${Buffer.from(rat).toString(enc)}`,
          reg,
        ),
      ).toMatch(/quotes a credential/);
    // A part of a token (a client_id the bank built its token from) is not a quote of it.
    expect(
      answeredManagementUriProblem("https://bank.example/register/0123456789abcdefghij", reg),
    ).toBeUndefined();
    // Recorded URIs are not checked for it: state an earlier answer left is still usable.
    expect(managementUriProblem(`https://bank.example/register/c1?t=${rat}`, reg)).toBeUndefined();
  });
  it("a discovery document names the issuer it was fetched from (OIDC Discovery 4.3), or the declared one", () => {
    const url = "https://bank.example/oidc/.well-known/openid-configuration";
    expect(issuerOfDiscoveryUrl(url)).toBe("https://bank.example/oidc");
    // RFC 8414 §3.1: the issuer's path is inserted after the well-known segment, never glued to it.
    expect(issuerOfDiscoveryUrl("https://bank.example/.well-known/oauth-authorization-server/t1")).toBe(
      "https://bank.example/t1",
    );
    expect(issuerOfDiscoveryUrl("https://bank.example/.well-known/oauth-authorization-server")).toBe(
      "https://bank.example",
    );
    expect(
      issuerOfDiscoveryUrl("https://bank.example/.well-known/oauth-authorization-server.evil.example"),
    ).toBeUndefined();
    expect(() =>
      checkDiscoveryDocument({ issuer: "https://bank.example/oidc/" }, url, undefined),
    ).not.toThrow();
    expect(() => checkDiscoveryDocument({ issuer: "https://other.example" }, url, undefined)).toThrow(
      expect.objectContaining({ field: "discovery.issuer" }),
    );
    expect(() =>
      checkDiscoveryDocument({ issuer: "https://mtls.bank.example" }, url, "https://mtls.bank.example"),
    ).not.toThrow();
    expect(() =>
      checkDiscoveryDocument(
        { issuer: "https://bank.example/oidc", token_endpoint: "http://bank.example/t" },
        url,
        undefined,
      ),
    ).toThrow(expect.objectContaining({ field: "discovery.token_endpoint" }));
  });

  it("a host's scope is read from its normalized spelling, the forms an attacker would try included", () => {
    const scope = (u: string) => hostScope(new URL(u).hostname);
    for (const u of [
      "https://127.0.0.1/",
      "https://2130706433/", // 127.0.0.1 as one number
      "https://0x7f.1/",
      "https://0.0.0.0/",
      "https://[::1]/",
      "https://[::ffff:127.0.0.1]/",
      "https://localhost:8443/",
      "https://api.localhost/",
      "https://LOCALHOST./",
    ])
      expect(scope(u), u).toBe("this host");
    for (const u of [
      "https://10.1.2.3/",
      "https://172.31.0.1/",
      "https://192.168.0.10/",
      "https://100.64.0.1/",
      "https://[fd12::1]/",
      "https://[fec0::1]/", // the retired site-local
      "https://[::10.0.0.1]/", // IPv4-compatible
      "https://[::ffff:0:10.0.0.1]/", // IPv4-translated (SIIT)
      "https://[64:ff9b::10.0.0.1]/", // NAT64 to a private address
      "https://[64:ff9b:1::a00:1]/", // local-use NAT64
      "https://[2002:a00:1::1]/", // 6to4 of 10.0.0.1
    ])
      expect(scope(u), u).toBe("a private network");
    for (const u of [
      "https://169.254.169.254/latest/meta-data/",
      "https://[fe80::1]/",
      "https://[::ffff:a9fe:a9fe]/",
      "https://[::169.254.169.254]/",
      "https://[64:ff9b::169.254.169.254]/", // NAT64 (RFC 6052) to the metadata address
      "https://[2002:a9fe:a9fe::]/", // 6to4
      "https://[2001:0:4136:e378:8000:63bf:5601:5601]/", // Teredo, client 169.254.169.254 inverted
    ])
      expect(scope(u), u).toBe("a link-local network");
    for (const u of [
      "https://intranet/",
      "https://vault.internal/",
      "https://printer.local/",
      "https://nas.home.arpa/",
    ])
      expect(scope(u), u).toBe("a local name");
    for (const u of [
      "https://ob.bank.example/",
      "https://172.32.0.1/",
      "https://8.8.8.8/",
      "https://[2001:db8::1]/",
      "https://[64:ff9b::8.8.8.8]/", // NAT64 to a public address
      "https://[2002:808:808::1]/",
    ])
      expect(scope(u), u).toBe("public");
  });

  it("a bank or directory on the internet may not send us to this machine or a private network", () => {
    const url = "https://bank.example/.well-known/openid-configuration";
    const doc = (registration_endpoint: string) => ({
      issuer: "https://bank.example",
      registration_endpoint,
    });
    expect(() => checkDiscoveryDocument(doc("https://169.254.169.254/register"), url, undefined)).toThrow(
      expect.objectContaining({
        field: "discovery.registration_endpoint",
        message: expect.stringMatching(/link-local network \(169\.254\.169\.254\).*nothing was sent/),
      }),
    );
    for (const target of [
      "https://10.0.0.5/r",
      "https://localhost/r",
      "https://[::1]:8443/r",
      "https://kms.internal/r",
    ])
      expect(() => checkDiscoveryDocument(doc(target), url, undefined), target).toThrow(
        expect.objectContaining({ field: "discovery.registration_endpoint" }),
      );
    // Loopback over http, allowed for a local test server, is still refused when a public bank names it.
    expect(urlProblem("http://127.0.0.1:8080/r", { allow_http_loopback: true, from_url: url })).toMatch(
      /this host/,
    );
    expect(() => checkDiscoveryDocument(doc("https://mtls.bank.example/r"), url, undefined)).not.toThrow();
    // No party, local or not, sends us to a link-local address or a metadata service.
    const local = "https://localhost:4443/.well-known/openid-configuration";
    for (const target of [
      "https://169.254.169.254/r",
      "https://[fe80::1]/r",
      "https://metadata.google.internal/r",
      // With the root's dot (the same name to DNS): metadata.goog. passed as a public name.
      "https://metadata.google.internal./r",
      "https://METADATA.goog./r",
      // Alibaba Cloud's metadata service, in the shared space (100.64/10) a local party may name.
      "https://100.100.100.200/r",
      "https://[fd00:ec2::254]/r",
    ])
      expect(
        () =>
          checkDiscoveryDocument(
            { issuer: "https://localhost:4443", token_endpoint: target },
            local,
            undefined,
          ),
        target,
      ).toThrow(
        expect.objectContaining({
          field: "discovery.token_endpoint",
          message: expect.stringMatching(/link-local|metadata/),
        }),
      );
    // A party that is itself local (the sandbox, a test directory) is otherwise not limited.
    expect(() =>
      checkDiscoveryDocument(
        { issuer: "https://localhost:4443", registration_endpoint: "https://127.0.0.1:4444/r" },
        local,
        undefined,
      ),
    ).not.toThrow();
    // A party whose own URL is unknown (an inline SSA) is held to the rule for everyone.
    expect(urlProblem("https://169.254.169.254/jwks", { from_url: "" })).toMatch(/link-local/);
    expect(urlProblem("https://10.0.0.5/jwks", { from_url: "" })).toBeUndefined();
    // What the user configures is theirs: no source, no limit.
    expect(urlProblem("https://10.0.0.5/r")).toBeUndefined();
  });

  it("an address a name resolves to is judged by the same rule as the address spelled out", () => {
    const pub = "https://bank.example/.well-known/openid-configuration";
    const local = "https://localhost:4443/.well-known/openid-configuration";
    const table: [string, string | undefined, string | undefined][] = [
      // address; refused as, from a public party; refused as, from a local party
      ["127.0.0.1", "this host", undefined],
      ["0.0.0.0", "this host", undefined],
      ["::1", "this host", undefined],
      ["10.0.0.5", "a private network", undefined],
      ["192.168.1.2", "a private network", undefined],
      ["100.64.0.1", "a private network", undefined],
      ["fd12::1", "a private network", undefined],
      ["::ffff:10.0.0.5", "a private network", undefined],
      ["169.254.169.254", "a link-local network", "a link-local network"],
      ["::ffff:169.254.169.254", "a link-local network", "a link-local network"],
      ["fe80::1%eth0", "a link-local network", "a link-local network"],
      ["fd00:ec2::254", "a cloud metadata service", "a cloud metadata service"],
      ["64:ff9b::a9fe:a9fe", "a link-local network", "a link-local network"],
      ["64:ff9b::a00:5", "a private network", undefined],
      ["::ffff:6464:64c8", "a cloud metadata service", "a cloud metadata service"],
      ["100.100.100.200", "a cloud metadata service", "a cloud metadata service"],
      ["203.0.113.7", undefined, undefined],
      ["2001:db8::1", undefined, undefined],
    ];
    for (const [address, fromPublic, fromLocal] of table) {
      const p = addressProblem(address, "bank.example.net", pub);
      if (fromPublic === undefined) expect(p, address).toBeUndefined();
      else expect(p, address).toContain(`bank.example.net resolves to ${address} (${fromPublic})`);
      const l = addressProblem(address, "bank.example.net", local);
      if (fromLocal === undefined) expect(l, address).toBeUndefined();
      else expect(l, address).toContain(`(${fromLocal})`);
    }
    expect(addressProblem("10.0.0.5", "reg.example", pub)).toMatch(
      /from a server on the internet \(bank\.example\).*Ask the bank or the directory for the public address/,
    );
    // A party whose own URL is unknown (an inline SSA): the rule for everyone.
    expect(addressProblem("10.0.0.5", "keys.example", "")).toBeUndefined();
    expect(addressProblem("169.254.169.254", "keys.example", "")).toMatch(/link-local/);
  });

  it("a URL on the host of the party that gave it is held to that party's own rules", () => {
    const disc = "https://bank.example/.well-known/openid-configuration";
    // The configured bank's own host: the user's name, no check at connect.
    expect(
      sourceOf("https://bank.example:8443/register", "discovery.registration_endpoint", disc),
    ).toBeUndefined();
    expect(sourceOf("https://BANK.example/register", "f", disc)).toBeUndefined();
    // Another host: the party's rules.
    expect(sourceOf("https://reg.example/register", "discovery.registration_endpoint", disc)).toEqual({
      field: "discovery.registration_endpoint",
      from_url: disc,
    });
    // The bank's host, where the bank came from a directory's list: the list's rules.
    const list = { field: "discovery_url", from_url: "https://dir.example/participants" };
    expect(sourceOf("https://bank.example/register", "discovery.registration_endpoint", disc, list)).toEqual({
      field: "discovery.registration_endpoint",
      from_url: "https://dir.example/participants",
    });
    // An inline SSA (its directory's URL unknown): held to the rule for everyone.
    expect(sourceOf("https://keys.example/jwks", "ssa.software_jwks_endpoint", "")).toEqual({
      field: "ssa.software_jwks_endpoint",
      from_url: "",
    });
  });
});

describe("salvage of an unusable 201", () => {
  const o = { registration_endpoint: "https://bank.example/register" };
  it("keeps a well-formed client_id (a number as its decimal string) and well-formed credentials", () => {
    const s = salvageRegistration(
      JSON.stringify({
        client_id: 42,
        registration_access_token: "rat-xyz",
        registration_client_uri: "https://bank.example/register/42",
      }),
      o,
    );
    expect(s.salvaged).toEqual({
      client_id: "42",
      registration_access_token: "rat-xyz",
      registration_client_uri: "https://bank.example/register/42",
    });
  });
  it("names but does not keep what is ambiguous or malformed", () => {
    expect(salvageRegistration('{"client_id":"a","client_id":"b"}', o)).toMatchObject({
      shown: ["a", "b"],
      salvaged: undefined,
    });
    const crlf = salvageRegistration(JSON.stringify({ client_id: "x\r\n::error::y" }), o);
    expect(crlf.salvaged).toBeUndefined();
    expect(crlf.shown[0]).not.toMatch(/[\r\n]/);
    const off = salvageRegistration(
      JSON.stringify({ client_id: "c", registration_client_uri: "https://evil.example/c" }),
      o,
    );
    expect(off.salvaged).toEqual({ client_id: "c" });
  });
  it("the error holding salvaged credentials never serializes them", () => {
    const e = new OutcomeUnknownError("x", {
      client_id: "c",
      salvaged: { client_id: "c", registration_access_token: "sekret-rat-value" },
    });
    expect(e.salvaged?.registration_access_token).toBe("sekret-rat-value");
    expect(JSON.stringify(e)).not.toContain("sekret-rat-value");
  });
});
