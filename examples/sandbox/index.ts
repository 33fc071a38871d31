// `pulumi up` entry point (with an installed Pulumi CLI and a running `npm run sandbox`).
import * as pulumi from "@pulumi/pulumi";
import { findManifest, program, readManifest } from "./program.js";

const config = new pulumi.Config();
const manifestPath = config.get("sandboxManifest") ?? findManifest();
export = program(readManifest(manifestPath));
