import { unavailable } from '@tradeyard/persistence';
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** The browser tier's Chromium: Debian's package (tools/ci/test-deps.sh installs it). */
export const CHROMIUM = '/usr/bin/chromium';

/** Why the browser specs cannot run here (skipped, or failing under CI=true), or undefined when they can. */
export const chromiumMissing = unavailable(existsSync(CHROMIUM) ? undefined : `no ${CHROMIUM} (apt-get install chromium)`);

/** Headless Chromium as the browser specs drive it: no sandbox (containers), nothing reaching out to the network on its own. */
export const launchChromium = (): Promise<Browser> =>
  chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
