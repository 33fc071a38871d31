/**
 * `ob-dcr/http`: the HTTP edge on undici: the context (mTLS transport, caches), the
 * request/process pairs of the directory, discovery and DCR calls, and the high-level lifecycle.
 * Named exports only. The transport internals (agents, `send`, per-origin limits, body and status
 * helpers, token cache keys) stay behind the package boundary; docs/migration.md lists what moved.
 */

import "../library_guard.js";

// The registration lifecycle (POST / GET / PUT / DELETE with discovery, directory and checks).
export {
  type CreateOptions,
  checkSigningKeyPublished,
  createRegistration,
  deleteRegistration,
  type ManagementOptions,
  parseRegistrationParams,
  type RegistrationOutcome,
  readRegistration,
  updateRegistration,
} from "../lifecycle/registration.js";
export { type ContextOptions, createContext, type ObDcrContext } from "./context.js";
// DCR (RFC 7591 / 7592, OBIE): request and process pairs.
export {
  deleteRegistrationRequest,
  type JwksSource,
  type ProcessOptions,
  processDeleteRegistrationResponse,
  processReadRegistrationResponse,
  processRegistrationResponse,
  processUpdateRegistrationResponse,
  readRegistrationRequest,
  registrationRequest,
  updateRegistrationRequest,
} from "./dcr.js";
// The directory: token, SSA download and verification.
export {
  type DirectoryTokenInput,
  getDirectoryToken,
  getSsa,
  processSsaResponse,
  processTokenResponse,
  type SsaSource,
  type SsaVerification,
  ssaRequest,
  tokenRequest,
  verifySsa,
} from "./directory.js";
export { discover, discoveryRequest, processDiscoveryResponse } from "./discovery.js";
export { type LoadedMaterial, type LoadOptions, loadMaterialFiles } from "./files.js";
export { fetchJwks } from "./jwks.js";
export { getManagementToken, type ManagementTokenInput } from "./management.js";
export { closeAgents } from "./transport.js";
export { transportFromEnv } from "./transport_env.js";
export {
  DEFAULT_TRANSPORT_OPTIONS,
  type TlsMaterial,
  type TransportOptions,
  tlsMaterialOf,
} from "./transport_types.js";
