/**
 * Images through the registry API alone (no daemon, no emulation): reproducible layers, a base
 * extended for every platform it offers, one index per tag, and tags that move only forward.
 * Imports nothing of hangar, so hangar's own publishing (images/) and the image-publish plugin
 * share one implementation.
 */
export * from "./append.ts";
export * from "./layer.ts";
export * from "./layer-file.ts";
export * from "./merge.ts";
export * from "./push.ts";
export * from "./reference.ts";
export * from "./registry.ts";
export * from "./semver.ts";
export * from "./stream-upload.ts";
export * from "./tag-policy.ts";
export * from "./tags.ts";
