import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { REPO } from './fixtures.js';

/** Debian's Chromium, installed by scripts/ensure-chromium.sh when missing (or a clear failure). */
export async function launchChromium(): Promise<Browser> {
  execFileSync(path.join(REPO, 'scripts/ensure-chromium.sh'), { stdio: 'inherit' });
  return chromium.launch({
    executablePath: process.env.PARTNER_USAGE_CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}
