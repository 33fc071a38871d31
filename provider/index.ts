/** ob-dcr public API: the pure protocol core and the HTTP edge. No Pulumi here. */
export * from "./core/index.js";
export * from "./http/index.js";
