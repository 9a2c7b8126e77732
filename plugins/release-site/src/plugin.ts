import type { PluginDefinition, RunResult } from "@hangar/kit";
import { checkSettings, describePlan, planSite, type SitePlan } from "./plan.ts";
import { type ReleaseSiteSchema, releaseSiteSettings } from "./settings.ts";

export const releaseSite: PluginDefinition<ReleaseSiteSchema, SitePlan> = {
  name: "release-site",
  description:
    "Publish releases to a download site on S3-compatible storage, in alpha, beta and stable channels, with a latest.json that servers poll.",
  settings: releaseSiteSettings,
  check: checkSettings,
  plan: planSite,
  describe: describePlan,

  async run(plan, { log, signal, cleanupSignal, now }): Promise<RunResult> {
    // The S3 client is most of the bundle: loaded only when the store is written, so a dry run,
    // --help or a settings error starts fast.
    const [{ SiteStore }, { Site }, actions] = await Promise.all([
      import("./store.ts"),
      import("./site.ts"),
      import("./actions.ts"),
    ]);
    const store = new SiteStore(plan.store, signal);
    const cleanupStore = store.withSignal(cleanupSignal);
    const site = new Site(plan, store, log, now, cleanupStore);
    const cleanup = new Site(plan, cleanupStore, log, now);
    try {
      return await actions.runAction(site, cleanup);
    } finally {
      store.destroy();
    }
  },
};
