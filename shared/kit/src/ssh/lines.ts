/** Splits a stream of chunks into whole lines (compose redraws progress with \r). */
export function lineWriter(emit: (line: string) => void): {
  write: (chunk: Buffer) => void;
  flush: () => void;
} {
  let pending = "";
  const flushLines = (final: boolean) => {
    const parts = pending.split(/\r?\n|\r/);
    pending = final ? "" : (parts.pop() ?? "");
    for (const line of parts) if (line.trim() !== "") emit(line.trimEnd());
  };
  return {
    write: (chunk) => {
      pending += chunk.toString("utf8");
      flushLines(false);
    },
    flush: () => {
      if (pending !== "") pending += "\n";
      flushLines(true);
    },
  };
}
