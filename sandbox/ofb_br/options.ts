/**
 * Options of the Brazil Open Finance emulator (zod, the single source of the shapes). The contract
 * (the fixed part, which the client tests rely on) holds dataDir, host, ports, servers[].{name, port, rat_rotation,
 * rcu_style, duplicate_error, ssa_max_age_seconds}, ssa_issuer and log; the other fields are optional
 * additions: the points the regime digest marks **unconfirmed**, and the sandbox's organisations.
 */
import { z } from "zod";

const Uuid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);

/** Directory roles (digest §2.2) with the scopes each allows. */
export const OfbRole = z.enum(["DADOS", "PAGTO", "CONTA", "CCORR"]);
export type OfbRole = z.infer<typeof OfbRole>;

export const OfbBrSoftwareConfig = z.strictObject({
  software_id: Uuid,
  /** The Directory OAuth client id of this software statement (tls_client_auth at the directory). */
  software_client_id: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/),
  software_client_name: z.string().default("Sandbox TPP App"),
  software_roles: z.array(OfbRole).min(1).default(["DADOS", "PAGTO"]),
  /** Status written into every `software_statement_roles` entry (Inactive ⇒ unapproved at the AS). */
  roles_status: z.enum(["Active", "Inactive"]).default("Active"),
  /** CN of the transport certificate (an FQDN, digest §2.5). */
  cn: z.string().default("tpp.example.com.br"),
  /**
   * Where the transport certificate carries the org: `organizationIdentifier` = `OFBBR-<org_id>` (now),
   * or the legacy `OU` = `<org_id>` of certificates issued before 2022-08-31 (accepted in coexistence).
   */
  org_attribute: z.enum(["organizationIdentifier", "OU"]).default("organizationIdentifier"),
});
export type OfbBrSoftwareConfig = z.infer<typeof OfbBrSoftwareConfig>;

export const OfbBrOrgConfig = z.strictObject({
  org_id: Uuid,
  org_name: z.string().default("Sandbox TPP Ltda"),
  /** CNPJ, 14 digits: serialNumber (2.5.4.5) of the transport certificates. */
  org_number: z.string().regex(/^\d{14}$/),
  org_status: z.enum(["Active", "Inactive"]).default("Active"),
  softwares: z.array(OfbBrSoftwareConfig).min(1),
});
export type OfbBrOrgConfig = z.infer<typeof OfbBrOrgConfig>;

export const OfbBrServerConfig = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,40}$/),
  port: z.number().int().min(0).max(65535).default(0),
  /**
   * When a DCM call hands out a new registration access token (the old one stops at once). The spec
   * lets the AS rotate on any call; whether deployed servers rotate on GET is unconfirmed (issue #223).
   */
  rat_rotation: z.enum(["none", "on-put", "every-call"]).default("none"),
  /** `<reg>/{id}` or `<reg>?client_id={id}`: both occur (digest §2.3). */
  rcu_style: z.enum(["path", "query"]).default("path"),
  /**
   * What the 201 carries for DCM: `both` (the spec, §2.3), `none` (a non-conformant server that
   * omits registration_client_uri and registration_access_token, for the client's error path), or
   * `rat_only` (the token without its URI).
   */
  management_credentials: z.enum(["both", "none", "rat_only"]).default("both"),
  /** Code for a second POST of the same software (observed codes vary, digest §2.4). */
  duplicate_error: z.enum(["invalid_client_metadata", "invalid_request"]).default("invalid_client_metadata"),
  /** Maximum age of the SSA `iat` (5 min in the spec). */
  ssa_max_age_seconds: z.number().int().positive().default(300),
  /** Unconfirmed (BR 7): the code for a certificate that does not belong to the SSA's org/software. */
  cert_binding_error: z
    .enum(["invalid_client_metadata", "invalid_software_statement"])
    .default("invalid_client_metadata"),
  /**
   * Unconfirmed (§2.5): RFC 4517 distinguishedNameMatch compares RDNs by position ("ordered"); some
   * deployed servers may compare them as a set ("set").
   */
  dn_match: z.enum(["ordered", "set"]).default("ordered"),
  /** Unconfirmed per spec version (§2.3): `code id_token` (swagger) and/or `code` (newer FAPI-BR + JARM). */
  response_types_supported: z
    .array(z.enum(["code id_token", "code"]))
    .min(1)
    .default(["code id_token", "code"]),
});
export type OfbBrServerConfig = z.infer<typeof OfbBrServerConfig>;
export type OfbBrServerConfigInput = z.input<typeof OfbBrServerConfig>;

/** The org and softwares a sandbox has unless told otherwise (the first org id is the digest's §2.5 example). */
export const DEFAULT_OFB_ORGS: z.input<typeof OfbBrOrgConfig>[] = [
  {
    org_id: "67c57882-043b-11ec-9a03-0242ac130003",
    org_name: "Sandbox TPP Ltda",
    org_number: "13353236000189",
    softwares: [
      { software_id: "0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d", software_client_id: "ofbSandboxClient01" },
      {
        software_id: "5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9",
        software_client_id: "ofbSandboxClient02",
        software_client_name: "Sandbox TPP Dados",
        software_roles: ["DADOS"],
        cn: "dados.tpp.example.com.br",
      },
    ],
  },
  {
    org_id: "d4c3b2a1-0f9e-4d8c-b7a6-5f4e3d2c1b0a",
    org_name: "Outra Instituicao S.A.",
    org_number: "98765432000110",
    softwares: [
      {
        software_id: "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d",
        software_client_id: "ofbSandboxClient03",
        software_client_name: "Outra App",
        cn: "app.outra.example.com.br",
      },
    ],
  },
];

export const OfbBrSandboxOptions = z.strictObject({
  /** PKI (pki/), registrations (servers/<name>.json) and manifest.json; created 0700. */
  dataDir: z.string().min(1),
  /** Host name in every URL (the server certificate covers both). Servers listen on 127.0.0.1. */
  host: z.enum(["127.0.0.1", "localhost"]).default("127.0.0.1"),
  ports: z
    .strictObject({
      directory: z.number().int().min(0).max(65535).default(0),
      /** The HTTPS admin API is started only when this port is given (the programmatic admin always exists). */
      admin: z.number().int().min(0).max(65535).optional(),
    })
    .default({ directory: 0 }),
  servers: z
    .array(OfbBrServerConfig)
    .min(1)
    .default(() => [
      OfbBrServerConfig.parse({ name: "ofb-as-a" }),
      OfbBrServerConfig.parse({ name: "ofb-as-b", rat_rotation: "every-call", rcu_style: "query" }),
    ]),
  /** SSA `iss`: the live value is unconfirmed (digest §2.2), so it is configurable. */
  ssa_issuer: z.string().min(1).default("Open Banking Open Banking Brasil sandbox SSA issuer"),
  /**
   * Unconfirmed (BR 2): the status of an assertion request whose path names another software or org
   * than the token and the certificate (403 or 404). An unknown org/software is always 404.
   */
  ssa_mismatch_status: z.union([z.literal(403), z.literal(404)]).default(403),
  orgs: z
    .array(OfbBrOrgConfig)
    .min(1)
    .default(() => DEFAULT_OFB_ORGS.map((o) => OfbBrOrgConfig.parse(o))),
  /**
   * The public participants list (`GET /participants`, directories.md §1.6): which of `servers`
   * are listed at start (default all; the admin adds the others), the spec's pitfall entries, and
   * `size` synthetic active servers for scale (their discovery offers no registration).
   */
  listing: z
    .strictObject({
      servers: z.array(z.string()).optional(),
      fixtures: z.boolean().default(true),
      size: z.number().int().min(0).max(5000).default(0),
    })
    .default({ fixtures: true, size: 0 }),
  /**
   * Extra servers `virtual-1` … `virtual-<n>` for scale (the bench's 300-bank list): all on one
   * HTTPS origin, each under `/v/<name>` with its own issuer, discovery, registration and DCM, and
   * listed like `servers` (active, CONTA, payments).
   */
  virtual_servers: z.number().int().min(0).max(5000).default(0),
  /** One line per request on stderr (never bodies, keys or tokens). */
  log: z.boolean().default(false),
});
export type OfbBrSandboxOptions = z.infer<typeof OfbBrSandboxOptions>;
export type OfbBrSandboxOptionsInput = z.input<typeof OfbBrSandboxOptions>;
