/**
 * The context as one layer, identical for every platform: its files under `workdir`, sorted,
 * dated the commit's time, owned by the numeric `user` (or root), so the same commit gives the
 * same bytes, the same digest, and nothing to upload the second time.
 */
import { readFileSync } from "node:fs";
import { type Layer, type LayerEntry, layerFromTar, tarEntries } from "@hangar/oci";
import type { PublishPlan } from "./plan.ts";

export function contextLayer(plan: PublishPlan): Layer {
  const root = plan.workdir.replace(/^\/+/, "");
  const entries: LayerEntry[] = [{ path: root }];
  for (const f of plan.context.files) {
    const path = `${root}/${f.path}`;
    if (f.kind === "folder") entries.push({ path });
    else if (f.kind === "link") entries.push({ path, link: f.link ?? "" });
    else entries.push({ path, data: readFileSync(f.absolute), executable: f.executable });
  }
  return layerFromTar(tarEntries(entries, plan.epoch, plan.owner));
}
