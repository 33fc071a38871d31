/** The resource's inputs: the lifecycle's input schema (re-exported for the resource and its type tests). */
export * from "../lifecycle/inputs.js";
