import { existsSync } from "node:fs";
import { type Browser, chromium } from "playwright-core";

/**
 * Headless Chromium for the console and MCP App tests: the Debian package (`.ci/run` installs it), driven by
 * playwright-core. Tests that need it skip with a reason when it is missing, so a developer without the package
 * sees why; CI sets PF_REQUIRE_CHROMIUM=1, so there they fail instead.
 */
export const CHROMIUM_PATH = process.env.PF_CHROMIUM ?? "/usr/bin/chromium";
export const chromiumMissing =
  existsSync(CHROMIUM_PATH) || process.env.PF_REQUIRE_CHROMIUM === "1" ? null : `no Chromium at ${CHROMIUM_PATH}`;

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
}

/** where screenshots for reviewers go (`.ci/out/`, kept by CI) */
export const SCREENSHOT_DIR = new URL("../../.ci/out/", import.meta.url).pathname;
