// The dashboard test drives Debian's Chromium; install it when it is missing
// (the test never skips itself). Needs root and Debian's apt, as on CI.
import { execSync } from "node:child_process";
import { existsSync } from "node:fs";

const chromium = "/usr/bin/chromium";
if (!existsSync(chromium)) {
  console.log("installing chromium for the dashboard test (apt-get)…");
  const sudo = process.getuid?.() === 0 ? "" : "sudo ";
  execSync(`${sudo}apt-get update -qq && DEBIAN_FRONTEND=noninteractive ${sudo}apt-get install -y -qq chromium`, { stdio: "inherit" });
  if (!existsSync(chromium)) throw new Error(`${chromium} is still missing after apt-get install chromium`);
}
