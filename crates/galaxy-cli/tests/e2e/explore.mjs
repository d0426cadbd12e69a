// End-to-end check of the explorer page in headless Chromium, as a user would drive it.
// Usage: node explore.mjs URL SCREENSHOT.png   (the server must be running; exit 0 = every check passed)
import { chromium } from "playwright-core";

const [url, screenshot] = process.argv.slice(2);
if (!url || !screenshot) {
  console.error("usage: node explore.mjs URL SCREENSHOT.png");
  process.exit(2);
}

function check(ok, what) {
  if (!ok) throw new Error(`check failed: ${what}`);
  console.log(`ok: ${what}`);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync"],
});
try {
  const page = await browser.newPage({ viewport: { width: 1440, height: 1050 } });
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(url);
  const renders = () => page.evaluate(() => Number(document.body.dataset.renders || 0));
  await page.waitForFunction(() => Number(document.body.dataset.renders || 0) >= 1);
  const snr0 = await page.textContent("#snr");
  const noisy0 = await page.evaluate(() => document.getElementById("noisy-canvas").toDataURL());
  check(Math.abs(Number(snr0) - 59.9) < 1, `first render shows the seed's test galaxy, SNR ${snr0}`);

  // Move the half-light-radius slider with the keyboard, as a user would: 20 steps of 0.005".
  const before = await renders();
  await page.focus("#half_light_radius-range");
  for (let i = 0; i < 20; i++) await page.keyboard.press("ArrowRight");
  await page.waitForFunction((n) => Number(document.body.dataset.renders) > n, before);
  // Let the last queued render land.
  await page.waitForFunction(() => Math.abs(Number(document.getElementById("half_light_radius-number").value) - 0.4) < 1e-6);
  await page.waitForTimeout(300);
  const hlr = await page.inputValue("#half_light_radius-number");
  const snr1 = await page.textContent("#snr");
  const noisy1 = await page.evaluate(() => document.getElementById("noisy-canvas").toDataURL());
  check(Math.abs(Number(hlr) - 0.4) < 1e-6, `slider moved hlr from 0.3 to ${hlr}`);
  check(Number(snr1) < Number(snr0), `SNR changed from ${snr0} to ${snr1} (a larger galaxy, lower peak)`);
  check(noisy1 !== noisy0, "the noisy image was redrawn");
  check(new URL(page.url()).hash.includes("half_light_radius=0.4"), "the link carries the new state");

  // Measure: fit and network estimates appear next to the truth and the bound.
  await page.click("#measure");
  await page.waitForFunction(() => (document.getElementById("fit-flux")?.textContent || "").includes("±"), null, { timeout: 30000 });
  const fitHlr = await page.textContent("#fit-half_light_radius");
  const netHlr = await page.textContent("#net-half_light_radius");
  const crbHlr = await page.textContent("#crb-half_light_radius");
  const est = (t) => Number(t.split("±")[0]);
  check(Math.abs(est(fitHlr) - 0.4) < 0.15, `fit hlr ${fitHlr}`);
  check(Math.abs(est(netHlr) - 0.4) < 0.15, `network hlr ${netHlr}`);
  check(Number(crbHlr) > 0, `CRB hlr ${crbHlr}`);
  check(await page.isVisible("#residual-canvas"), "the residual image is shown");
  check(errors.length === 0, `no page errors (${errors.join("; ")})`);
  await page.screenshot({ path: screenshot, fullPage: true });
  console.log(`screenshot: ${screenshot}`);
} catch (e) {
  console.error(String(e));
  process.exitCode = 1;
} finally {
  await browser.close();
}
