/** What a repository holds now, as the tag policy needs it: tags with their digests, and who built one. */
import type { RegistryClient } from "./registry.ts";
import { parseSemVer } from "./semver.ts";
import type { BuildIdentity } from "./tag-policy.ts";

/**
 * The digest of each version tag and each alias (latest, X.Y, X): one HEAD per tag. Other tags
 * (nightly, branch names) are left out: they never tell what an alias points to.
 */
export async function readTagDigests(
  client: RegistryClient,
  repository: string,
): Promise<Map<string, string>> {
  const result = new Map<string, string>();
  for (const tag of await client.listTags(repository)) {
    if (tag !== "latest" && !/^\d+(\.\d+)?$/.test(tag) && !parseSemVer(tag)) continue;
    const digest = await client.resolve(repository, tag);
    if (digest) result.set(tag, digest);
  }
  return result;
}

/** The revision and created labels of an image or index (its first platform's config). */
export async function readIdentity(
  client: RegistryClient,
  repository: string,
  digest: string,
): Promise<BuildIdentity> {
  let manifest = await client.getManifest(repository, digest);
  const first = manifest?.json.manifests?.[0]?.digest as string | undefined;
  if (first) manifest = await client.getManifest(repository, first);
  const configDigest = manifest?.json.config?.digest as string | undefined;
  if (!configDigest) return {};
  const config = JSON.parse((await client.getBlob(repository, configDigest)).toString("utf8"));
  const labels = (config.config?.Labels ?? {}) as Record<string, string>;
  return {
    revision: labels["org.opencontainers.image.revision"],
    created: labels["org.opencontainers.image.created"] ?? config.created,
  };
}
