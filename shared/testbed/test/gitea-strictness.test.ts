import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GiteaStandIn } from "../src/gitea/options.ts";
import { startGiteaStandIn } from "../src/gitea/server.ts";

let g: GiteaStandIn;
beforeAll(async () => {
  g = await startGiteaStandIn({ password: "s3cret", releases: [{ tag: "v1.0.0" }] });
});
afterAll(async () => {
  expect(g.schemaProblems()).toEqual([]);
  await g.stop();
});

async function call(path: string, init: RequestInit = {}) {
  const response = await fetch(`${g.apiUrl}${path}`, init);
  const text = await response.text();
  let json: { message?: string } | undefined;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

const auth = () => ({ Authorization: `token ${g.token}` });
/** A POST whose body fetch sends as bytes, so it adds no Content-Type of its own. */
const post = (body: string, headers: Record<string, string> = { "Content-Type": "application/json" }) => ({
  method: "POST",
  headers: { ...auth(), ...headers },
  body: new TextEncoder().encode(body),
});

describe("Gitea stand-in: routes", () => {
  it("answers an unknown path like chi does: text 404", async () => {
    const result = await call("/repos/hangar/app/relases");
    expect(result.status).toBe(404);
    expect(result.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    expect(result.text).toBe("404 page not found\n");
    expect((await call("/repos/hangar/app/releases/")).status).toBe(404); // no trailing-slash leniency
  });

  it("answers 405 for a method the path does not have, 501 for one the stand-in lacks", async () => {
    const wrong = await call("/repos/hangar/app/releases", { method: "PUT", headers: auth() });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get("allow")).toBe("GET, POST");
    expect((await call("/version", { method: "HEAD" })).status).toBe(405);
    const missing = await call("/repos/hangar/app/milestones");
    expect(missing.status).toBe(501);
    expect(missing.json?.message).toContain("issueGetMilestonesList");
  });

  it("answers 404 in Gitea's JSON shape for another repository", async () => {
    const result = await call("/repos/hangar/other/releases");
    expect(result.status).toBe(404);
    expect(result.json).toEqual({
      errors: null,
      message: "The target couldn't be found.",
      url: `${g.url}/api/swagger`,
    });
    expect((await call("/repos/HANGAR/App/releases")).status).toBe(200); // names are case-insensitive
  });
});

describe("Gitea stand-in: authentication", () => {
  it("refuses a write without a token with 401 token is required, after the repository check", async () => {
    const result = await call("/repos/hangar/app/releases", { method: "POST", body: "{}" });
    expect(result.status).toBe(401);
    expect(result.json).toEqual({ message: "token is required", url: `${g.url}/api/swagger` });
    expect((await call("/repos/nobody/app/releases", { method: "POST", body: "{}" })).status).toBe(404);
  });

  it("refuses a wrong token on every route, reads included", async () => {
    const headers = { Authorization: "token wrong" };
    for (const path of ["/version", "/repos/hangar/app/releases"]) {
      const result = await call(path, { headers });
      expect(result.status).toBe(401);
      expect(result.json?.message).toBe("user does not exist [uid: 0, name: ]");
    }
  });

  it("takes the token as `token`, `Bearer` in any case, Basic, or the deprecated query parameters", async () => {
    const body = JSON.stringify({ tag_name: "v9.0.0", draft: true });
    const json = { "Content-Type": "application/json" };
    const forms: Record<string, string>[] = [
      { Authorization: `Bearer ${g.token}` },
      { Authorization: `bearer ${g.token}` },
      { Authorization: `Basic ${Buffer.from(`${g.token}:`).toString("base64")}` },
      { Authorization: `Basic ${Buffer.from(`hangar:${g.token}`).toString("base64")}` },
      { Authorization: `Basic ${Buffer.from("hangar:s3cret").toString("base64")}` },
    ];
    for (const headers of forms) {
      const result = await call("/repos/hangar/app/releases", {
        method: "POST",
        headers: { ...headers, ...json },
        body,
      });
      expect([201, 409]).toContain(result.status);
    }
    for (const name of ["token", "access_token"]) {
      const result = await call(`/repos/hangar/app/releases?${name}=${g.token}`, {
        method: "POST",
        headers: json,
        body,
      });
      expect(result.status).toBe(409);
      expect(result.headers.get("x-gitea-warning")).toContain("deprecated");
    }
    // Only a lower-case "token" prefix is a token: "Token x" is no credential at all.
    const capital = await call("/repos/hangar/app/releases", {
      method: "POST",
      headers: { Authorization: `Token ${g.token}`, ...json },
      body,
    });
    expect(capital.status).toBe(401);
    const badBasic = await call("/version", {
      headers: { Authorization: `Basic ${Buffer.from("hangar:nope").toString("base64")}` },
    });
    expect(badBasic.json?.message).toBe("user does not exist [uid: 1, name: hangar]");
  });

  it("answers 403 to a token without write:repository scope, and to sudo from a non-admin", async () => {
    const readOnly = await startGiteaStandIn({ tokenScopes: ["read:repository"] });
    try {
      const headers = { Authorization: `token ${readOnly.token}`, "Content-Type": "application/json" };
      const url = `${readOnly.apiUrl}/repos/hangar/app/releases`;
      expect((await fetch(url, { headers })).status).toBe(200);
      const write = await fetch(url, { method: "POST", headers, body: JSON.stringify({ tag_name: "v1" }) });
      expect(write.status).toBe(403);
      expect(((await write.json()) as { message: string }).message).toBe(
        "token does not have at least one of required scope(s): [write:repository]",
      );
    } finally {
      await readOnly.stop();
    }
    const sudo = await call("/repos/hangar/app/releases?sudo=admin", { headers: auth() });
    expect(sudo.status).toBe(403);
    expect(sudo.json).toEqual({ message: "Only administrators allowed to sudo." });
  });

  it("hides a private repository from anonymous callers", async () => {
    const hidden = await startGiteaStandIn({ private: true });
    try {
      expect((await fetch(`${hidden.apiUrl}/repos/hangar/app`)).status).toBe(404);
      const withToken = await fetch(`${hidden.apiUrl}/repos/hangar/app`, {
        headers: { Authorization: `token ${hidden.token}` },
      });
      expect(withToken.status).toBe(200);
    } finally {
      await hidden.stop();
    }
  });
});

describe("Gitea stand-in: parameters and bodies", () => {
  it("rejects unknown and ill-typed query parameters with 422", async () => {
    const unknown = await call("/repos/hangar/app/releases?per_page=5", { headers: auth() });
    expect(unknown.status).toBe(422);
    expect(unknown.json?.message).toMatch(
      /^\[per_page\]: unknown query parameter \(this operation takes draft, pre-release, page, limit/,
    );
    const notInt = await call("/repos/hangar/app/releases?limit=ten", { headers: auth() });
    expect(notInt.status).toBe(422);
    expect(notInt.json?.message).toMatch(/^\[limit\]: "ten" is not an integer/);
    const notBool = await call("/repos/hangar/app/releases?draft=yes", { headers: auth() });
    expect(notBool.status).toBe(422);
    expect(
      (await call("/repos/hangar/app/releases?draft=1&page=1&limit=5", { headers: auth() })).status,
    ).toBe(200);
  });

  it("ignores them like Gitea when strictQuery is off", async () => {
    g.configure({ strictQuery: false });
    try {
      const plain = await call("/repos/hangar/app/releases", { headers: auth() });
      const result = await call("/repos/hangar/app/releases?per_page=1&limit=ten&draft=yes", {
        headers: auth(),
      });
      expect(result.status).toBe(200);
      expect(result.json).toEqual(plain.json); // limit=ten reads as 0 (the default), draft=yes as absent
    } finally {
      g.configure({ strictQuery: true });
    }
  });

  it("binds JSON bodies like Gitea: Required, Go type errors, Content-Type rules", async () => {
    const path = "/repos/hangar/app/releases";
    const cases: [RequestInit, string][] = [
      [post("{}"), "[TagName]: Required"],
      [post('{"tag_name": ""}'), "[TagName]: Required"],
      [post('{"tag_name": null}'), "[TagName]: Required"],
      [post(""), "[TagName]: Required"],
      [
        post('{"tag_name": 1}'),
        "[]: json: cannot unmarshal number into Go struct field CreateReleaseOption.tag_name of type string",
      ],
      [
        post('{"tag_name": "v2", "draft": "true"}'),
        "[]: json: cannot unmarshal string into Go struct field CreateReleaseOption.draft of type bool",
      ],
      [post('["v2"]'), "[]: json: cannot unmarshal array into Go value of type structs.CreateReleaseOption"],
      [post('{"tag_name": "v2"}', {}), "[]: Empty Content-Type"],
      [post('{"tag_name": "v2"}', { "Content-Type": "text/plain" }), "[]: Unsupported Content-Type"],
    ];
    for (const [init, message] of cases) {
      const result = await call(path, init);
      expect({ status: result.status, message: result.json?.message }).toEqual({ status: 422, message });
    }
    expect(g.releases().map((each) => each.tag)).not.toContain("v2");
  });

  it("ignores unknown JSON fields as Gitea does, matches keys case-insensitively, and reports both", async () => {
    const before = g.ignoredFields().length;
    const result = await call(
      "/repos/hangar/app/releases",
      post('{"TAG_NAME": "v3.0.0", "prerelase": true}'),
    );
    expect(result.status).toBe(201);
    expect(result.json).toMatchObject({ tag_name: "v3.0.0", prerelease: false });
    expect(g.ignoredFields().slice(before)).toEqual([
      { operationId: "repoCreateRelease", fields: ["prerelase"] },
    ]);
  });

  it("treats a PATCH without Content-Type as an empty edit, as Gitea's form binding does", async () => {
    const release = g.release("v1.0.0");
    const result = await call(`/repos/hangar/app/releases/${release?.id}`, {
      method: "PATCH",
      headers: auth(),
      body: new TextEncoder().encode('{"name": "ignored"}'),
    });
    expect(result.status).toBe(200);
    expect(result.json).toMatchObject({ name: "v1.0.0" });
  });
});
