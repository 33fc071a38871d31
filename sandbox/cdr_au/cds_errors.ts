/** The CDS error format of the Register's data APIs: `{"errors":[{code,title,detail,meta}]}`. */
import type { Reply } from "../http.js";

export const CDS_CODES = {
  headerMissing: { code: "urn:au-cds:error:cds-all:Header/Missing", title: "Missing Required Header" },
  invalidVersion: { code: "urn:au-cds:error:cds-all:Header/InvalidVersion", title: "Invalid Version" },
  unsupportedVersion: {
    code: "urn:au-cds:error:cds-all:Header/UnsupportedVersion",
    title: "Unsupported Version",
  },
  /** The digest names no code for a bad `industry`: the generic CDS field error (unconfirmed). */
  invalidField: { code: "urn:au-cds:error:cds-all:Field/Invalid", title: "Invalid Field" },
  invalidBrand: { code: "urn:au-cds:error:cds-register:Field/InvalidBrand", title: "Invalid Brand" },
  invalidSoftwareProduct: {
    code: "urn:au-cds:error:cds-register:Field/InvalidSoftwareProduct",
    title: "Invalid Software Product",
  },
  invalidPageSize: { code: "urn:au-cds:error:cds-all:Field/InvalidPageSize", title: "Invalid Page Size" },
  invalidDateTime: { code: "urn:au-cds:error:cds-all:Field/InvalidDateTime", title: "Invalid Date" },
  adrStatusNotActive: {
    code: "urn:au-cds:error:cds-all:Authorisation/AdrStatusNotActive",
    title: "ADR Status Is Not Active",
  },
} as const;

export type CdsCode = keyof typeof CDS_CODES;

/** A refusal answered in the CDS error format. */
export class CdsError extends Error {
  readonly status: number;
  readonly which: CdsCode;
  constructor(status: number, which: CdsCode, detail: string) {
    super(detail);
    this.name = "CdsError";
    this.status = status;
    this.which = which;
  }
}

export function cdsReply(err: CdsError): Reply {
  const { code, title } = CDS_CODES[err.which];
  return { status: err.status, json: { errors: [{ code, title, detail: err.message, meta: {} }] } };
}
