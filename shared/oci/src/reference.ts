/** Image references as people write them: "node:24", "ghcr.io/o/n:t", "127.0.0.1:5000/a/b@sha256:…". */

export interface ImageName {
  /** Registry host as written ("docker.io" for Docker Hub). */
  host: string;
  repository: string;
  /** Tag or digest. */
  reference: string;
}

export function parseImageName(value: string): ImageName {
  let rest = value.trim();
  let reference = "latest";
  const at = rest.indexOf("@");
  if (at >= 0) {
    reference = rest.slice(at + 1);
    rest = rest.slice(0, at);
  } else {
    const colon = rest.lastIndexOf(":");
    if (colon > rest.lastIndexOf("/")) {
      reference = rest.slice(colon + 1);
      rest = rest.slice(0, colon);
    }
  }
  const slash = rest.indexOf("/");
  const first = slash >= 0 ? rest.slice(0, slash) : "";
  // Docker's rule: the first component is a host when it has a dot or a port, or is localhost.
  if (first && (first.includes(".") || first.includes(":") || first === "localhost")) {
    return { host: first, repository: rest.slice(slash + 1), reference };
  }
  return { host: "docker.io", repository: rest.includes("/") ? rest : `library/${rest}`, reference };
}
