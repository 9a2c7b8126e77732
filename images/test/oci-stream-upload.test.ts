import { once } from "node:events";
import { type AddressInfo, createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { streamUpload } from "../../shared/oci/src/stream-upload.ts";

describe("a streamed upload to a hostile registry", () => {
  it("rejects on a status no Response can hold, and the process goes on", async () => {
    const server = createServer((socket) => {
      socket.once("data", () => socket.end("HTTP/1.1 700 Odd\r\nContent-Length: 0\r\n\r\n"));
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const { port } = server.address() as AddressInfo;
    try {
      const sent = streamUpload(`http://127.0.0.1:${port}/v2/app/blobs/uploads/1`, {
        method: "PUT",
        headers: new Headers({ "content-type": "application/octet-stream" }),
        body: new Blob(["layer bytes"]).stream(),
      });
      await expect(sent).rejects.toThrow(RangeError);
    } finally {
      server.close();
    }
  });
});
