/** The layer library (kept as the import path of the shared contract): see ./layers/. */
export * from "./layers/index.js";
