/**
 * Presets: the deviations documented in public sources, one entry per bank (or AS product).
 * A preset is only a starting point: every field can be overridden, and resolution reports
 * which value came from the preset. Sources are public repositories (owner/repo:path) or issues.
 * OBC = finlabsuk/open-banking-connector:src/OpenBanking.Library.Connector/BankProfiles/Generators/
 * TW = transferwise/openbanking-client:src/main/java/com/transferwise/openbanking/client/configuration/AspspDetails.java
 */
import type { BankProfilePatch } from "./schema.js";

export interface BankPreset {
  /** One line: what this preset changes. */
  readonly summary: string;
  /** Public sources of each deviation. */
  readonly sources: readonly string[];
  readonly profile: BankProfilePatch;
}

const OBC = "finlabsuk/open-banking-connector:src/OpenBanking.Library.Connector/BankProfiles/Generators/";

export const BANK_PRESETS = {
  // OBC HsbcGenerator.cs: AudClaim = issuerUrl, UseApplicationJoseNotApplicationJwtContentTypeHeader,
  // ClientIdIssuedAt in Unix milliseconds, org id as DottedDecimalAttributeType (2.5.4.97=#hex),
  // BankRegistrationPut CustomTokenScope = "accounts".
  hsbc: {
    summary: "application/jose, aud = issuer URL, ms timestamps, management token scope accounts",
    sources: [`${OBC}HsbcGenerator.cs`],
    profile: {
      content_type: "application/jose",
      aud: "issuer",
      dn_format: "hex",
      management: { scope: "accounts" },
      response: { timestamp_unit: "ms" },
    },
  },
  // OBC DanskeGenerator.cs: application/jose; organizationIdentifier as 2.5.4.97=#hex.
  danske: {
    summary: "application/jose",
    sources: [`${OBC}DanskeGenerator.cs`],
    profile: { content_type: "application/jose", dn_format: "hex" },
  },
  // OBC LloydsGenerator.cs (production): application/jose; grant_types without refresh_token;
  // management token scope openid.
  lloyds: {
    summary: "application/jose, grant_types client_credentials + authorization_code, management scope openid",
    sources: [`${OBC}LloydsGenerator.cs`],
    profile: {
      content_type: "application/jose",
      grant_types: ["client_credentials", "authorization_code"],
      management: { scope: "openid" },
    },
  },
  // OBC LloydsGenerator.cs (sandbox): subject_type pairwise required, RFC 7592 registration access token.
  "lloyds-sandbox": {
    summary: "subject_type pairwise, grant_types without refresh_token, registration access token",
    sources: [`${OBC}LloydsGenerator.cs`],
    profile: {
      grant_types: ["client_credentials", "authorization_code"],
      extra_claims: { subject_type: "pairwise" },
      management: { style: "rfc7592" },
    },
  },
  // OBC NationwideGenerator.cs: application/jose; 2.5.4.97=<text>; registration GET/DELETE not used.
  nationwide: {
    summary: "application/jose, DN 2.5.4.97=<text>, no GET/DELETE",
    sources: [`${OBC}NationwideGenerator.cs`],
    profile: {
      content_type: "application/jose",
      dn_format: "oid",
      supports: { read: false, delete: false },
    },
  },
  // OBC NationwideGenerator.cs (Virgin Money brand): GET/DELETE used, echoed iat/exp and
  // client_id_issued_at in milliseconds, management token scope accounts.
  "virgin-money": {
    summary: "ms timestamps, management token scope accounts",
    sources: [`${OBC}NationwideGenerator.cs`],
    profile: { management: { scope: "accounts" }, response: { timestamp_unit: "ms" } },
  },
  // OBC SantanderGenerator.cs: application/jose; registration GET/DELETE not used (main brand).
  santander: {
    summary: "application/jose, no GET/DELETE",
    sources: [`${OBC}SantanderGenerator.cs`],
    profile: { content_type: "application/jose", supports: { read: false, delete: false } },
  },
  // OBC NatWestGenerator.cs: 2.5.4.97=#hex; the sandbox returns scope as a JSON array.
  natwest: {
    summary: "scope returned as an array (sandbox)",
    sources: [`${OBC}NatWestGenerator.cs`],
    profile: { dn_format: "hex", response: { scope_format: "array" } },
  },
  // OBC BarclaysGenerator.cs, MonzoGenerator.cs: 2.5.4.97=#hex (the default; named so it is explicit).
  barclays: {
    summary: "DN 2.5.4.97=#hex (the default)",
    sources: [`${OBC}BarclaysGenerator.cs`],
    profile: { dn_format: "hex" },
  },
  monzo: {
    summary: "DN 2.5.4.97=#hex (the default)",
    sources: [`${OBC}MonzoGenerator.cs`],
    profile: { dn_format: "hex" },
  },
  // OBC TideGenerator.cs: 2.5.4.97=#hex, client_id_issued_at in milliseconds.
  tide: {
    summary: "ms timestamps",
    sources: [`${OBC}TideGenerator.cs`],
    profile: { dn_format: "hex", response: { timestamp_unit: "ms" } },
  },
  // OBC ZopaGenerator.cs: client_id_issued_at in milliseconds.
  zopa: {
    summary: "ms timestamps",
    sources: [`${OBC}ZopaGenerator.cs`],
    profile: { response: { timestamp_unit: "ms" } },
  },
  // OBC ObieGenerator.cs: the OBIE model bank returns client_id_issued_at in milliseconds.
  "obie-model-bank": {
    summary: "ms timestamps",
    sources: [`${OBC}ObieGenerator.cs`],
    profile: { response: { timestamp_unit: "ms" } },
  },
  // OBC StarlingGenerator.cs: management token scope openid.
  starling: {
    summary: "management token scope openid",
    sources: [`${OBC}StarlingGenerator.cs`],
    profile: { management: { scope: "openid" } },
  },
  // OBC RevolutGenerator.cs and Revolut's DCR guide: aud is the literal "revolut"; the response
  // carries the v3.1 name tls_client_auth_dn. (Request scope was an array until 2026-03-23, a
  // string since: override scope_format to "array" for older behaviour.)
  revolut: {
    summary: 'aud "revolut", response DN claim tls_client_auth_dn',
    sources: [`${OBC}RevolutGenerator.cs`],
    profile: { aud: { literal: "revolut" }, response: { dn_claim: "tls_client_auth_dn" } },
  },
  // Mettle / Coutts: organizationIdentifier=<text> (OBC NatWestGenerator.cs covers both brands).
  mettle: {
    summary: "DN organizationIdentifier=<text>",
    sources: [`${OBC}NatWestGenerator.cs`],
    profile: { dn_format: "name" },
  },
  coutts: {
    summary: "DN organizationIdentifier=<text>",
    sources: [`${OBC}NatWestGenerator.cs`],
    profile: { dn_format: "name" },
  },
  // Gluu/Janssen AS returned 200 on create (JanssenProject/jans#568; GluuFederation/oxAuth#1780
  // keeps the legacy flag return200OnClientRegistration).
  "gluu-legacy": {
    summary: "200 instead of 201 on create",
    sources: ["JanssenProject/jans#568", "GluuFederation/oxAuth#1780"],
    profile: { response: { created_status: 200 } },
  },
  // WSO2 Open Banking accelerator: timestamps as strings (wso2/financial-services-accelerator#697;
  // TW "Client Registration Response Model" commit for other ASPSPs).
  "wso2-accelerator": {
    summary: "timestamps as strings",
    sources: ["wso2/financial-services-accelerator#697", "transferwise/openbanking-client"],
    profile: { response: { timestamp_unit: "string" } },
  },
  // AU CDR: one client per software product; a second one is refused with invalid_client_metadata
  // (ConsumerDataStandardsAustralia/register#101); the same in Brazil (OpenBanking-Brasil/specs-seguranca#223).
  "single-registration": {
    summary: "a second registration of the same software is refused (delete before replace)",
    sources: ["ConsumerDataStandardsAustralia/register#101", "OpenBanking-Brasil/specs-seguranca#223"],
    profile: { refuses_duplicate_registration: true },
  },
  // AU: the ConsumerDataRight mock data holder (ConsumerDataRight/authorisation-server,
  // Source/CdrAuthServer/Validation/ClientRegistrationValidator.cs): grant_types must contain
  // authorization_code, every POST failure is a 400, a duplicate is invalid_client_metadata
  // (regimes-au-br.md §1.4). Use with profile cdr-au.
  "cdr-mock-dh": {
    summary: "CDR mock data holder: grant_types with authorization_code (required there)",
    sources: [
      "ConsumerDataRight/authorisation-server:Source/CdrAuthServer/Validation/ClientRegistrationValidator.cs",
      "ConsumerDataRight/authorisation-server:Source/CdrAuthServer/Controllers/RegistrationController.cs",
    ],
    profile: { grant_types: ["authorization_code", "client_credentials", "refresh_token"] },
  },
  // AU: a data holder that does not offer DELETE /register (optional in the CDS: 405). Destroy then
  // fails with the portal remedy instead of sending a DELETE (regimes-au-br.md §1.4).
  "cdr-no-delete": {
    summary: "CDR data holder without DELETE /register (405)",
    sources: ["ConsumerDataStandardsAustralia/standards:slate/source/includes/cds_dcr.md"],
    profile: { supports: { delete: false } },
  },
} as const satisfies Record<string, BankPreset>;

export type BankPresetName = keyof typeof BANK_PRESETS;
export const BANK_PRESET_NAMES = Object.keys(BANK_PRESETS) as BankPresetName[];

export function isBankPresetName(name: string): name is BankPresetName {
  return Object.hasOwn(BANK_PRESETS, name);
}
