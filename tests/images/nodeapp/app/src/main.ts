import Bourne from "@hapi/bourne";
import createDebug from "debug";
import ms from "ms";
import { describe } from "./uptime";

const log = createDebug("nodeapp");

// Parses JSON from argv safely and reports how long the process has been up.
const input = process.argv[2] ?? '{"greeting":"hello"}';
const parsed = Bourne.parse(input, { protoAction: "remove" }) as Record<string, unknown>;
log("parsed %o", parsed);
console.log(JSON.stringify(parsed), describe(process.uptime() * 1000, ms));
