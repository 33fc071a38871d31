/**
 * The URL policy at connect: the addresses a party-given host resolves to, checked in the lookup
 * that `net.connect` itself calls, so the address judged is the address connected to (no second
 * lookup, no time between the check and the connect for a rebinding name to change its answer).
 */
import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import type { LookupFunction } from "node:net";
import { addressProblem } from "../core/validate/url_policy.js";

/**
 * A connect refused for the address its host resolved to. Internal: `send` turns it into the
 * `UnsafeUrlError` (OBDCR_UNEXPECTED_RESPONSE) that names the URL's field, so its code is no OBDCR_ one.
 */
export class AddressRefusedError extends Error {
  readonly code = "ERR_ADDRESS_REFUSED";
  constructor(
    readonly host: string,
    readonly address: string,
  ) {
    super(`${host} resolves to ${address}, where the URL's source may not send us`);
    this.name = "AddressRefusedError";
  }
}

/**
 * `lookup`, answering only when every address it gives for the host passes the rules of the party
 * at `from_url` (`addressProblem`); otherwise an `AddressRefusedError`, and no socket is opened.
 */
export function checkedLookup(from_url: string, lookup: LookupFunction = dnsLookup): LookupFunction {
  return (hostname, options, callback) => {
    lookup(hostname, options, (err, address, family) => {
      if (err) return callback(err, address, family);
      const all: LookupAddress[] = Array.isArray(address) ? address : [{ address, family: family ?? 0 }];
      const bad = all.find((a) => addressProblem(a.address, hostname, from_url) !== undefined);
      if (bad) return callback(new AddressRefusedError(hostname, bad.address), address, family);
      callback(null, address, family);
    });
  };
}
