import { describe, expect, it } from "vitest";
import { loadGiteaSpec } from "../src/gitea/spec.ts";
import { api, giteaPerTest } from "./gitea-api.ts";

const start = giteaPerTest();

const releases = "/repos/hangar/app/releases";

describe("Gitea stand-in: releases", () => {
  it("answers /version and the repository, shaped like the schema", async () => {
    const g = await start({ version: "1.22.3" });
    expect(g.specVersion).toBe("1.22.0");
    expect((await api(g, "GET", "/version", undefined, false)).json).toEqual({ version: "1.22.3" });
    const repo = await api(g, "GET", "/repos/hangar/app");
    expect(repo.status).toBe(200);
    expect(repo.json).toMatchObject({
      full_name: "hangar/app",
      default_branch: "main",
      permissions: { push: true },
    });
    const spec = await loadGiteaSpec();
    // external_tracker and external_wiki are `omitempty` in Gitea's struct: absent when unused.
    const omitted = ["external_tracker", "external_wiki"];
    const documented = Object.keys(spec.definitions.Repository?.properties ?? {})
      .filter((key) => !omitted.includes(key))
      .sort();
    expect(Object.keys(repo.json).sort()).toEqual(documented);
  });

  it("creates a draft without a tag, finds it by tag, and creates the tag when it is published", async () => {
    const g = await start();
    const created = await api(g, "POST", releases, {
      tag_name: "v1.0.0",
      name: "One",
      body: "notes",
      draft: true,
    });
    expect(created.status).toBe(201);
    const spec = await loadGiteaSpec();
    expect(Object.keys(created.json).sort()).toEqual(
      Object.keys(spec.definitions.Release?.properties ?? {}).sort(),
    );
    expect(created.json).toMatchObject({
      id: 1,
      tag_name: "v1.0.0",
      target_commitish: "main",
      name: "One",
      body: "notes",
      draft: true,
      prerelease: false,
      assets: [],
      upload_url: `${g.apiUrl}${releases}/1/assets`,
      html_url: `${g.url}/hangar/app/releases/tag/v1.0.0`,
      author: { login: "hangar" },
    });
    expect(created.json.published_at).toBe(created.json.created_at);
    expect(g.tags()).toEqual([]);

    // Gitea 1.22's GetReleaseByTag does not filter drafts, and matches tags case-insensitively.
    expect((await api(g, "GET", `${releases}/tags/v1.0.0`)).json.id).toBe(1);
    expect((await api(g, "GET", `${releases}/tags/V1.0.0`)).json.id).toBe(1);

    const published = await api(g, "PATCH", `${releases}/1`, { draft: false, body: "" });
    expect(published.status).toBe(200);
    expect(published.json).toMatchObject({ draft: false, body: "notes" }); // "" leaves the note alone
    expect(g.tags()).toEqual([
      { name: "v1.0.0", commit: expect.stringMatching(/^[0-9a-f]{40}$/), annotated: false },
    ]);
    expect(g.events().map((each) => [each.type, each.draft])).toEqual([
      ["release.created", true],
      ["tag.created", false],
      ["release.updated", false],
      ["release.published", false],
    ]);
  });

  it("answers 404 for an unknown tag or id and 409 for a second release on a tag", async () => {
    const g = await start();
    const missing = await api(g, "GET", `${releases}/tags/v9.9.9`);
    expect(missing.status).toBe(404);
    expect(missing.json).toEqual({
      errors: null,
      message: "The target couldn't be found.",
      url: `${g.url}/api/swagger`,
    });
    expect((await api(g, "GET", `${releases}/42`)).status).toBe(404);
    expect((await api(g, "GET", `${releases}/not-a-number`)).status).toBe(404);

    expect((await api(g, "POST", releases, { tag_name: "v1.0.0" })).status).toBe(201);
    const again = await api(g, "POST", releases, { tag_name: "v1.0.0", draft: true });
    expect(again.status).toBe(409);
    expect(again.json).toEqual({ message: "Release is has no Tag", url: `${g.url}/api/swagger` });
    expect(g.releases()).toHaveLength(1);
  });

  it("hides drafts from the tag lookup only when asked to behave like GitHub", async () => {
    const g = await start({ draftsByTag: "hidden" });
    await api(g, "POST", releases, { tag_name: "v1.0.0", draft: true });
    expect((await api(g, "GET", `${releases}/tags/v1.0.0`)).status).toBe(404);
    expect((await api(g, "GET", `${releases}/1`)).status).toBe(200);
  });

  it("answers 404 for a target that is no commit, and tags the given commit otherwise", async () => {
    const g = await start({ tags: [{ name: "v0.1.0", target: "main", message: "first" }] });
    const bad = await api(g, "POST", releases, { tag_name: "v1.0.0", target_commitish: "nope" });
    expect(bad.status).toBe(404);
    expect(bad.json.message).toBe('target "nope" not found: object does not exist [id: nope, rel_path: ]');
    expect(g.releases()).toEqual([]);

    const first = g.tags()[0]?.commit ?? "";
    const ok = await api(g, "POST", releases, { tag_name: "v1.0.0", target_commitish: first.slice(0, 7) });
    expect(ok.status).toBe(201);
    expect(g.tags().find((tag) => tag.name === "v1.0.0")?.commit).toBe(first);
  });

  it("turns an existing tag into a release, taking target_commitish as given", async () => {
    const g = await start({ tags: [{ name: "v0.1.0" }] });
    expect((await api(g, "GET", `${releases}/tags/v0.1.0`)).status).toBe(404); // a tag is not a release
    const created = await api(g, "POST", releases, { tag_name: "v0.1.0", name: "Old" });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      tag_name: "v0.1.0",
      target_commitish: "",
      name: "Old",
      draft: false,
    });
  });

  it("deletes a release but keeps its tag, so the tag can get a release again", async () => {
    const g = await start();
    await api(g, "POST", releases, { tag_name: "v1.0.0" });
    expect((await api(g, "DELETE", `${releases}/1`)).status).toBe(204);
    expect((await api(g, "GET", `${releases}/1`)).status).toBe(404);
    expect((await api(g, "GET", `${releases}/tags/v1.0.0`)).status).toBe(404);
    expect(g.tags().map((tag) => tag.name)).toEqual(["v1.0.0"]);
    expect(g.releases()).toEqual([]);
    expect((await api(g, "POST", releases, { tag_name: "v1.0.0" })).status).toBe(201);
    expect((await api(g, "DELETE", `${releases}/tags/v1.0.0`)).status).toBe(204);
    expect((await api(g, "DELETE", `${releases}/tags/v1.0.0`)).status).toBe(404);
  });

  it("paginates the list with Gitea's Link and X-Total-Count headers", async () => {
    const g = await start({
      releases: Array.from({ length: 7 }, (_, i) => ({ tag: `v1.${i}.0` })),
    });
    const first = await api(g, "GET", `${releases}?limit=3`);
    expect(first.json.map((each: { tag_name: string }) => each.tag_name)).toEqual([
      "v1.6.0",
      "v1.5.0",
      "v1.4.0",
    ]);
    expect(first.headers.get("x-total-count")).toBe("7");
    const base = `${g.apiUrl}${releases}`;
    expect(first.headers.get("link")).toBe(
      `<${base}?limit=3&page=2>; rel="next",<${base}?limit=3&page=3>; rel="last"`,
    );

    const middle = await api(g, "GET", `${releases}?page=2&limit=3`);
    expect(middle.headers.get("link")).toBe(
      `<${base}?limit=3&page=3>; rel="next",<${base}?limit=3&page=3>; rel="last",` +
        `<${base}?limit=3&page=1>; rel="first",<${base}?limit=3&page=1>; rel="prev"`,
    );
    const last = await api(g, "GET", `${releases}?page=3&limit=3`);
    expect(last.json).toHaveLength(1);
    expect(last.headers.get("link")).toBe(
      `<${base}?limit=3&page=1>; rel="first",<${base}?limit=3&page=2>; rel="prev"`,
    );
    const beyond = await api(g, "GET", `${releases}?page=9&limit=3`);
    expect(beyond.json).toEqual([]);

    const all = await api(g, "GET", releases);
    expect(all.json).toHaveLength(7);
    expect(all.headers.get("link")).toBeNull();
  });

  it("caps the page size at MAX_RESPONSE_ITEMS and defaults it to DEFAULT_PAGING_NUM", async () => {
    const g = await start({ releases: Array.from({ length: 60 }, (_, i) => ({ tag: `v0.${i}.0` })) });
    expect((await api(g, "GET", releases)).json).toHaveLength(30);
    expect((await api(g, "GET", `${releases}?limit=100`)).json).toHaveLength(50);
    expect((await api(g, "GET", `${releases}?limit=0`)).json).toHaveLength(30);
  });

  it("filters drafts and pre-releases, and shows drafts only to writers", async () => {
    const g = await start({
      releases: [{ tag: "v1.0.0" }, { tag: "v1.1.0-rc.1", prerelease: true }, { tag: "v1.1.0", draft: true }],
    });
    const tags = (result: { json: { tag_name: string }[] }) =>
      result.json.map((each) => each.tag_name).sort();
    expect(tags(await api(g, "GET", releases))).toEqual(["v1.0.0", "v1.1.0", "v1.1.0-rc.1"]);
    expect(tags(await api(g, "GET", releases, undefined, false))).toEqual(["v1.0.0", "v1.1.0-rc.1"]);
    expect(tags(await api(g, "GET", `${releases}?draft=true`))).toEqual(["v1.1.0"]);
    expect(tags(await api(g, "GET", `${releases}?pre-release=false&draft=false`))).toEqual(["v1.0.0"]);
    expect((await api(g, "GET", `${releases}/latest`)).json.tag_name).toBe("v1.0.0");
  });
});
