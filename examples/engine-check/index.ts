// `pulumi up` entry point (with an installed Pulumi CLI): the message comes from stack config.
import * as pulumi from "@pulumi/pulumi";
import { program } from "./program.js";

const config = new pulumi.Config();
export = program(config.get("message") ?? "hello from ob-dcr");
