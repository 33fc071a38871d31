/** Edge I/O on undici: transport, directory client, DCR client, high-level lifecycle. */
export * from "./context.js";
export * from "./dcr.js";
export * from "./directory.js";
export * from "./discovery.js";
export * from "./files.js";
export * from "./jwks.js";
export * from "./management.js";
export * from "./registration.js";
export * from "./response.js";
export * from "./send.js";
export * from "./transport.js";
export * from "./transport_types.js";
