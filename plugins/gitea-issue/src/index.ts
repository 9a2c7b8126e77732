import { main } from "@hangar/kit";
import { giteaIssue } from "./plugin.ts";

await main(giteaIssue);
