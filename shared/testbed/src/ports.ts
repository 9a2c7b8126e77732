import { createServer } from "node:net";

export const LOOPBACK = "127.0.0.1";

/**
 * Asks the kernel for a free TCP port on 127.0.0.1 (bind to port 0, read it, release it).
 * For servers we cannot hand a listening socket to; there is a small window in which another
 * process may take the port, so callers retry their start once on "address in use".
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.unref();
    probe.once("error", reject);
    probe.listen({ host: LOOPBACK, port: 0, exclusive: true }, () => {
      const address = probe.address();
      probe.close(() => {
        if (address && typeof address === "object") resolve(address.port);
        else reject(new Error("could not read the port of a loopback probe socket"));
      });
    });
  });
}
