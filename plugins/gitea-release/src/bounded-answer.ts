// The answer size cap lives in the shared Gitea client; this path stays for the tests that use it.
export { AnswerTooLarge, boundedFetch, MAX_ANSWER_BYTES, readCapped } from "@hangar/gitea";
