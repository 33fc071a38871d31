/** Checks run before anything is sent. Each failure names the field to fix. */
import { createPrivateKey, type KeyObject, X509Certificate } from "node:crypto";
import { InvalidInputError, SsaInvalidError } from "../errors.js";
import { CIBA_GRANT } from "../profiles/obie_common.js";
import type { Profile } from "../profiles/types.js";
import type { Jwks } from "../schemas/common.js";
import type { ClientParams, SigningKeyParams } from "../schemas/params.js";
import type { DiscoveryDocument, SsaClaims } from "../schemas/responses.js";

const BASE62 = /^[0-9a-zA-Z]+$/;

/** redirect_uris: non-empty, within the SSA's, and (OBIE) https, no localhost, no fragment, ≤256. */
export function validateRedirectUris(
  profile: Profile,
  uris: readonly string[] | undefined,
  ssaUris: readonly string[] | undefined,
): void {
  if (uris === undefined) {
    if (profile.format === "jwt" && !ssaUris?.length)
      throw new InvalidInputError(
        "client.redirect_uris",
        "is required (the SSA has no software_redirect_uris)",
      );
    return;
  }
  if (uris.length === 0) throw new InvalidInputError("client.redirect_uris", "must not be empty");
  uris.forEach((u, i) => {
    const field = `client.redirect_uris.${i}`;
    let url: URL;
    try {
      url = new URL(u);
    } catch {
      throw new InvalidInputError(field, `"${u}" is not an absolute URL`);
    }
    if (profile.strict_redirect_uris) {
      if (url.protocol !== "https:") throw new InvalidInputError(field, `"${u}" must use https`);
      if (
        /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/.test(url.hostname) ||
        url.hostname.endsWith(".localhost")
      )
        throw new InvalidInputError(field, `"${u}" must not point at localhost`);
      if (url.hash) throw new InvalidInputError(field, `"${u}" must not have a fragment`);
      if (u.length > 256) throw new InvalidInputError(field, "must be at most 256 characters");
    }
    if (ssaUris && !ssaUris.includes(u))
      throw new InvalidInputError(field, `"${u}" is not one of the SSA's software_redirect_uris`);
  });
}

/** The signing kid must be in the software JWKS (from the SSA's software_jwks_endpoint) and not revoked. */
export function validateSigningKid(kid: string, jwks: Jwks, revoked?: Jwks): void {
  if (!jwks.keys.some((k) => k.kid === kid))
    throw new InvalidInputError(
      "signing_key.kid",
      `"${kid}" is not in the software JWKS (software_jwks_endpoint); use the kid the directory assigned to this key`,
    );
  if (revoked?.keys.some((k) => k.kid === kid))
    throw new InvalidInputError("signing_key.kid", `"${kid}" is in the software's revoked JWKS`);
}

/** Profile limits: algorithms, auth methods, application_type, CIBA, iss/software_id, scope length. */
export function validateClientForProfile(
  profile: Profile,
  client: ClientParams,
  signing: Pick<SigningKeyParams, "alg">,
  software_id: string | undefined,
): void {
  const algs = profile.algs as readonly string[];
  const algFields = [
    ["signing_key.alg", signing.alg],
    ["client.token_endpoint_auth_signing_alg", client.token_endpoint_auth_signing_alg],
    ["client.id_token_signed_response_alg", client.id_token_signed_response_alg],
    ["client.request_object_signing_alg", client.request_object_signing_alg],
    [
      "client.backchannel_authentication_request_signing_alg",
      client.backchannel_authentication_request_signing_alg,
    ],
  ] as const;
  for (const [field, alg] of algFields) {
    if (alg !== undefined && !algs.includes(alg))
      throw new InvalidInputError(
        field,
        `${alg} is not allowed by profile ${profile.name} (use ${algs.join(" or ")})`,
      );
  }
  if (!profile.auth_methods.includes(client.token_endpoint_auth_method))
    throw new InvalidInputError(
      "client.token_endpoint_auth_method",
      `${client.token_endpoint_auth_method} is not allowed by profile ${profile.name} (use one of ${profile.auth_methods.join(", ")})`,
    );
  const app = client.application_type;
  const appOk =
    profile.application_types.includes(app) ||
    (app === "mobile" && profile.application_types.includes("native")) ||
    (app === "native" && profile.application_types.includes("mobile"));
  if (!appOk)
    throw new InvalidInputError(
      "client.application_type",
      `${app} is not allowed by profile ${profile.name} (use ${profile.application_types.join(" or ")})`,
    );
  if (profile.software_id_max !== undefined && software_id !== undefined) {
    if (!BASE62.test(software_id) || software_id.length > profile.software_id_max)
      throw new InvalidInputError(
        "software.software_id",
        `must be 1..${profile.software_id_max} Base62 characters for ${profile.name} (it is the request iss)`,
      );
  }
  if (profile.response_types) {
    for (const [i, r] of client.response_types.entries()) {
      if (!profile.response_types.includes(r))
        throw new InvalidInputError(
          `client.response_types.${i}`,
          `"${r}" is not allowed by profile ${profile.name} (use ${profile.response_types.map((x) => `"${x}"`).join(" or ")})`,
        );
    }
  }
  const scope = client.scope.join(" ");
  if (profile.format === "jwt" && profile.scope_format === "string" && scope.length === 0)
    throw new InvalidInputError("client.scope", `is required by profile ${profile.name}`);
  if (profile.format === "jwt" && scope.length > 256)
    throw new InvalidInputError("client.scope", "must be at most 256 characters");

  const cibaFields = [
    "backchannel_token_delivery_mode",
    "backchannel_client_notification_endpoint",
    "backchannel_authentication_request_signing_alg",
    "backchannel_user_code_parameter_supported",
  ] as const;
  const grantTypes = client.grant_types ?? [];
  const hasCibaGrant = grantTypes.includes(CIBA_GRANT);
  const cibaSet = cibaFields.filter((f) => client[f] !== undefined);
  if (!profile.ciba && (hasCibaGrant || cibaSet.length > 0))
    throw new InvalidInputError(
      hasCibaGrant ? "client.grant_types" : `client.${cibaSet[0]}`,
      `CIBA is not part of profile ${profile.name} (CIBA fields start at obie-3.3)`,
    );
  if (profile.ciba && profile.format === "jwt") {
    if (!hasCibaGrant && cibaSet.length > 0)
      throw new InvalidInputError(`client.${cibaSet[0]}`, `is only allowed with the ${CIBA_GRANT} grant`);
    if (hasCibaGrant) {
      const mode = client.backchannel_token_delivery_mode;
      if (!mode)
        throw new InvalidInputError(
          "client.backchannel_token_delivery_mode",
          "is required with the CIBA grant",
        );
      if (mode !== "poll" && !client.backchannel_client_notification_endpoint)
        throw new InvalidInputError(
          "client.backchannel_client_notification_endpoint",
          `is required with backchannel_token_delivery_mode ${mode}`,
        );
      if (client.backchannel_user_code_parameter_supported === true)
        throw new InvalidInputError("client.backchannel_user_code_parameter_supported", "must be false");
    }
  }
  if (profile.grant_types) {
    for (const [i, g] of grantTypes.entries()) {
      if (!profile.grant_types.includes(g))
        throw new InvalidInputError(
          `client.grant_types.${i}`,
          `${g} is not allowed by profile ${profile.name} (use ${profile.grant_types.join(", ")})`,
        );
    }
  }
  if (client.grant_types !== undefined) {
    // RFC 7591 §2.1: the code and hybrid response types are used with the authorization_code grant.
    if (client.response_types.length > 0 && !grantTypes.includes("authorization_code"))
      throw new InvalidInputError(
        "client.grant_types",
        `lacks authorization_code, which response_types ${client.response_types.join(", ")} need (add it, or send no response_types)`,
      );
    // UK: consents and registration management use client_credentials tokens.
    if (profile.format === "jwt" && !grantTypes.includes("client_credentials"))
      throw new InvalidInputError(
        "client.grant_types",
        `lacks client_credentials, which profile ${profile.name} needs (consents and registration management use client_credentials tokens); add it`,
      );
  }
}

/** The auth method must be usable with the material given. */
export function validateAuthMaterial(
  client: ClientParams,
  material: { subject_dn: string | undefined },
): void {
  if (
    client.token_endpoint_auth_method === "tls_client_auth" &&
    !(client.tls_client_auth_subject_dn ?? material.subject_dn)
  )
    throw new InvalidInputError(
      "client.tls_client_auth_subject_dn",
      "is required for tls_client_auth and could not be derived from transport.cert",
    );
  if (client.tls_client_auth_subject_dn && client.token_endpoint_auth_method !== "tls_client_auth")
    throw new InvalidInputError("client.tls_client_auth_subject_dn", "is only allowed with tls_client_auth");
}

export interface SsaExpectations {
  issuer: string;
  software_id: string;
  org_id?: string | undefined;
  now: number;
  /** Allowed clock skew in seconds. */
  skew?: number;
}

/** Claim checks of a (verified or decoded) SSA. */
export function validateSsaClaims(claims: SsaClaims, e: SsaExpectations): void {
  const skew = e.skew ?? 60;
  if (claims.iss !== e.issuer)
    throw new SsaInvalidError(`SSA iss is "${claims.iss}", expected "${e.issuer}" (directory.issuer)`, {
      claim: "iss",
    });
  if (claims.software_id !== e.software_id)
    throw new SsaInvalidError(
      `SSA software_id is "${claims.software_id}", expected "${e.software_id}" (software.software_id)`,
      { claim: "software_id" },
    );
  if (e.org_id && claims.org_id !== undefined && claims.org_id !== e.org_id)
    throw new SsaInvalidError(`SSA org_id is "${claims.org_id}", expected "${e.org_id}" (software.org_id)`, {
      claim: "org_id",
    });
  if (claims.exp !== undefined && claims.exp + skew <= e.now)
    throw new SsaInvalidError("SSA has expired; fetch a fresh one", { claim: "exp" });
  if (claims.iat !== undefined && claims.iat - skew > e.now)
    throw new SsaInvalidError("SSA iat is in the future; check the clock", { claim: "iat" });
  if (claims.org_status !== undefined && claims.org_status.toLowerCase() !== "active")
    throw new SsaInvalidError(`SSA org_status is "${claims.org_status}", expected Active`, {
      claim: "org_status",
    });
}

/** The bank's discovery document must support the chosen algorithms, auth method and response types. */
export function validateAgainstDiscovery(
  d: DiscoveryDocument,
  client: ClientParams,
  signingAlg: string,
): void {
  const need = (list: string[] | undefined, value: string | undefined, field: string, what: string) => {
    if (list && value !== undefined && !list.includes(value))
      throw new InvalidInputError(field, `${value} is not in the bank's ${what} (${list.join(", ")})`);
  };
  need(
    d.token_endpoint_auth_methods_supported,
    client.token_endpoint_auth_method,
    "client.token_endpoint_auth_method",
    "token_endpoint_auth_methods_supported",
  );
  if (["private_key_jwt", "client_secret_jwt"].includes(client.token_endpoint_auth_method))
    need(
      d.token_endpoint_auth_signing_alg_values_supported,
      client.token_endpoint_auth_signing_alg ?? signingAlg,
      "client.token_endpoint_auth_signing_alg",
      "token_endpoint_auth_signing_alg_values_supported",
    );
  need(
    d.id_token_signing_alg_values_supported,
    client.id_token_signed_response_alg,
    "client.id_token_signed_response_alg",
    "id_token_signing_alg_values_supported",
  );
  need(
    d.request_object_signing_alg_values_supported,
    client.request_object_signing_alg,
    "client.request_object_signing_alg",
    "request_object_signing_alg_values_supported",
  );
  if (d.response_types_supported) {
    const norm = (s: string) => s.split(" ").sort().join(" ");
    const supported = d.response_types_supported.map(norm);
    client.response_types.forEach((r, i) => {
      if (!supported.includes(norm(r)))
        throw new InvalidInputError(
          `client.response_types.${i}`,
          `"${r}" is not in the bank's response_types_supported (${d.response_types_supported?.join(", ")})`,
        );
    });
  }
  if (d.grant_types_supported) {
    (client.grant_types ?? []).forEach((g, i) => {
      if (!d.grant_types_supported?.includes(g))
        throw new InvalidInputError(
          `client.grant_types.${i}`,
          `${g} is not in the bank's grant_types_supported`,
        );
    });
  }
}

/**
 * The mTLS material, before any connection: the certificate and key parse, belong together, and the
 * certificate is valid now. (Who issued it is the servers' business: a bank refuses another CA.)
 */
export function validateTransportMaterial(
  transport: { cert?: string | undefined; key?: string | undefined },
  now: number,
): void {
  const { cert, key } = transport;
  if (cert === undefined && key === undefined) return;
  if (cert === undefined)
    throw new InvalidInputError("transport.cert", "is required when transport.key is given");
  if (key === undefined)
    throw new InvalidInputError("transport.key", "is required when transport.cert is given");
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch (cause) {
    throw new InvalidInputError(
      "transport.cert",
      'is not a PEM X.509 certificate (give the "BEGIN CERTIFICATE" file of the transport certificate)',
      { cause },
    );
  }
  let k: KeyObject;
  try {
    k = createPrivateKey(key);
  } catch (cause) {
    throw new InvalidInputError(
      "transport.key",
      'is not a PEM private key (give the "BEGIN PRIVATE KEY" file of the transport certificate)',
      { cause },
    );
  }
  if (!x509.checkPrivateKey(k))
    throw new InvalidInputError(
      "transport.key",
      `does not belong to transport.cert (${x509.subject.replace(/\n/g, ", ")}); give the key the certificate was issued for`,
    );
  const from = Date.parse(x509.validFrom) / 1000;
  const to = Date.parse(x509.validTo) / 1000;
  if (now < from)
    throw new InvalidInputError(
      "transport.cert",
      `is not valid before ${new Date(from * 1000).toISOString()}; use a certificate valid now (or check the clock)`,
    );
  if (now > to)
    throw new InvalidInputError(
      "transport.cert",
      `expired at ${new Date(to * 1000).toISOString()}; renew the transport certificate in the directory and give the new one`,
    );
}
