/**
 * Response normalisation declared by a bank profile. Parsing stays lenient (seconds, milliseconds
 * and date strings; scope string or array; 200 or 201; either DN claim name), so a created client is
 * never lost; what differs from the profile's declaration is reported as a deviation.
 */
import type { BankProfile } from "./schema.js";

export interface ResponseDeviation {
  /** The profile field, e.g. `response.timestamp_unit`. */
  field: string;
  expected: unknown;
  observed: unknown;
}

type ResponseShape = Partial<BankProfile["response"]>;

/** What a raw (un-normalised) registration response body shows about the bank's conventions. */
export function observeResponseShape(body: Record<string, unknown>, status?: number): ResponseShape {
  const shape: ResponseShape = {};
  const ts = body.client_id_issued_at;
  if (typeof ts === "number") shape.timestamp_unit = ts > 1e11 ? "ms" : "s";
  else if (typeof ts === "string") shape.timestamp_unit = "string";
  if (Array.isArray(body.scope)) shape.scope_format = "array";
  else if (typeof body.scope === "string") shape.scope_format = "string";
  if (status === 200 || status === 201) shape.created_status = status;
  if ("tls_client_auth_subject_dn" in body) shape.dn_claim = "tls_client_auth_subject_dn";
  else if ("tls_client_auth_dn" in body) shape.dn_claim = "tls_client_auth_dn";
  return shape;
}

/** Deviations of an observed response from the profile's declaration (empty when it matches). */
export function responseDeviations(
  expected: BankProfile["response"],
  observed: ResponseShape,
): ResponseDeviation[] {
  const out: ResponseDeviation[] = [];
  for (const k of Object.keys(observed) as (keyof ResponseShape)[]) {
    if (observed[k] !== undefined && observed[k] !== expected[k])
      out.push({ field: `response.${k}`, expected: expected[k], observed: observed[k] });
  }
  return out;
}
