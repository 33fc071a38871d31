/** Pure protocol core: schemas, builders, validators, profiles, errors. No I/O, no Pulumi. */
export * from "./bank_profiles/index.js";
export * from "./build/registration_request.js";
export * from "./dn.js";
export * from "./errors.js";
export * from "./keys.js";
export * from "./material.js";
export * from "./parse/registration_response.js";
export * from "./profiles/index.js";
export * from "./schemas/common.js";
export * from "./schemas/params.js";
export * from "./schemas/responses.js";
export * from "./sign/client_assertion.js";
export * from "./sign/registration_jwt.js";
export * from "./validate/preflight.js";
