/**
 * A layer of any size in bounded memory: written to a file as its files are read (the same bytes
 * as the layer made in memory), and sent to a registry only as fast as the registry takes it.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { layerFromTar, RegistryClient, tarEntries, writeLayerFile } from "@hangar/oci";
import { afterAll, describe, expect, it } from "vitest";
import { listenLoopback } from "../../../images/test/token-registry.ts";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

const dir = mkdtempSync(join(tmpdir(), "image-publish-stream-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("a layer streamed", () => {
  it("has the same bytes written from files as made in memory", async () => {
    const big = Buffer.alloc(3 * 1024 * 1024 + 17, "console.log(1);\n");
    writeFileSync(join(dir, "big.js"), big);
    const owner = { uid: 1000, gid: 1000 };
    const inMemory = layerFromTar(
      tarEntries(
        [
          { path: "app" },
          { path: "app/big.js", data: big },
          { path: "app/run", data: big.subarray(0, 9), executable: true },
        ],
        1700000000,
        owner,
      ),
    );
    writeFileSync(join(dir, "run"), big.subarray(0, 9));
    const onDisk = await writeLayerFile(
      [
        { path: "app" },
        { path: "app/big.js", file: { path: join(dir, "big.js"), size: big.length } },
        { path: "app/run", file: { path: join(dir, "run"), size: 9 }, executable: true },
      ],
      1700000000,
      owner,
      dir,
    );
    try {
      expect({ digest: onDisk.digest, diffId: onDisk.diffId, size: onDisk.size }).toEqual({
        digest: inMemory.digest,
        diffId: inMemory.diffId,
        size: inMemory.bytes.length,
      });
      expect(readFileSync(onDisk.file).equals(inMemory.bytes)).toBe(true);
    } finally {
      onDisk.remove();
    }
  });

  it("is held in memory one chunk at a time while it goes up, not whole", async () => {
    const SIZE = 48 * 1024 * 1024;
    let pulled = 0;
    let aheadWhilePaused = -1;
    let held = -1;
    const sent: WeakRef<Uint8Array>[] = [];
    const server = createServer((req, res) => {
      if (req.method === "HEAD") return res.writeHead(404).end();
      if (req.method === "POST")
        return res.writeHead(202, { location: "/v2/acme/app/blobs/uploads/1" }).end();
      // Takes nothing for a while, then everything.
      req.pause();
      setTimeout(async () => {
        aheadWhilePaused = pulled;
        for await (const _ of req);
        gc(); // every byte sent, the answer not yet: which chunks does the client still hold?
        held = sent.filter((chunk) => chunk.deref()).length;
        res.writeHead(201).end();
      }, 1500);
    });
    const origin = await listenLoopback(server);
    try {
      const chunk = Buffer.alloc(256 * 1024);
      const body = {
        size: SIZE,
        open: () =>
          new ReadableStream<Uint8Array>(
            {
              pull(controller) {
                if (pulled >= SIZE) return controller.close();
                pulled += chunk.length;
                const copy = new Uint8Array(chunk);
                sent.push(new WeakRef(copy));
                controller.enqueue(copy);
              },
            },
            { highWaterMark: 0 },
          ),
      };
      const client = new RegistryClient({ host: origin });
      const how = await client.ensureBlob(
        "acme/app",
        `sha256:${"0".repeat(64)}`,
        () => body,
        undefined,
        () => ({
          add: () => {},
          done: () => undefined,
        }),
      );
      expect(how).toBe("uploaded");
      expect(pulled).toBe(SIZE);
      // The socket's buffers and one chunk in flight, not the blob: read as it is taken, and let go
      // once sent (fetch keeps every chunk of a stream body it sent until the answer).
      expect(aheadWhilePaused).toBeGreaterThan(0);
      expect(aheadWhilePaused).toBeLessThan(16 * 1024 * 1024);
      expect(held).toBeLessThan(32); // 8 MiB of the 48
      expect(sent).toHaveLength(SIZE / chunk.length);
    } finally {
      await new Promise<void>((ok) => server.close(() => ok()));
    }
  });
});
