import type { PluginDefinition } from "./plugin.ts";
import type { SettingsSchema } from "./settings/define.ts";

/**
 * A plugin's check of settings that span each other, typed once here from `PluginDefinition.check`
 * so a plugin writes `export const checkSettings: SettingsCheck<Schema> = async (settings, context) => …`
 * instead of restating the signature.
 */
export type SettingsCheck<S extends SettingsSchema> = NonNullable<PluginDefinition<S, unknown>["check"]>;
