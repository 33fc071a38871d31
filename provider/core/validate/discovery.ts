/** Preflight check of a client against the bank's discovery document. Each failure names the field to fix. */
import { InvalidInputError } from "../errors.js";
import type { ClientParams } from "../schemas/params.js";
import type { DiscoveryDocument } from "../schemas/responses.js";

/**
 * The bank's discovery document must support the chosen algorithms, auth method and response types.
 * @throws {InvalidInputError} `OBDCR_INVALID_INPUT`: a value the bank does not list (`field` names it).
 */
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
    (client.response_types ?? []).forEach((r, i) => {
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
