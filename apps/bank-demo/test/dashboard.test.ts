import { mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dashboardPage } from "../src/dashboard/page.js";
import { FakeCluster } from "./support/fake-cluster.js";
import { startFakeClusterServer, type FakeClusterServer } from "./support/fake-cluster-server.js";

/** The page as the build makes it: the browser code bundled by esbuild (pnpm build runs before the tests). */
const html = dashboardPage(new URL("../dist/dashboard/dashboard.js", import.meta.url));
const screenshotPath = fileURLToPath(new URL("../test-output/dashboard.png", import.meta.url));
/** The page polls every 500 ms; conditions get many polls' worth of time on a loaded machine. */
const eventually = { timeout: 15_000, interval: 100 };
const MiB = 1024 * 1024;

// The page in Debian's Chromium against a scripted cluster: every assertion
// waits for what the page shows, since it only learns of changes by polling.
describe("the dashboard page", () => {
  const cluster = new FakeCluster("bank-demo-test", [1, 2, 3], 1, 3, 1042);
  const pageErrors: string[] = [];
  let server: FakeClusterServer | undefined;
  let browser: Browser | undefined;
  let page: Page;

  beforeAll(async () => {
    // Served by node 2, a follower, so "served by" and "leader" differ on screen.
    server = await startFakeClusterServer(cluster, 2, html);
    browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] });
    page = await browser.newPage({ viewport: { width: 1280, height: 700 } });
    page.on("pageerror", (error) => pageErrors.push(error.message));
    page.on("console", (message) => {
      if (message.type() === "error") pageErrors.push(message.text());
    });
    await page.goto(server.url);
    // A reload would drop this marker; it surviving to the end proves every update happened in place.
    await page.evaluate("window.__loadedOnce = true");
  });

  afterAll(async () => {
    cluster.stopCommitting();
    try {
      await browser?.close();
    } finally {
      await server?.close();
    }
  });

  const text = async (selector: string) => (await page.locator(selector).textContent()) ?? "";
  const nodeField = (id: number, name: string) => text(`[data-node-id="${id}"] [data-field="${name}"]`);
  const nodeNumber = async (id: number, name: string) => Number(await nodeField(id, name));

  it("is one page whose inline script parses and which loads nothing from elsewhere", () => {
    const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1] ?? "");
    expect(scripts).toHaveLength(1);
    expect(() => new Function(scripts[0] ?? "")).not.toThrow();
    expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)="(?!data:)/);
  });

  it("shows one card per node with its role, term, indexes, log, snapshot and membership", async () => {
    await expect.poll(() => page.locator("[data-node-id]").count(), eventually).toBe(3);
    await expect.poll(() => nodeField(1, "role"), eventually).toBe("leader");
    expect(await page.locator('[data-node-id="1"]').getAttribute("data-role")).toBe("leader");
    for (const id of [2, 3]) expect(await nodeField(id, "role")).toBe("follower");
    for (const id of [1, 2, 3]) {
      expect(await nodeField(id, "term")).toBe("3");
      expect(await nodeField(id, "commit")).toBe("1042");
      expect(await nodeField(id, "applied")).toBe("1042");
      expect(await nodeField(id, "log")).toBe("1001..1042");
      expect(await nodeField(id, "snapshot")).toBe("#1000 · 94 KiB");
      expect(await nodeField(id, "membership")).toBe("voter");
      expect(await nodeField(id, "state")).toBe("up");
    }
    expect(await text('[data-field="cluster-id"]')).toBe("bank-demo-test");
    expect(await text('[data-field="served-by"]')).toBe("node 2");
    expect(await text('[data-field="leader"]')).toBe("Node 1");
  });

  it("updates commit and applied indexes between polls without reloading", async () => {
    cluster.commitEvery(100, 5);
    const before = await nodeNumber(1, "commit");
    await expect.poll(() => nodeNumber(1, "commit"), eventually).toBeGreaterThan(before);
    await expect.poll(() => nodeNumber(2, "applied"), eventually).toBeGreaterThan(before);
    expect(await page.evaluate("window.__loadedOnce")).toBe(true);
  });

  it("charts a positive commit rate once commits advance", async () => {
    await expect.poll(async () => Number(await text('[data-field="commits-per-second"]')), eventually).toBeGreaterThan(0);
    const chart = page.locator('[data-chart="commits"]');
    await expect.poll(async () => Number(await chart.getAttribute("data-samples")), eventually).toBeGreaterThan(1);
    expect(await chart.locator(".line").getAttribute("d")).toMatch(/^M[\d.]+,[\d.]+L/);
  });

  it("shows a node that stops answering as down", async () => {
    cluster.takeDown(3, "unreachable");
    await expect.poll(() => nodeField(3, "state"), eventually).toBe("down");
    expect(await page.locator('[data-node-id="3"]').getAttribute("data-state")).toBe("down");
    expect(await nodeField(3, "error")).toBe("unreachable");
    expect(await nodeField(3, "commit")).toBe("—");
    expect(await nodeField(1, "state")).toBe("up");
    expect(await text('[data-field="nodes-up"]')).toBe("2 / 3");
  });

  it("shows a snapshot transfer with its progress, then removes it when it ends", async () => {
    cluster.bringUp(3);
    cluster.transferSnapshot(1, 3, 4 * MiB, 10 * MiB);
    const sending = page.locator('[data-transfer="1:send:3"]');
    const receiving = page.locator('[data-transfer="3:receive:1"]');
    await expect.poll(() => sending.getAttribute("data-percent"), eventually).toBe("40");
    expect(await sending.locator("progress").getAttribute("value")).toBe("40");
    expect(await sending.locator('[data-field="route"]').textContent()).toBe("Node 1 → Node 3");
    expect(await sending.locator('[data-field="bytes"]').textContent()).toBe("4.0 MiB / 10 MiB");
    expect(await receiving.getAttribute("data-percent")).toBe("40");
    expect(await nodeField(3, "state")).toBe("up");

    await expect.poll(async () => Number(await page.locator('[data-chart="commits"]').getAttribute("data-samples")), eventually).toBeGreaterThanOrEqual(6);
    await mkdir(dirname(screenshotPath), { recursive: true });
    await page.screenshot({ path: screenshotPath, fullPage: true });
    console.log(`dashboard screenshot: ${screenshotPath}`);

    cluster.transferSnapshot(1, 3, 7.5 * MiB, 10 * MiB);
    await expect.poll(() => sending.getAttribute("data-percent"), eventually).toBe("75");
    cluster.finishTransfers();
    await expect.poll(() => page.locator("[data-transfer]").count(), eventually).toBe(0);
    expect(await page.locator(".transfers .empty").isVisible()).toBe(true);
    // The receiver has caught up: all three commit indexes agree (read in one evaluation, so from one render).
    const commits = page.locator('[data-node-id] [data-field="commit"]');
    await expect.poll(async () => new Set(await commits.allTextContents()).size, eventually).toBe(1);
  });

  it("follows a change of leader", async () => {
    cluster.elect(2, 4);
    await expect.poll(() => nodeField(2, "role"), eventually).toBe("leader");
    expect(await nodeField(1, "role")).toBe("follower");
    expect(await page.locator('[data-node-id="2"]').getAttribute("data-role")).toBe("leader");
    for (const id of [1, 2, 3]) expect(await nodeField(id, "term")).toBe("4");
    expect(await text('[data-field="leader"]')).toBe("Node 2");
    expect(await page.evaluate("window.__loadedOnce")).toBe(true);
  });

  it("raises no errors in the page", () => {
    expect(pageErrors).toEqual([]);
  });
});
