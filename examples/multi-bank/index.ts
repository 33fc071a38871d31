// `pulumi up` entry point: see program.ts for the stack config it reads.
import { program } from "./program.js";

export = program();
