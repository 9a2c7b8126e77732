import { type S3Store, type S3StoreOptions, startS3Store } from "@hangar/testbed";

/** The test bed's S3 store with release-site's test keys (scripts/demo-release.ts starts it too). */

export const ACCESS_KEY = "AKIARELEASESITE7Q2W";
export const SECRET_KEY = "rs-secret/8d1f3c2a+9b7e";
export const BUCKET = "site";

export type TestStore = S3Store & { /** The same as `endpoint`. */ url: string };

export async function startTestStore(options: S3StoreOptions = {}): Promise<TestStore> {
  const store = await startS3Store({
    bucket: BUCKET,
    accessKey: ACCESS_KEY,
    secretKey: SECRET_KEY,
    ...options,
  });
  return { ...store, url: store.endpoint };
}
