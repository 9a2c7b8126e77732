import { describe, expect, it } from "vitest";
import { api, giteaPerTest } from "./gitea-api.ts";

const start = giteaPerTest();

const issues = "/repos/hangar/app/issues";
const labels = "/repos/hangar/app/labels";

describe("Gitea stand-in: issues, comments, labels and users", () => {
  it("creates an issue with labels and an assignee, answers it as the schema says, and edits its state", async () => {
    const g = await start({ users: [{ login: "alice" }] });
    const label = await api(g, "POST", labels, { name: "ci-failure", color: "e11d21" });
    expect(label.status).toBe(201);
    expect(label.json).toMatchObject({ name: "ci-failure", color: "e11d21" });
    const created = await api(g, "POST", issues, {
      title: "CI failing on main",
      body: "the body",
      labels: [label.json.id],
      assignees: ["alice"],
    });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      number: 1,
      state: "open",
      html_url: `${g.url}/hangar/app/issues/1`,
      labels: [{ name: "ci-failure" }],
      assignees: [{ login: "alice" }],
      closed_at: null,
    });
    const comment = await api(g, "POST", `${issues}/1/comments`, { body: "again" });
    expect(comment.status).toBe(201);
    expect(comment.json.html_url).toBe(`${g.url}/hangar/app/issues/1#issuecomment-${comment.json.id}`);
    const closed = await api(g, "PATCH", `${issues}/1`, { state: "closed" });
    expect(closed.status).toBe(201);
    expect(closed.json).toMatchObject({ state: "closed", comments: 1 });
    expect(closed.json.closed_at).toMatch(/Z$/);
    expect((await api(g, "GET", `${issues}/1/comments`)).json).toHaveLength(1);
    expect(g.issues()).toEqual([
      {
        number: 1,
        title: "CI failing on main",
        body: "the body",
        state: "closed",
        labels: ["ci-failure"],
        assignees: ["alice"],
        comments: ["again"],
      },
    ]);
    expect((await api(g, "GET", `${issues}/9`)).status).toBe(404);
  });

  it("lists newest first, open by default, filtered by state, labels and type, a page at a time", async () => {
    const g = await start();
    const bug = (await api(g, "POST", labels, { name: "bug", color: "#abc" })).json;
    expect(bug.color).toBe("aabbcc");
    for (let index = 1; index <= 7; index++)
      await api(g, "POST", issues, { title: `issue ${index}`, labels: index % 2 ? [bug.id] : [] });
    await api(g, "PATCH", `${issues}/1`, { state: "closed" });
    const first = await api(g, "GET", `${issues}?limit=4&page=1`);
    expect(first.headers.get("x-total-count")).toBe("6");
    expect(first.headers.get("link")).toContain('rel="next"');
    expect(first.json.map((each: { number: number }) => each.number)).toEqual([7, 6, 5, 4]);
    const second = await api(g, "GET", `${issues}?limit=4&page=2`);
    expect(second.json.map((each: { number: number }) => each.number)).toEqual([3, 2]);
    const labelled = await api(g, "GET", `${issues}?state=all&labels=bug&type=issues`);
    expect(labelled.json.map((each: { number: number }) => each.number)).toEqual([7, 5, 3, 1]);
    expect((await api(g, "GET", `${issues}?state=closed`)).json).toHaveLength(1);
    expect((await api(g, "GET", `${issues}?type=pulls`)).json).toEqual([]);
    // Gitea drops label names the repository does not have, and with none left, does not filter.
    expect((await api(g, "GET", `${issues}?labels=nope`)).json).toHaveLength(6);
    // The stand-in is strict about query parameters Gitea would ignore.
    expect((await api(g, "GET", `${issues}?per_page=100`)).status).toBe(422);
  });

  it("refuses what Gitea refuses: a bad colour, an unknown or inaccessible assignee, a missing title", async () => {
    const g = await start({ users: [{ login: "outsider", collaborator: false }] });
    const color = await api(g, "POST", labels, { name: "x", color: "red" });
    expect(color).toMatchObject({ status: 422, json: { message: "bad color code: red" } });
    const nobody = await api(g, "POST", issues, { title: "t", assignees: ["nobody"] });
    expect(nobody.status).toBe(422);
    expect(nobody.json.message).toContain("Assignee does not exist");
    expect((await api(g, "POST", issues, { title: "t", assignees: ["outsider"] })).status).toBe(422);
    expect((await api(g, "POST", issues, { body: "no title" })).json.message).toBe("[Title]: Required");
    expect(g.issues()).toEqual([]);
    // Two labels of one name are allowed, as in Gitea.
    await api(g, "POST", labels, { name: "dup", color: "000000" });
    await api(g, "POST", labels, { name: "dup", color: "000000" });
    expect(g.labels().filter((label) => label.name === "dup")).toHaveLength(2);
  });

  it("looks users up by name, 404 for someone who is not a user", async () => {
    const g = await start({ users: [{ login: "alice", fullName: "Alice A" }] });
    expect((await api(g, "GET", "/users/alice")).json).toMatchObject({
      login: "alice",
      full_name: "Alice A",
    });
    expect((await api(g, "GET", "/users/ALICE")).status).toBe(200);
    expect((await api(g, "GET", "/users/bob")).status).toBe(404);
  });

  it("needs write:issue for issue writes and read:user for users, and says which scope is missing", async () => {
    const g = await start({ tokenScopes: ["write:repository", "read:issue"] });
    const refused = await api(g, "POST", issues, { title: "t" });
    expect(refused.status).toBe(403);
    expect(refused.json.message).toBe("token does not have at least one of required scope(s): [write:issue]");
    expect((await api(g, "GET", issues)).status).toBe(200);
    expect((await api(g, "POST", labels, { name: "a", color: "000000" })).status).toBe(403);
    expect((await api(g, "GET", "/users/hangar")).json.message).toContain("[read:user]");
    expect((await api(g, "GET", "/repos/hangar/app/releases")).status).toBe(200);
    const issueOnly = await start({ tokenScopes: ["write:issue"] });
    expect((await api(issueOnly, "POST", issues, { title: "t" })).status).toBe(201);
    expect((await api(issueOnly, "GET", "/repos/hangar/app/releases")).status).toBe(403);
  });

  it("seeds issues opened by other users, and answers GET /user with the token's own user", async () => {
    const g = await start({
      users: [{ login: "mallory" }],
      issues: [
        { title: "by hand", body: "text", poster: "mallory" },
        { title: "old", state: "closed" },
      ],
    });
    const all = await api(g, "GET", `${issues}?state=all`);
    expect(
      all.json.map((issue: { user: { login: string }; state: string }) => [issue.user.login, issue.state]),
    ).toEqual([
      ["hangar", "closed"],
      ["mallory", "open"],
    ]);
    expect((await api(g, "GET", "/user")).json).toMatchObject({ id: 1, login: "hangar" });
    expect((await api(g, "GET", "/user", undefined, false)).status).toBe(401);
    const limited = await start({ tokenScopes: ["write:issue"] });
    expect((await api(limited, "GET", "/user")).status).toBe(403);
  });

  it("ignorePage: answers the first page whatever ?page= asks (a hostile server)", async () => {
    const g = await start({ ignorePage: true, issues: [{ title: "a" }, { title: "b" }, { title: "c" }] });
    const first = await api(g, "GET", `${issues}?limit=2&page=1`);
    const second = await api(g, "GET", `${issues}?limit=2&page=2`);
    expect(first.json.map((issue: { title: string }) => issue.title)).toEqual(["c", "b"]);
    expect(second.json).toEqual(first.json);
  });
});
