import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { access, open, readdir, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import type { GiteaStandIn } from "../src/gitea/options.ts";
import { makeTempDir } from "../src/temp-dir.ts";
import { giteaPerTest } from "./gitea-api.ts";

const start = giteaPerTest({ releases: [{ tag: "v1.0.0", draft: true }] });

const assets = (g: GiteaStandIn, id = 1) => `${g.apiUrl}/repos/hangar/app/releases/${id}/assets`;
/** The fields of an attachment (or of an error) that these tests read. */
interface AssetJson {
  id: number;
  name: string;
  size: number;
  uuid: string;
  browser_download_url: string;
  download_count: number;
  message: string;
}
const readAsset = async (response: Response) => (await response.json()) as AssetJson;
const sha256 = (data: string | Uint8Array) => createHash("sha256").update(data).digest("hex");

async function upload(g: GiteaStandIn, name: string, content: string | Uint8Array, query = "") {
  const form = new FormData();
  form.append("attachment", new Blob([content]), name);
  const response = await fetch(`${assets(g)}${query}`, {
    method: "POST",
    headers: { Authorization: `token ${g.token}` },
    body: form,
  });
  return { status: response.status, json: await readAsset(response) };
}

describe("Gitea stand-in: release assets", () => {
  it("stores a multipart upload and serves the same bytes at browser_download_url", async () => {
    const g = await start();
    const content = "#!/bin/sh\necho hangar\n";
    const result = await upload(g, "install.sh", content);
    expect(result.status).toBe(201);
    expect(result.json).toMatchObject({ id: 1, name: "install.sh", size: content.length, download_count: 0 });
    expect(Object.keys(result.json).sort()).toEqual(
      ["browser_download_url", "created_at", "download_count", "id", "name", "size", "uuid"].sort(),
    );
    expect(result.json.browser_download_url).toBe(`${g.url}/attachments/${result.json.uuid}`);

    const download = await fetch(result.json.browser_download_url);
    expect(download.status).toBe(200);
    expect(await download.text()).toBe(content);
    const byName = await fetch(`${g.url}/hangar/app/releases/download/v1.0.0/install.sh`);
    expect(sha256(new Uint8Array(await byName.arrayBuffer()))).toBe(sha256(content));
    expect(g.release("v1.0.0")?.assets[0]).toMatchObject({ sha256: sha256(content), downloadCount: 2 });
    expect((await fetch(`${g.url}/attachments/00000000-0000-0000-0000-000000000000`)).status).toBe(404);
  });

  it("names the asset by ?name=, else a multipart name field, else the file name; keeps duplicates", async () => {
    const g = await start();
    expect((await upload(g, "a.txt", "1", "?name=renamed.txt")).json.name).toBe("renamed.txt");
    const form = new FormData();
    form.append("attachment", new Blob(["2"]), "b.txt");
    form.append("name", "from-field.txt");
    const response = await fetch(assets(g), {
      method: "POST",
      headers: { Authorization: `token ${g.token}` },
      body: form,
    });
    expect((await readAsset(response)).name).toBe("from-field.txt");
    // Gitea does not refuse a second asset with the same name: a client has to avoid duplicates.
    expect((await upload(g, "a.txt", "3", "?name=renamed.txt")).status).toBe(201);
    expect(g.release("v1.0.0")?.assets.map((each) => each.name)).toEqual([
      "renamed.txt",
      "from-field.txt",
      "renamed.txt",
    ]);
  });

  it("takes a raw application/octet-stream body with ?name=, and refuses one without a name", async () => {
    const g = await start();
    const headers = { Authorization: `token ${g.token}`, "Content-Type": "application/octet-stream" };
    const raw = await fetch(`${assets(g)}?name=app.bin`, {
      method: "POST",
      headers,
      body: new Uint8Array([0, 1, 2, 3]),
    });
    expect(raw.status).toBe(201);
    expect((await readAsset(raw)).size).toBe(4);
    const nameless = await fetch(assets(g), { method: "POST", headers, body: new Uint8Array([1]) });
    expect(nameless.status).toBe(400);
    expect((await readAsset(nameless)).message).toBe("Could not determine name of attachment.");
  });

  it("answers 500 (message hidden from non-admins) when the attachment part is missing", async () => {
    const g = await start();
    const form = new FormData();
    form.append("file", new Blob(["x"]), "x.txt");
    const response = await fetch(assets(g), {
      method: "POST",
      headers: { Authorization: `token ${g.token}` },
      body: form,
    });
    expect(response.status).toBe(500);
    expect((await readAsset(response)).message).toBe("");
  });

  it("lists, gets, renames (201) and deletes assets, and removes the bytes", async () => {
    const g = await start();
    const { json } = await upload(g, "app.tar.gz", "data");
    const path = g.release("v1.0.0")?.assets[0]?.path ?? "";
    const auth = { Authorization: `token ${g.token}` };
    expect(
      ((await (await fetch(assets(g))).json()) as AssetJson[]).map((each: { id: number }) => each.id),
    ).toEqual([json.id]);
    expect((await fetch(`${assets(g)}/${json.id}`)).status).toBe(200);
    expect((await fetch(`${assets(g)}/999`)).status).toBe(404);
    expect((await fetch(`${g.apiUrl}/repos/hangar/app/releases/77/assets`)).status).toBe(404);
    const renamed = await fetch(`${assets(g)}/${json.id}`, {
      method: "PATCH",
      headers: { ...auth, "Content-Type": "application/json" },
      body: JSON.stringify({ name: "app-1.0.tar.gz" }),
    });
    expect(renamed.status).toBe(201);
    expect((await readAsset(renamed)).name).toBe("app-1.0.tar.gz");
    expect((await fetch(`${assets(g)}/${json.id}`, { method: "DELETE", headers: auth })).status).toBe(204);
    expect(g.release("v1.0.0")?.assets).toEqual([]);
    await expect(access(path)).rejects.toThrow();
    expect(g.events().map((each) => each.type)).toEqual(["asset.uploaded", "asset.renamed", "asset.deleted"]);
  });

  it("answers 413 over [attachment] MAX_SIZE and keeps nothing", async () => {
    const g = await start({ attachmentMaxSize: 1000 });
    const result = await upload(g, "big.bin", new Uint8Array(1001));
    expect(result.status).toBe(413);
    expect(result.json.message).toBe("attachment exceeds limit 1000");
    expect((await upload(g, "ok.bin", new Uint8Array(1000))).status).toBe(201);
    expect(g.release("v1.0.0")?.assets.map((each) => each.name)).toEqual(["ok.bin"]);
    const dir = dirname(g.release("v1.0.0")?.assets[0]?.path ?? "");
    expect(await readdir(dir)).toHaveLength(1);
    g.configure({ attachmentMaxSize: null }); // Gitea 1.22 itself: no limit on API uploads
    expect((await upload(g, "big.bin", new Uint8Array(5000))).status).toBe(201);
  });

  it("answers nginx's HTML 413 when a proxy's client_max_body_size is smaller", async () => {
    const g = await start({ proxyMaxBodySize: 1024 });
    const form = new FormData();
    form.append("attachment", new Blob([new Uint8Array(4096)]), "big.bin");
    const response = await fetch(assets(g), {
      method: "POST",
      headers: { Authorization: `token ${g.token}` },
      body: form,
    });
    expect(response.status).toBe(413);
    expect(response.headers.get("content-type")).toBe("text/html");
    expect(await response.text()).toContain("<center>nginx</center>");
  });

  it("applies ALLOWED_TYPES by extension, sniffed MIME type and wildcard, with Gitea's 400", async () => {
    const g = await start({ allowedTypes: ".zip,application/gzip,application/x-gzip,image/*" });
    const refused = await upload(g, "notes.txt", "plain text");
    expect(refused.status).toBe(400);
    expect(refused.json.message).toBe("This file extension or type is not allowed to be uploaded.");
    expect((await upload(g, "anything.zip", "not really a zip")).status).toBe(201);
    const gzip = new Uint8Array([0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0]);
    expect((await upload(g, "app.tgz", gzip)).status).toBe(201);
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0]);
    expect((await upload(g, "logo", png)).status).toBe(201);
    const id = g.release("v1.0.0")?.assets[0]?.id;
    const rename = await fetch(`${assets(g)}/${id}`, {
      method: "PATCH",
      headers: { Authorization: `token ${g.token}`, "Content-Type": "application/json" },
      body: JSON.stringify({ name: "evil.exe" }),
    });
    expect(rename.status).toBe(422);
  });

  it("answers 404 Attachment is not enabled when attachments are off", async () => {
    const g = await start({ attachmentsEnabled: false });
    const result = await upload(g, "a.txt", "x");
    expect(result.status).toBe(404);
    expect(result.json.message).toBe("Attachment is not enabled");
  });

  it("deleting a release deletes its assets' bytes", async () => {
    const g = await start();
    await upload(g, "a.txt", "x");
    const path = g.release("v1.0.0")?.assets[0]?.path ?? "";
    const response = await fetch(`${g.apiUrl}/repos/hangar/app/releases/1`, {
      method: "DELETE",
      headers: { Authorization: `token ${g.token}` },
    });
    expect(response.status).toBe(204);
    await expect(access(path)).rejects.toThrow();
  });

  it("writes a 50 MiB upload to disk while it is still arriving (no whole-body buffering)", async () => {
    const g = await start();
    await upload(g, "marker.txt", "x");
    const uploadDir = dirname(g.release("v1.0.0")?.assets[0]?.path ?? "");
    const marker = g.release("v1.0.0")?.assets[0]?.uuid;
    const temp = await makeTempDir("gitea-big");
    try {
      const file = join(temp.path, "big.bin");
      const size = 50 * 1024 * 1024;
      const block = Buffer.alloc(1024 * 1024);
      for (let i = 0; i < block.length; i += 4) block.writeUInt32LE((i * 2654435761) >>> 0, i);
      const hash = createHash("sha256");
      const handle = await open(file, "w");
      for (let written = 0; written < size; written += block.length) {
        block.writeUInt32LE(written, 0);
        hash.update(block);
        await handle.write(block);
      }
      await handle.close();
      const expected = hash.digest("hex");

      // Halfway through, the client waits until the stand-in has put bytes on disk: a server that
      // buffered the body would write nothing before the request ended, and the wait would time out.
      const bytesOnDisk = async () => {
        let total = 0;
        for (const name of await readdir(uploadDir)) {
          if (name !== marker) total += (await stat(join(uploadDir, name))).size;
        }
        return total;
      };
      let seenWhileSending = 0;
      const boundary = "hangar-test-boundary";
      const head = `--${boundary}\r\nContent-Disposition: form-data; name="attachment"; filename="big.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`;
      const tail = `\r\n--${boundary}--\r\n`;
      async function* body() {
        yield Buffer.from(head);
        let sent = 0;
        for await (const chunk of createReadStream(file, { highWaterMark: 256 * 1024 })) {
          yield chunk as Buffer;
          sent += (chunk as Buffer).length;
          if (sent === size / 2) {
            const deadline = Date.now() + 10_000;
            seenWhileSending = await bytesOnDisk();
            while (seenWhileSending === 0 && Date.now() < deadline) {
              await new Promise((resolve) => setTimeout(resolve, 20));
              seenWhileSending = await bytesOnDisk();
            }
          }
        }
        yield Buffer.from(tail);
      }
      const response = await fetch(assets(g), {
        method: "POST",
        headers: {
          Authorization: `token ${g.token}`,
          "Content-Type": `multipart/form-data; boundary=${boundary}`,
          "Content-Length": String(head.length + size + tail.length),
        },
        body: Readable.toWeb(Readable.from(body())) as ReadableStream<Uint8Array>,
        duplex: "half",
      } as RequestInit);
      expect(response.status).toBe(201);
      expect((await readAsset(response)).size).toBe(size);
      expect(g.release("v1.0.0")?.assets[1]?.sha256).toBe(expected);
      expect(seenWhileSending).toBeGreaterThan(0);
      expect(seenWhileSending).toBeLessThan(size);
    } finally {
      await temp.remove();
    }
  });
});
