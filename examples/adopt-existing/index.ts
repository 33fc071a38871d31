// `pulumi up` entry point: adopts a registration at the sandbox bank (run `npm run sandbox`).
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { readManifest, sandboxArgs } from "../sandbox/program.js";
import { adopt } from "./program.js";

const manifestPath =
  new pulumi.Config().get("sandboxManifest") ?? join(process.cwd(), ".sandbox", "manifest.json");
export = adopt("adopted", sandboxArgs(readManifest(manifestPath)));
