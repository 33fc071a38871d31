/**
 * Which fields decide what. Identity paths are pinned (a test checks each exists in the schema);
 * the managed metadata is every client field that the bank registers, from the zod schema.
 */
import { ClientParams } from "../core/schemas/params.js";

/** A change here is a different registration (another bank, software or profile): replace. */
export const IDENTITY_PATHS = [
  ["profile"],
  ["bank", "discoveryUrl"],
  ["bank", "registrationEndpoint"],
  ["bank", "orgId"],
  ["software", "softwareId"],
  ["software", "orgId"],
] as const;

/** Client fields that are not registered metadata themselves (how to send, free-form extras). */
export const UNMANAGED_CLIENT_FIELDS = ["send_software_id", "extra"] as const;

/** Registered client metadata whose drift at the bank a PUT corrects. */
export const MANAGED_METADATA: readonly string[] = Object.keys(ClientParams.shape).filter(
  (k) => !(UNMANAGED_CLIENT_FIELDS as readonly string[]).includes(k),
);
