/**
 * What image-publish refuses or decides before any registry is asked (native code, the plan of a
 * dry run, .dockerignore's rules), and a registry that answers 500 twice before it takes a blob.
 */
import { rmSync } from "node:fs";
import { createServer } from "node:http";
import { RegistryClient } from "@hangar/oci";
import { type Registry, testbed } from "@hangar/testbed";
import { afterAll, describe, expect, it } from "vitest";
import { forward, listenLoopback } from "../../../images/test/token-registry.ts";
import { ignoreMatcher } from "../src/dockerignore.ts";
import { elfArchitecture } from "../src/native.ts";
import { buildEnv, git, gitWorkspace, pushTwoPlatformBase, runImagePublish } from "./helpers.ts";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** The first bytes of a little-endian 64-bit ELF file for `machine` (0x3e x86-64, 0xb7 AArch64). */
function elfHeader(machine: number): Buffer {
  const h = Buffer.alloc(64);
  h.writeUInt32BE(0x7f454c46, 0);
  h[4] = 2;
  h[5] = 1;
  h.writeUInt16LE(machine, 18);
  return h;
}

describe("before any registry is asked", () => {
  it("refuses native code for platforms it was not built for, naming the files; matching platforms pass", async () => {
    const dir = gitWorkspace({
      "server.js": "x",
      "node_modules/bcrypt/build/Release/bcrypt_lib.node": elfHeader(0x3e),
      "bin/tool": elfHeader(0xb7),
    });
    dirs.push(dir);
    const base = { repo: "127.0.0.1:9/acme/app", base: "127.0.0.1:9/base/node:24", dry_run: "true" };
    const refused = await runImagePublish(buildEnv(dir, base), dir);
    expect(refused.code).not.toBe(0);
    expect(refused.output).toContain("node_modules/bcrypt/build/Release/bcrypt_lib.node (amd64)");
    expect(refused.output).toContain("bin/tool (arm64)");
    expect(refused.output).toContain("allow_native");

    const amd64Only = await runImagePublish(buildEnv(dir, { ...base, platforms: "linux/amd64" }), dir);
    expect(amd64Only.code).not.toBe(0);
    expect(amd64Only.output).toContain("bin/tool (arm64)");
    expect(amd64Only.output).not.toContain("bcrypt_lib.node (amd64);");

    const allowed = await runImagePublish(buildEnv(dir, { ...base, allow_native: "true" }), dir);
    expect(allowed.code, allowed.output).toBe(0);
    expect(allowed.output).toContain("bin/tool (arm64) allowed (allow_native)");
  });

  it("a dry run prints the image, the base, the context, the time and the tags, and asks no registry", async () => {
    const dir = gitWorkspace({ "index.html": "hi" }, "2025-04-01T10:00:00Z");
    dirs.push(dir);
    git(dir, ["tag", "v2.0.0"]);
    const run = await runImagePublish(
      buildEnv(dir, { repo: "127.0.0.1:9/acme/site", base: "nginx:1", dry_run: "true" }, "v2.0.0"),
      dir,
    );
    expect(run.code, run.output).toBe(0);
    expect(run.output).toContain("image:     127.0.0.1:9/acme/site");
    expect(run.output).toContain("base:      nginx:1 (https://registry-1.docker.io: its blobs are copied)");
    expect(run.output).toContain("time:      2025-04-01T10:00:00.000Z (the commit's time)");
    expect(run.output).toContain(
      "version:   2.0.0 (lightweight git tag): its own tag only (a lightweight tag moves no alias)",
    );
  });

  it("reads .dockerignore as Docker does", () => {
    const m = ignoreMatcher("# c\n*.log\n!keep.log\n/dist\n**/test\nsrc/*.tmp\n");
    expect(m.ignores("a.log")).toBe(true);
    expect(m.ignores("keep.log")).toBe(false);
    expect(m.ignores("sub/a.log")).toBe(false); // `*` stays in one folder
    expect(m.ignores("dist/app.js")).toBe(true); // a folder takes what is in it
    expect(m.ignores("a/b/test/x.js")).toBe(true);
    expect(m.ignores("src/x.tmp")).toBe(true);
    expect(m.ignores("src/deep/x.tmp")).toBe(false);
    expect(elfArchitecture(elfHeader(0x28))).toBe("arm");
    expect(elfArchitecture(Buffer.from("#!/bin/sh\n echo hello world"))).toBeNull();
  });
});

const registry: Registry | undefined = await testbed.registry();

describe.skipIf(!registry)("a registry that answers 500 twice", () => {
  afterAll(async () => registry?.stop());

  it("tries the blob upload again and publishes", async () => {
    const reg = registry as Registry;
    await pushTwoPlatformBase(new RegistryClient({ host: reg.host }), "base/node", "24");
    let failures = 0;
    const front = createServer(async (req, res) => {
      if (req.method === "PUT" && req.url?.includes("/blobs/uploads/") && failures < 2) {
        failures++;
        for await (const _ of req); // the client sends the whole blob before it reads the answer
        res.writeHead(500, { "content-type": "application/json" }).end('{"errors":[{"code":"UNKNOWN"}]}');
        return;
      }
      await forward(reg.url, origin, req, res);
    });
    const origin = await listenLoopback(front);
    try {
      const dir = gitWorkspace({ "a.txt": "a" });
      dirs.push(dir);
      const host = origin.slice("http://".length);
      const run = await runImagePublish(
        buildEnv(dir, { repo: `${host}/acme/retry`, base: `${host}/base/node:24` }),
        dir,
      );
      expect(run.code, run.output).toBe(0);
      expect(failures).toBe(2);
      expect(run.output).toMatch(/: 500, attempt 2 of 4 in 0\.5 s/);
      expect(run.output).toMatch(/: 500, attempt 3 of 4 in 1\.0 s/);
    } finally {
      await new Promise<void>((ok) => front.close(() => ok()));
    }
  });
});
