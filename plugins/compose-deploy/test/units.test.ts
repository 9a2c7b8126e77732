import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { judgeService, parseComposeProbe, parseContainerStates } from "../src/compose.ts";
import type { HostOutcome } from "../src/deploy.ts";
import { renderDotenv, unrepresentable } from "../src/dotenv.ts";
import { describeHolder } from "../src/lock.ts";
import { dotenvPath, releaseName } from "../src/plan.ts";
import { releasesToPrune } from "../src/release.ts";
import { rollout } from "../src/rollout.ts";
import { buildOf } from "../src/running.ts";

describe("compose", () => {
  it("knows v2 from v1 and says when a host has neither", () => {
    expect(parseComposeProbe("v2 2.29.1", "h")).toMatchObject({
      argv: ["docker", "compose"],
      version: "2.29.1",
      flavour: "v2",
    });
    expect(parseComposeProbe("v1", "h")).toMatchObject({ argv: ["docker-compose"], flavour: "v1" });
    expect(() => parseComposeProbe("none /usr/bin/docker", "vps:22")).toThrow(
      /vps:22 has neither `docker compose` \(v2\) nor `docker-compose` \(v1\).*\(docker: \/usr\/bin\/docker\)/,
    );
  });

  it("judges services: healthy, starting, unhealthy, crashed, one-shot jobs", () => {
    const states = parseContainerStates(
      [
        "/p_web_1|web|running|healthy|0|0|",
        "/p_api_1|api|running|starting|0|0|",
        "/p_db_1|db|running||0|0|",
        "/p_bad_1|bad|running|unhealthy|0|0|",
        "/p_crash_1|crash|exited||1|0|",
        "/p_loop_1|loop|restarting||137|5|",
        "/p_migrate_1|migrate|exited||0|0|",
        "/p_web_run_1|web|exited||1|0|True",
      ].join("\n"),
    );
    expect(states).toHaveLength(7);
    expect(judgeService("web", states)).toMatchObject({ state: "ready", why: "web: running, healthy" });
    expect(judgeService("db", states).state).toBe("ready");
    expect(judgeService("migrate", states)).toMatchObject({ state: "ready", why: "migrate: done (exit 0)" });
    expect(judgeService("api", states).state).toBe("pending");
    expect(judgeService("absent", states)).toMatchObject({
      state: "pending",
      why: "absent: no container yet",
    });
    expect(judgeService("bad", states)).toMatchObject({ state: "failed" });
    expect(judgeService("crash", states).why).toContain("exited with code 1");
    expect(judgeService("loop", states).why).toContain("restarted 5 times");
  });

  it("writes .env values that each compose reads back unchanged", () => {
    const entries: [string, string][] = [
      ["PLAIN", "abc"],
      ["TRICKY", `it's "x" $HOME \\n`],
    ];
    expect(renderDotenv(entries, "v1")).toBe(`PLAIN='abc'\nTRICKY='it\\'s "x" $HOME \\\\n'\n`);
    expect(renderDotenv(entries, "v2")).toBe(`PLAIN='abc'\nTRICKY="it's \\"x\\" \\$HOME \\\\n"\n`);
  });

  it("docker-compose v1's own .env reader (python-dotenv) reads back every value it is given, and the refused ones would have been misread", () => {
    const read = (text: string): Record<string, string> =>
      JSON.parse(
        execFileSync(
          "python3",
          [
            "-c",
            "import dotenv,io,json,sys;print(json.dumps(dotenv.dotenv_values(stream=io.StringIO(sys.stdin.read()))))",
          ],
          { input: text, encoding: "utf8", stdio: ["pipe", "pipe", "ignore"] },
        ),
      );
    try {
      read("");
    } catch {
      console.warn("SKIPPED: python3 with dotenv (what docker-compose v1 reads .env with) is not installed");
      return;
    }
    const accepted = [
      `it's "x" $HOME \\n`,
      "a\\\\'b\\'",
      "two\nlines\r\n# not a comment",
      "} $" + "{unclosed",
      "x\\y",
      "ünï ☃ %s `id`",
    ];
    const entries = accepted.map((value, index): [string, string] => [`V${index}`, value]);
    expect(read(renderDotenv(entries, "v1"))).toEqual(Object.fromEntries(entries));

    // The quoting that was used before for a value ending in `\\`: the next value's lines became entries.
    const oldQuote = (value: string) => `'${value.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
    const injected = read(`A=${oldQuote("x\\")}\nB=${oldQuote("fix\\\nINJECTED=pwned\n#\\")}\n`);
    expect(injected.INJECTED).toBe("pwned");
    expect(unrepresentable("x\\")).toContain("ends with a backslash");
    expect(unrepresentable("$" + "{DB_PASSWORD}")).toContain("docker-compose v1 expands");
  });

  it("names releases and puts the .env next to the first compose file", () => {
    expect(releaseName(42, "5e1d0c9b")).toBe("42-5e1d0c9b");
    expect(releaseName(undefined, "")).toBe("local-head");
    expect(dotenvPath(["deploy/compose.yml", "compose.prod.yml"])).toBe("deploy/.env");
    expect(dotenvPath(["./docker-compose.yml"])).toBe(".env");
  });
});

describe("releases and hosts", () => {
  it("says which build holds the deploy lock, and tells builds from release names", () => {
    const holder = JSON.stringify({
      build: 12,
      commit: "00000012aaaabbbb",
      release: "12-00000012",
      since: "2026-11-30T20:00:00.000Z",
      link: "https://drone.example.com/acme/shop/12",
    });
    expect(describeHolder(holder)).toBe(
      "build 12 (commit 00000012), release 12-00000012 since 2026-11-30T20:00:00.000Z, https://drone.example.com/acme/shop/12",
    );
    expect(describeHolder("not json")).toBe("another deploy (its holder file is unreadable)");
    expect(buildOf("42-5e1d0c9b")).toBe(42);
    expect(buildOf("42-5e1d0c9b", 43)).toBe(43);
    expect(buildOf("local-head")).toBeUndefined();
  });

  it("prunes the oldest releases beyond keep_releases, never current or previous", () => {
    const entries = [
      { name: "40-a", mtime: 100 },
      { name: "41-b", mtime: 200 },
      { name: "42-c", mtime: 300 },
      { name: "43-d", mtime: 300 },
      { name: ".staging-44-e", mtime: 400 },
    ];
    expect(releasesToPrune(entries, 2, ["43-d", "42-c"])).toEqual(["41-b", "40-a"]);
    expect(releasesToPrune(entries, 2, ["43-d", "40-a"])).toEqual(["41-b"]);
    expect(releasesToPrune(entries, 5, [])).toEqual([]);
  });

  const outcome = (host: string, ok: boolean): HostOutcome => ({
    host,
    ok,
    releaseDir: "/opt/a/releases/1-a",
  });
  const hosts = ["a", "b", "c"].map((host) => ({ host, port: 22, label: host }));

  it("rolling stops at the first failed host; parallel deploys to all", async () => {
    const seen: string[] = [];
    const rolling = await rollout(hosts, "rolling", async (host) => {
      seen.push(host.label);
      return outcome(host.label, host.label !== "b");
    });
    expect(seen).toEqual(["a", "b"]);
    expect(rolling.outcomes.map((item) => item.ok)).toEqual([true, false]);
    expect(rolling.skipped.map((host) => host.label)).toEqual(["c"]);

    let running = 0;
    let most = 0;
    const parallel = await rollout(hosts, "parallel", async (host) => {
      running++;
      most = Math.max(most, running);
      await new Promise((resolve) => setTimeout(resolve, 20));
      running--;
      return outcome(host.label, host.label !== "b");
    });
    expect(most).toBe(3);
    expect(parallel.outcomes.map((item) => item.ok)).toEqual([true, false, true]);
    expect(parallel.skipped).toEqual([]);
  });
});
