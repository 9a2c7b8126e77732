import { createHash } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { tempWorkspace } from "@hangar/testbed";
import { describe, expect, it } from "vitest";
import { digestFile, writeChecksumFiles } from "../src/checksums.ts";
import { generateNotes, isPrereleaseTag } from "../src/notes.ts";

describe("generated release notes", () => {
  it("group conventional commits by type, breaking changes first", () => {
    const notes = generateNotes(
      [
        { sha: "aaaaaaaa11", message: "feat(chat): suggest meeting times" },
        { sha: "bbbbbbbb22", message: "fix: keep notes when offline" },
        { sha: "cccccccc33", message: "feat!: drop the v1 API\n\nBREAKING CHANGE: clients must use v2" },
        { sha: "dddddddd44", message: "Merge branch 'main' into feature" },
        { sha: "eeeeeeee55", message: "bump dependencies" },
      ],
      { from: "v1.1.0", to: "v1.2.0" },
    );
    expect(notes).toBe(
      [
        "## Changes since v1.1.0",
        "",
        "### ⚠ Breaking changes",
        "",
        "- drop the v1 API (cccccccc)",
        "",
        "### Features",
        "",
        "- **chat:** suggest meeting times (aaaaaaaa)",
        "- drop the v1 API (cccccccc)",
        "",
        "### Bug fixes",
        "",
        "- keep notes when offline (bbbbbbbb)",
        "",
        "### Other changes",
        "",
        "- bump dependencies (eeeeeeee)",
      ].join("\n"),
    );
  });

  it("list plain messages as they are when nothing follows the convention", () => {
    expect(
      generateNotes([{ sha: "12345678ab", message: "Update README\n\nmore text" }], { from: "v1", to: "v2" }),
    ).toBe("## Changes since v1\n\n- Update README (12345678)");
  });
});

describe("pre-release auto", () => {
  it("knows semver pre-releases and alpha/beta/rc tags", () => {
    for (const tag of [
      "v1.2.0-rc.1",
      "1.0.0-alpha",
      "2.0.0-beta.2+build.7",
      "alpha-2026-11",
      "v3-rc1",
      "nightly",
    ]) {
      expect(isPrereleaseTag(tag), tag).toBe(true);
    }
    for (const tag of ["v1.2.0", "1.0.0+build.5", "release-2026-11", "v2"])
      expect(isPrereleaseTag(tag), tag).toBe(false);
  });
});

describe("checksums", () => {
  it("are streamed per algorithm and written in the sha256sum format", async () => {
    const workspace = await tempWorkspace("gitea-release");
    try {
      const file = path.join(workspace.dir, "app.apk");
      const content = Buffer.alloc(3 * 1024 * 1024 + 7, 0x5a);
      await writeFile(file, content);
      const digests = await digestFile(file, ["sha256", "md5"]);
      expect(digests.sha256).toBe(createHash("sha256").update(content).digest("hex"));
      expect(digests.md5).toBe(createHash("md5").update(content).digest("hex"));

      const written = await writeChecksumFiles(
        [{ name: "app.apk", absolute: file }],
        [
          { algorithm: "sha256", name: "sha256sums.txt" },
          { algorithm: "sha512", name: "sha512sums.txt" },
        ],
        workspace.dir,
      );
      expect(written.map((entry) => entry.name)).toEqual(["sha256sums.txt", "sha512sums.txt"]);
      expect(await readFile(path.join(workspace.dir, "sha256sums.txt"), "utf8")).toBe(
        `${digests.sha256}  app.apk\n`,
      );
    } finally {
      await workspace.remove();
    }
  });
});
