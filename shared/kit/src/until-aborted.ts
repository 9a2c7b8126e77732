/**
 * Settles as `promise` does, or rejects with the signal's reason when it aborts first: for a
 * promise that cannot be cancelled itself (an SFTP session being opened, a child's exit), so the
 * waiting ends on a cancel or a deadline while the work it waited for is cleaned up elsewhere.
 */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}
