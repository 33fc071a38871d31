/**
 * Imported first by `ob-dcr/pulumi` and `ob-dcr/resource-provider`: on a Node too old for undici
 * the program (or the dynamic provider host) stops here with the fix, not inside undici.
 */
import { assertSupportedNode } from "../runtime_check.js";

assertSupportedNode("dynamic");
