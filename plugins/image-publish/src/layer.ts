/**
 * The context as one layer, identical for every platform: its files under `workdir`, sorted,
 * dated the commit's time, owned by the numeric `user` (or root), so the same commit gives the
 * same bytes, the same digest, and nothing to upload the second time. Written to a temp file as
 * the files are read, so memory stays small whatever the context's size.
 */
import { type FileLayer, type LayerEntry, writeLayerFile } from "@hangar/oci";
import type { AppendPlan } from "./plan.ts";

export function contextLayer(plan: AppendPlan, epoch: number): Promise<FileLayer> {
  const root = plan.workdir.replace(/^\/+/, "");
  const entries: LayerEntry[] = [{ path: root }];
  for (const f of plan.context.files) {
    const path = `${root}/${f.path}`;
    if (f.kind === "folder") entries.push({ path });
    else if (f.kind === "link") entries.push({ path, link: f.link ?? "" });
    else entries.push({ path, file: { path: f.absolute, size: f.size }, executable: f.executable });
  }
  return writeLayerFile(entries, epoch, plan.owner);
}
