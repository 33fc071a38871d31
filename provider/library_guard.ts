/**
 * Imported first by the library entry points that load undici (`ob-dcr`, `ob-dcr/http`,
 * `ob-dcr/sandbox`): on a Node too old for undici the caller stops here with the fix, not inside
 * undici with an unrelated `TypeError`.
 */
import { assertSupportedNode } from "./runtime_check.js";

assertSupportedNode("library");
