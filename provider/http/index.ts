/**
 * Edge I/O on undici: transport, directory client, the DCR wire (request/process pairs). The four
 * verbs of the lifecycle (`provider/lifecycle/registration.ts`) are re-exported here, as before.
 */

export * from "../lifecycle/registration.js";
export * from "./context.js";
export * from "./dcr.js";
export * from "./directory.js";
export * from "./discovery.js";
export * from "./files.js";
export * from "./jwks.js";
export * from "./management.js";
export * from "./response.js";
export * from "./send.js";
export * from "./transport.js";
export * from "./transport_types.js";
