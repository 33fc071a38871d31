// `pulumi up` entry point (with an installed Pulumi CLI and a running `npm run sandbox`).
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { program, readManifest } from "./program.js";

const config = new pulumi.Config();
const manifestPath = config.get("sandboxManifest") ?? join(process.cwd(), ".sandbox", "manifest.json");
export = program(readManifest(manifestPath));
