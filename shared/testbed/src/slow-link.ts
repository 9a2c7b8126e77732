import net from "node:net";

export interface SlowLink {
  /** Where clients connect: 127.0.0.1. */
  host: string;
  port: number;
  /** Bytes that went from clients to the target so far. */
  readonly upstreamBytes: number;
  stop(): Promise<void>;
}

/**
 * A TCP relay on loopback that passes what clients send to `target` at `bytesPerSecond` (the
 * answers pass at full speed): a slow uplink, so that an upload takes long enough to show its
 * progress without a large file.
 */
export async function startSlowLink(
  target: { host: string; port: number },
  bytesPerSecond: number,
): Promise<SlowLink> {
  const sockets = new Set<net.Socket>();
  let upstreamBytes = 0;
  const slice = Math.max(1, Math.floor(bytesPerSecond / 10));
  const server = net.createServer((client) => {
    const upstream = net.connect(target.port, target.host);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      socket.on("error", () => {
        client.destroy();
        upstream.destroy();
      });
    }
    upstream.pipe(client);
    // Up to a tenth of the rate every 100 ms: the client's writes wait while the link is busy.
    const pending: Buffer[] = [];
    const timer = setInterval(() => {
      let budget = slice;
      while (budget > 0 && pending.length > 0) {
        const head = pending[0] as Buffer;
        const part = head.subarray(0, budget);
        if (part.length === head.length) pending.shift();
        else pending[0] = head.subarray(part.length);
        budget -= part.length;
        upstreamBytes += part.length;
        upstream.write(part);
      }
      if (pending.length === 0) client.resume();
    }, 100);
    client.on("data", (chunk: Buffer) => {
      pending.push(chunk);
      client.pause();
    });
    client.on("end", () => {
      const finish = setInterval(() => {
        if (pending.length > 0) return;
        clearInterval(finish);
        upstream.end();
      }, 50);
    });
    client.on("close", () => clearInterval(timer));
    upstream.on("close", () => clearInterval(timer));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    host: "127.0.0.1",
    port,
    get upstreamBytes() {
      return upstreamBytes;
    },
    stop: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
