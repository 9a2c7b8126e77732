import { main } from "@hangar/kit";
import { notifyEmail } from "./plugin.ts";

await main(notifyEmail);
