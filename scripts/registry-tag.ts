/**
 * Gives images in a registry another tag through the registry API (GET the manifest, PUT it
 * under the new tag): what an image step pushing one tag per commit leaves behind.
 */
const MANIFEST_TYPES = [
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.docker.distribution.manifest.v2+json",
].join(", ");

export async function tagImage(
  registryUrl: string,
  prefix: string,
  names: readonly string[],
  from: string,
  to: string,
): Promise<void> {
  const path = prefix.slice(prefix.indexOf("/") + 1);
  for (const name of names) {
    const url = `${registryUrl}/v2/${path}/${name}/manifests`;
    const got = await fetch(`${url}/${from}`, {
      headers: { Accept: MANIFEST_TYPES },
      signal: AbortSignal.timeout(10_000),
    });
    if (!got.ok) throw new Error(`GET ${name}:${from} answered ${got.status}`);
    const type = got.headers.get("content-type") ?? "application/vnd.docker.distribution.manifest.v2+json";
    const put = await fetch(`${url}/${to}`, {
      method: "PUT",
      headers: { "Content-Type": type },
      body: Buffer.from(await got.arrayBuffer()),
      signal: AbortSignal.timeout(10_000),
    });
    if (!put.ok) throw new Error(`PUT ${name}:${to} answered ${put.status}: ${await put.text()}`);
  }
}
