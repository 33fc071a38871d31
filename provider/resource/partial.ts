/**
 * The error both Pulumi adapters throw for a create the bank committed but that could not be
 * completed: the engine records the resource with these properties and shows the reasons
 * (the dynamic provider server and the plugin's provider server read the same three members).
 */
import type { Props } from "../lifecycle/props.js";

export class PartialCreateError extends Error {
  constructor(
    message: string,
    readonly id: string,
    readonly properties: Props,
    readonly reasons: string[],
  ) {
    super(message);
  }
}
