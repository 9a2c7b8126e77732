import { formatBytes, HangarError } from "@hangar/kit";

/**
 * Gitea's API answers are small (a page of 50 releases with their assets is well under 1 MiB).
 * Anything past this cap is not Gitea's API talking (a misconfigured proxy, a download page, a
 * server that never ends its body), and is not read further: memory stays bounded.
 */
export const MAX_ANSWER_BYTES = 8 * 1024 * 1024;

export class AnswerTooLarge extends HangarError {
  constructor(maxBytes: number) {
    super("E_GITEA_ANSWER_TOO_LARGE", `the answer is over ${formatBytes(maxBytes)}; not read further`);
    this.name = "AnswerTooLarge";
  }
}

/** Statuses whose Response may not carry a body. */
const NO_BODY = new Set([101, 204, 205, 304]);

/**
 * Reads at most `maxBytes` of a body and stops reading (and so stops the server's sending)
 * beyond. A declared Content-Length over the cap is refused before a byte is read.
 */
export async function readCapped(
  chunks: AsyncIterable<Uint8Array>,
  maxBytes: number,
  declaredLength?: string | null,
): Promise<Buffer> {
  if (declaredLength && Number(declaredLength) > maxBytes) throw new AnswerTooLarge(maxBytes);
  const parts: Buffer[] = [];
  let length = 0;
  for await (const chunk of chunks) {
    length += chunk.byteLength;
    // Leaving the loop early ends the iteration, which cancels the stream and closes the socket.
    if (length > maxBytes) throw new AnswerTooLarge(maxBytes);
    parts.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  }
  return Buffer.concat(parts, length);
}

/**
 * A fetch whose answers are read in full, up to `maxBytes`, before they are handed on: the
 * caller's signal (its timeout) covers the body as well as the head, and an endless or huge
 * body ends in AnswerTooLarge instead of growing memory.
 */
export function boundedFetch(fetchImpl: typeof fetch, maxBytes = MAX_ANSWER_BYTES): typeof fetch {
  return async (input, init) => {
    const response = await fetchImpl(input, init);
    const { status, statusText, headers } = response;
    if (!response.body || NO_BODY.has(status)) {
      await response.body?.cancel().catch(() => {});
      return new Response(null, { status, statusText, headers });
    }
    let body: Buffer;
    try {
      body = await readCapped(
        response.body as unknown as AsyncIterable<Uint8Array>,
        maxBytes,
        headers.get("content-length"),
      );
    } catch (error) {
      await response.body.cancel().catch(() => {});
      throw error;
    }
    return new Response(new Uint8Array(body), { status, statusText, headers });
  };
}
