import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { executePipeline } from "../src/drone-exec/execute.ts";
import { droneMatch } from "../src/drone-exec/glob.ts";
import { type BuildFacts, conditionMatches, readCondition, stepRuns } from "../src/drone-exec/when.ts";

// drone/drone-yaml yaml/cond_test.go, TestConstraintMatch: [conf, with, want].
const droneConstraintCases: [string, string, boolean][] = [
  ["master", "develop", false],
  ["master", "master", true],
  ["feature/*", "feature/foo", true],
  ["[ master, feature/* ]", "develop", false],
  ["[ master, feature/* ]", "master", true],
  ["[ master, feature/* ]", "feature/foo", true],
  ["include: [ master ]", "develop", false],
  ["include: [ master] ", "master", true],
  ["include: [ feature/* ]", "master", false],
  ["include: [ feature/* ]", "feature/foo", true],
  ["include: [ master, feature/* ]", "develop", false],
  ["include: [ master, feature/* ]", "master", true],
  ["include: [ master, feature/* ]", "feature/foo", true],
  ["exclude: [ master ]", "develop", true],
  ["exclude: [ master ]", "master", false],
  ["exclude: [ feature/* ]", "master", true],
  ["exclude: [ feature/* ]", "feature/foo", false],
  ["exclude: [ master, develop ]", "master", false],
  ["exclude: [ feature/*, bar ]", "master", true],
  ["exclude: [ feature/*, bar ]", "feature/foo", false],
  ["{ include: [ master, feature/* ], exclude: [ develop ] }", "master", true],
  ["{ include: [ master, feature/* ], exclude: [ feature/bar ] }", "feature/bar", false],
  ["{ include: [ master, feature/* ], exclude: [ master, develop ] }", "master", false],
  ["", "master", true],
  ["foo/**", "foo/bar/baz/qux", true],
  ["foo/**/qux", "foo/bar/baz/qux", true],
];

// bmatcuk/doublestar v1.1.1 doublestar_test.go (the pattern matcher drone-runner-docker uses):
// [pattern, name, matches]; a malformed pattern matches nothing, as Drone ignores the error.
const doublestarCases: [string, string, boolean][] = [
  ["abc", "abc", true],
  ["*", "abc", true],
  ["*c", "abc", true],
  ["a*", "a", true],
  ["a*", "abc", true],
  ["a*", "ab/c", false],
  ["a*/b", "abc/b", true],
  ["a*/b", "a/c/b", false],
  ["a*b*c*d*e*/f", "axbxcxdxe/f", true],
  ["a*b*c*d*e*/f", "axbxcxdxexxx/f", true],
  ["a*b*c*d*e*/f", "axbxcxdxe/xxx/f", false],
  ["a*b*c*d*e*/f", "axbxcxdxexxx/fff", false],
  ["a*b?c*x", "abxbbxdbxebxczzx", true],
  ["a*b?c*x", "abxbbxdbxebxczzy", false],
  ["ab[c]", "abc", true],
  ["ab[b-d]", "abc", true],
  ["ab[e-g]", "abc", false],
  ["ab[^c]", "abc", false],
  ["ab[^b-d]", "abc", false],
  ["ab[^e-g]", "abc", true],
  ["a\\*b", "ab", false],
  ["a?b", "a☺b", true],
  ["a[^a]b", "a☺b", true],
  ["a???b", "a☺b", false],
  ["a[^a][^a][^a]b", "a☺b", false],
  ["[a-ζ]*", "α", true],
  ["*[a-ζ]", "A", false],
  ["a?b", "a/b", false],
  ["a*b", "a/b", false],
  ["[\\]a]", "]", true],
  ["[\\-]", "-", true],
  ["[x\\-]", "x", true],
  ["[x\\-]", "-", true],
  ["[x\\-]", "z", false],
  ["[\\-x]", "x", true],
  ["[\\-x]", "-", true],
  ["[\\-x]", "a", false],
  ["[]a]", "]", false],
  ["[-]", "-", false],
  ["[x-]", "x", false],
  ["[-x]", "x", false],
  ["\\", "a", false],
  ["[a-b-c]", "a", false],
  ["[", "a", false],
  ["[^bc", "a", false],
  ["a[", "a", false],
  ["a[", "ab", false],
  ["*x", "xxx", true],
  ["[abc]", "b", true],
  ["a/**", "a", false],
  ["a/**", "a/b", true],
  ["a/**", "a/b/c", true],
  ["**/c", "c", true],
  ["**/c", "b/c", true],
  ["**/c", "a/b/c", true],
  ["**/c", "a/b", false],
  ["**/c", "abcd", false],
  ["**/c", "a/abc", false],
  ["a/**/b", "a/b", true],
  ["a/**/c", "a/b/c", true],
  ["a/**/d", "a/b/c/d", true],
  ["a/\\**", "a/b/c", false],
  ["ab{c,d}", "abc", true],
  ["ab{c,d,*}", "abcde", true],
  ["ab{c,d}[", "abcd", false],
  ["abc/**", "abc/b", true],
  ["**/abc", "abc", true],
  ["abc**", "abc/b", false],
];

const facts: BuildFacts = {
  branch: "main",
  event: "push",
  ref: "refs/heads/main",
  repo: "calchat/server",
  status: "success",
  target: "",
  cron: "",
};

describe("when, checked against Drone's own tests", () => {
  it.each(droneConstraintCases)(
    "condition %j against %j is %j (drone-yaml cond_test.go)",
    (conf, value, want) => {
      expect(conditionMatches(readCondition(parse(conf)), value)).toBe(want);
    },
  );

  it.each(doublestarCases)("pattern %j against %j is %j (doublestar v1.1.1)", (pattern, name, want) => {
    expect(droneMatch(pattern, name)).toBe(want);
  });

  it("ignores an empty condition, as Drone does, instead of failing on it", () => {
    const when = parse("branch:\nevent:\nstatus:\n") as Record<string, unknown>;
    expect(stepRuns(when, facts)).toEqual({ runs: true, why: "", notes: [] });
    expect(stepRuns(when, { ...facts, status: "failure" }).runs).toBe(false);
  });

  it("matches every field as a glob, the event too", () => {
    expect(stepRuns({ event: "pull_*" }, { ...facts, event: "pull_request" }).runs).toBe(true);
    expect(stepRuns({ event: ["p?sh"] }, facts).runs).toBe(true);
    expect(stepRuns({ event: { exclude: ["[pt]*"] } }, facts).runs).toBe(false);
    expect(stepRuns({ repo: ["calchat/*"] }, facts).runs).toBe(true);
    expect(stepRuns({ ref: ["refs/tags/v[0-9]*"] }, { ...facts, ref: "refs/tags/v1.4.0" }).runs).toBe(true);
    expect(stepRuns({ target: ["prod*"] }, { ...facts, target: "production" }).runs).toBe(true);
    expect(stepRuns({ target: ["prod*"] }, facts).runs).toBe(false);
  });

  it("decides status as Drone's run policy: exclude-only, both, neither", () => {
    const failure = { ...facts, status: "failure" } as const;
    // Matches failure only: the step runs after a failure, never on success.
    expect(stepRuns({ status: { exclude: ["success"] } }, failure).runs).toBe(true);
    expect(stepRuns({ status: { exclude: ["success"] } }, facts).runs).toBe(false);
    // Matches success only: an ordinary step.
    expect(stepRuns({ status: { exclude: ["failure"] } }, failure)).toMatchObject({
      runs: false,
      why: "build is a failure",
    });
    expect(stepRuns({ status: { exclude: ["failure"] } }, facts).runs).toBe(true);
    // Matches both (a glob): always.
    expect(stepRuns({ status: ["*"] }, failure).runs).toBe(true);
    expect(stepRuns({ status: { exclude: ["nothing"] } }, failure).runs).toBe(true);
    // Matches neither: Drone falls back to running on success.
    expect(stepRuns({ status: ["changed"] }, facts).runs).toBe(true);
    expect(stepRuns({ status: ["changed"] }, failure).runs).toBe(false);
  });

  it("evaluates instance, cron and action when told them, and says so when not", () => {
    expect(stepRuns({ instance: ["ci.*"] }, { ...facts, instance: "ci.example.com" }).runs).toBe(true);
    expect(stepRuns({ instance: ["ci.*"] }, { ...facts, instance: "drone.local" }).runs).toBe(false);
    expect(stepRuns({ instance: ["ci.*"] }, facts)).toEqual({
      runs: false,
      why: "when.instance cannot be evaluated here (give --instance HOST): skipped",
      notes: ["when.instance cannot be evaluated here (give --instance HOST): skipped"],
    });
    // Not a cron build: there is no cron job, as in Drone.
    expect(stepRuns({ cron: ["nightly"] }, facts).runs).toBe(false);
    expect(stepRuns({ cron: { exclude: ["nightly"] } }, facts).runs).toBe(true);
    const { cron: _, ...cronBuild } = { ...facts, event: "cron" };
    expect(stepRuns({ cron: ["nightly"] }, cronBuild).why).toBe(
      "when.cron cannot be evaluated here (give --cron NAME): skipped",
    );
    expect(stepRuns({ cron: ["night*"] }, { ...cronBuild, cron: "nightly" }).runs).toBe(true);
    expect(stepRuns({ action: { exclude: ["closed"] } }, facts).why).toBe(
      "when.action cannot be evaluated here (give --action NAME): skipped",
    );
    expect(stepRuns({ action: ["opened", "synchronized"] }, { ...facts, action: "synchronized" }).runs).toBe(
      true,
    );
    expect(stepRuns({ paths: ["src/**"] }, facts)).toEqual({
      runs: true,
      why: "",
      notes: ["when.paths is not evaluated here (Drone leaves it to a conversion extension): treated as met"],
    });
  });

  it("runs a pipeline whose step has an empty condition, and reports the notes", async () => {
    const result = await executePipeline({
      pipeline: [
        "kind: pipeline",
        "name: app",
        "steps:",
        "  - name: deploy",
        "    image: ci/compose-deploy:1",
        "    when:",
        "      branch:",
        "  - name: nightly",
        "    image: ci/compose-deploy:1",
        "    when: { instance: [ci.example.com] }",
      ].join("\n"),
      build: {
        event: "push",
        branch: "main",
        number: 1,
        repo: "calchat/server",
        commit: { sha: "9c4e1f0b", message: "m", author: "a", authorName: "A", authorEmail: "a@example.com" },
        forge: "https://git.example.com",
        server: "https://drone.example.com",
      },
      workspace: "/tmp/ws",
      secrets: {},
      image: () => "hangar/compose-deploy:dev",
      runStep: async () => ({ exitCode: 0, stdout: "", stderr: "" }),
    });
    expect(result.steps.map((step) => [step.name, step.outcome, step.notes])).toEqual([
      ["deploy", "success", undefined],
      ["nightly", "skipped", ["when.instance cannot be evaluated here (give --instance HOST): skipped"]],
    ]);
  });
});
