/** Transport settings from the environment (`OBDCR_*`): the CLI, the dynamic provider and the plugin read the same names. */
import { InvalidInputError } from "../core/errors.js";
import type { TransportOptions } from "./transport_types.js";

/** Each numeric setting and its environment variable. */
export const TRANSPORT_ENV: readonly [string, keyof TransportOptions][] = [
  ["OBDCR_CONNECT_TIMEOUT_MS", "connect_timeout_ms"],
  ["OBDCR_HEADERS_TIMEOUT_MS", "headers_timeout_ms"],
  ["OBDCR_BODY_TIMEOUT_MS", "body_timeout_ms"],
  ["OBDCR_EXCHANGE_DEADLINE_MS", "exchange_deadline_ms"],
  ["OBDCR_OPERATION_BUDGET_MS", "operation_budget_ms"],
  ["OBDCR_MAX_RETRIES", "max_retries"],
  ["OBDCR_BACKOFF_BASE_MS", "backoff_base_ms"],
  ["OBDCR_MAX_RETRY_AFTER_MS", "max_retry_after_ms"],
  ["OBDCR_MAX_PER_ORIGIN", "max_per_origin"],
  ["OBDCR_MAX_RESPONSE_BYTES", "max_response_bytes"],
  ["OBDCR_CANCEL_GRACE_MS", "cancel_grace_ms"],
];

/** Transport knobs from the environment of the process (the engine passes its own down to providers). */
export function transportFromEnv(
  env: Record<string, string | undefined> = process.env,
): Partial<TransportOptions> {
  const out: Partial<Record<keyof TransportOptions, number | boolean>> = {};
  for (const [name, key] of TRANSPORT_ENV) {
    const v = env[name];
    if (v === undefined || v === "") continue;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0)
      throw new InvalidInputError(name, `must be a non-negative integer, got ${JSON.stringify(v)}`);
    out[key] = n;
  }
  for (const [name, key] of [
    ["OBDCR_ALLOW_HTTP_LOOPBACK", "allow_http_loopback"],
    ["OBDCR_PREFETCH", "prefetch"],
  ] as const) {
    const v = env[name];
    if (v === undefined || v === "") continue;
    if (!["0", "1", "true", "false"].includes(v))
      throw new InvalidInputError(name, `must be 1 or 0, got ${JSON.stringify(v)}`);
    out[key] = v === "1" || v === "true";
  }
  return out as Partial<TransportOptions>;
}
