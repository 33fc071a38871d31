// `pulumi up` entry point: adopts a registration at the sandbox bank (run `npm run sandbox`).
import * as pulumi from "@pulumi/pulumi";
import { findManifest, readManifest, sandboxArgs } from "../sandbox/program.js";
import { adopt } from "./program.js";

const manifestPath = new pulumi.Config().get("sandboxManifest") ?? findManifest();
export = adopt("adopted", sandboxArgs(readManifest(manifestPath)));
