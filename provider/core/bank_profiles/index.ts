/** Bank profiles: typed per-bank deviations layered on a spec profile (see docs/bank-profiles.md). */
export * from "./discovery.js";
export * from "./presets.js";
export * from "./resolve.js";
export * from "./response.js";
export * from "./schema.js";
