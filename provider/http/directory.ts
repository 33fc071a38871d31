/**
 * The directory client, whatever the regime (OB Directory, CDR Register, OFB Directory): tokens
 * (token.ts), SSA download (ssa.ts) and SSA verification (ssa_verify.ts). What differs per regime
 * is data: `core/directory/profiles.ts`, resolved by `core/directory/resolve.ts`.
 */
export * from "./ssa.js";
export * from "./ssa_verify.js";
export * from "./token.js";
