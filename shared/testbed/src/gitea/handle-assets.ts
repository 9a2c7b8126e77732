import { rm } from "node:fs/promises";
import {
  apiError,
  type Call,
  notFound,
  type OperationHandler,
  paramId,
  type Reply,
  type World,
} from "./call.ts";
import { presentAttachment } from "./present.ts";
import type { AttachmentRecord, ReleaseRecord } from "./releases.ts";
import { FILE_TYPE_FORBIDDEN, isAllowedType } from "./sniff.ts";
import { receiveMultipart, receiveRaw, type StoredFile } from "./upload.ts";

// routers/api/v1/repo/release_attachment.go of Gitea 1.22, plus the download route.

/** checkReleaseMatchRepo: the release must exist in this repository (tag rows included). */
function releaseOf(call: Call): ReleaseRecord | undefined {
  return call.world.store.byId(paramId(call, "id"));
}

function attachmentOf(call: Call, release: ReleaseRecord): AttachmentRecord | undefined {
  const id = paramId(call, "attachment_id");
  return release.attachments.find((each) => each.id === id);
}

const present = (call: Call, attachment: AttachmentRecord) => presentAttachment(call.world.site, attachment);

/** Reads whatever is left of a request body, so the client can read the answer in peace. */
export async function drain(call: Call): Promise<void> {
  if (call.req.readableEnded) return;
  call.req.resume();
  await new Promise<void>((resolve) => {
    call.req.once("end", resolve);
    call.req.once("close", resolve);
  });
}

async function receive(call: Call): Promise<{ file?: StoredFile; name: string } | Reply> {
  const type = (call.req.headers["content-type"] ?? "").toLowerCase();
  if (!type.startsWith("multipart/form-data")) {
    // Any other body is the file itself (the spec's application/octet-stream); ?name= names it.
    const name = call.query.get("name") ?? "";
    if (name === "") {
      await drain(call);
      return { name };
    }
    return { file: await receiveRaw(call.req, call.world.uploadDir), name };
  }
  try {
    const upload = await receiveMultipart(call.req, call.world.uploadDir, "attachment");
    // ctx.Req.FormFile("attachment") fails with a 500 when the part is missing.
    if (!upload.file) return apiError(call.world, 500, call.viewer?.isAdmin ? "http: no such file" : "");
    // ctx.FormString("name") reads the query first, then the multipart fields.
    const name = call.query.get("name") || upload.fields.get("name") || upload.file.filename;
    return { file: upload.file, name };
  } catch (error) {
    await drain(call);
    const reason = error instanceof Error ? error.message : String(error);
    return apiError(call.world, 500, call.viewer?.isAdmin ? reason : "");
  }
}

async function createAttachment(call: Call): Promise<Reply> {
  const world = call.world;
  // mustEnableAttachments / setting.Attachment.Enabled
  if (!world.settings.attachmentsEnabled) return notFound(world, "Attachment is not enabled");
  const release = releaseOf(call);
  if (!release) return notFound(world);
  const received = await receive(call);
  if ("status" in received) return received;
  const { file, name } = received;
  const refuse = async (reply: Reply) => {
    if (file) await rm(file.path, { force: true });
    return reply;
  };
  if (!file || name === "") return refuse(apiError(world, 400, "Could not determine name of attachment."));
  if (!isAllowedType(file.head, name, world.settings.allowedTypes)) {
    return refuse(apiError(world, 400, FILE_TYPE_FORBIDDEN));
  }
  const limit = world.settings.attachmentMaxSize;
  if (limit !== null && file.size > limit) {
    // The wording and status of Gitea 1.25+ (go-gitea/gitea#35519); 1.22 does not check at all.
    return refuse(apiError(world, 413, `attachment exceeds limit ${limit}`));
  }
  const attachment = world.store.addAttachment(release, {
    uuid: file.uuid,
    name,
    size: file.size,
    sha256: file.sha256,
    path: file.path,
  });
  return { status: 201, json: present(call, attachment) };
}

export const assetHandlers: Record<string, OperationHandler> = {
  repoListReleaseAttachments: {
    handle(call) {
      const release = releaseOf(call);
      if (!release) return notFound(call.world);
      return { status: 200, json: release.attachments.map((each) => present(call, each)) };
    },
  },

  repoCreateReleaseAttachment: { write: true, handle: createAttachment },

  repoGetReleaseAttachment: {
    handle(call) {
      const release = releaseOf(call);
      const attachment = release && attachmentOf(call, release);
      return attachment ? { status: 200, json: present(call, attachment) } : notFound(call.world);
    },
  },

  repoEditReleaseAttachment: {
    write: true,
    body: "EditAttachmentOptions",
    handle(call) {
      const release = releaseOf(call);
      const attachment = release && attachmentOf(call, release);
      if (!release || !attachment) return notFound(call.world);
      const name = typeof call.body.name === "string" ? call.body.name : "";
      if (name !== "") {
        // attachment_service.UpdateAttachment re-checks ALLOWED_TYPES by the new name only.
        if (!isAllowedType(Buffer.alloc(0), name, call.world.settings.allowedTypes)) {
          return apiError(call.world, 422, FILE_TYPE_FORBIDDEN);
        }
        attachment.name = name;
        call.world.store.emit("asset.renamed", release, attachment);
      }
      // Gitea answers an edit with 201, as its spec says.
      return { status: 201, json: present(call, attachment) };
    },
  },

  repoDeleteReleaseAttachment: {
    write: true,
    async handle(call) {
      const release = releaseOf(call);
      const attachment = release && attachmentOf(call, release);
      if (!release || !attachment) return notFound(call.world);
      release.attachments = release.attachments.filter((each) => each !== attachment);
      call.world.store.emit("asset.deleted", release, attachment);
      await rm(attachment.path, { force: true });
      return { status: 204 };
    },
  },
};

/**
 * GET /attachments/{uuid} (browser_download_url) and GET /{owner}/{repo}/releases/download/{tag}/{name}
 * (the web UI's link): the stored bytes, counted as a download.
 */
export function download(world: World, path: string): Reply | undefined {
  const byUuid = /^\/attachments\/([^/]+)$/.exec(path);
  const byName = /^\/([^/]+)\/([^/]+)\/releases\/download\/(.+)\/([^/]+)$/.exec(path);
  let found: { release: ReleaseRecord; attachment: AttachmentRecord } | undefined;
  if (byUuid?.[1]) {
    found = world.store.attachmentByUuid(decodeURIComponent(byUuid[1]));
  } else if (byName) {
    const [, owner = "", repo = "", tag = "", name = ""] = byName.map((each) => decodeURIComponent(each));
    const sameRepo =
      owner.toLowerCase() === world.site.owner.login.toLowerCase() &&
      repo.toLowerCase() === world.site.repo.toLowerCase();
    const release = sameRepo ? world.store.byTag(tag) : undefined;
    const attachment = release?.attachments.find((each) => each.name === name);
    if (release && attachment) found = { release, attachment };
  } else {
    return undefined;
  }
  if (!found) return { status: 404, contentType: "text/plain; charset=utf-8", text: "Not found.\n" };
  found.attachment.downloadCount += 1;
  world.store.emit("asset.downloaded", found.release, found.attachment);
  const { attachment } = found;
  return { status: 200, file: { path: attachment.path, size: attachment.size, name: attachment.name } };
}
