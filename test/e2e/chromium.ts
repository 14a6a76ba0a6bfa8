// Debian's Chromium, launched the one way every browser test uses. Without it the browser tests fail
// (they never skip): a green run must mean the console and the web client were driven in a browser.
import { existsSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";

export function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    return Promise.reject(new Error(`${CHROMIUM} not found: the browser tests need Debian's Chromium (apt-get install -y chromium)`));
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
  });
}
