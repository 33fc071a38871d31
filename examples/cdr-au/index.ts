// `pulumi up` entry point: `pulumi config set manifest <dataDir>/manifest.json` of a running AU CDR
// emulator (`startCdrAuSandbox({ dataDir })`, sandbox/cdr_au in this repository), then `pulumi up`.
import * as pulumi from "@pulumi/pulumi";
import { program, readManifest } from "./program.js";

const config = new pulumi.Config();
export = program(readManifest(config.require("manifest")));
