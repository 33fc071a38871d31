/**
 * The CDR Register's error list (`{"errors":[{code,title,detail,meta}]}`, codes under
 * `urn:au-cds:error:`) turned into what to fix: the field and the reason (regimes-au-br.md §1.1).
 */
import { z } from "zod";

export const CdsError = z.looseObject({
  code: z.string().min(1),
  title: z.string().optional(),
  detail: z.string().optional(),
});
export const CdsErrorBody = z.looseObject({ errors: z.array(CdsError).min(1) });
export type CdsErrorBody = z.infer<typeof CdsErrorBody>;

export interface CdsAdvice {
  /** The input to fix (snake_case path), when one is at fault. */
  field: string | undefined;
  /** What to do, in words. */
  fix: string;
}

/** Codes by their tail (after `urn:au-cds:error:`), the part the standards name. */
const ADVICE: Readonly<Record<string, CdsAdvice>> = {
  "cds-all:Header/Missing": {
    field: "directory.ssa_version",
    fix: "the Register needs the x-v header: set directory.ssa_version (current version 4)",
  },
  "cds-all:Header/InvalidVersion": {
    field: "directory.ssa_version",
    fix: "x-v / x-min-v must be positive integers: fix directory.ssa_version / directory.ssa_min_version",
  },
  "cds-all:Header/UnsupportedVersion": {
    field: "directory.ssa_version",
    fix: "the Register serves none of the requested GetSSA versions: set directory.ssa_version to a supported one (4; 3 is deprecated)",
  },
  "cds-register:Field/InvalidBrand": {
    field: "software.org_id",
    fix: "the Register does not know this brand for the software product: software.org_id must be the data recipient brand id",
  },
  "cds-register:Field/InvalidSoftwareProduct": {
    field: "software.software_id",
    fix: "the Register does not know this software product (or the token was issued to another client id): software.software_id must be the software product id",
  },
  "cds-all:Authorisation/AdrStatusNotActive": {
    field: undefined,
    fix: "the Register says the data recipient or its software product is not active; nothing to fix here: ask the Register (ACCC) about its status",
  },
};

const PREFIX = "urn:au-cds:error:";

/** The advice for a CDS error code (full URN or its tail); undefined for an unknown code. */
export function cdsAdvice(code: string): CdsAdvice | undefined {
  const tail = code.startsWith(PREFIX) ? code.slice(PREFIX.length) : code;
  return ADVICE[tail];
}

/** The error list of a response body, if it is one. */
export function parseCdsErrors(body: unknown): CdsErrorBody | undefined {
  const r = CdsErrorBody.safeParse(body);
  return r.success ? r.data : undefined;
}

/**
 * The advice for an error list: the first error with a known code; else by status (a 400 without
 * a known code is the request path, e.g. an industry other than `all`).
 */
export function adviceForCdsErrors(status: number, body: CdsErrorBody): CdsAdvice & { code: string } {
  for (const e of body.errors) {
    const a = cdsAdvice(e.code);
    if (a) return { ...a, code: e.code };
  }
  const code = body.errors[0]?.code ?? "";
  if (status === 400)
    return {
      code,
      field: "directory.ssa_endpoint",
      fix: "the Register refused the request path: directory.ssa_endpoint must be the GetSSA URL with industry `all` (v4), {brand_id} and {software_product_id}",
    };
  return { code, field: undefined, fix: "see the Register's error detail" };
}
