import rootPackage from "../../../package.json" with { type: "json" };

/** Where the plugins' docs pages live; errors link a setting's row there. */
export const DOCS_BASE_URL = `${rootPackage.homepage.replace(/#.*$/, "")}/blob/main/docs`;

export function settingAnchor(name: string): string {
  return `setting-${name.toLowerCase().replace(/[^a-z0-9_-]+/g, "-")}`;
}

export function docsLink(plugin: string, setting?: string): string {
  return `${DOCS_BASE_URL}/${plugin}.md${setting ? `#${settingAnchor(setting)}` : ""}`;
}
