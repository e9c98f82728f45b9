// A vitest reporter that keeps a timestamped record of the run (.local/test-progress.log: each
// file queued, started and ended, each test started and finished) and, when nothing has happened
// for STALL_MS, prints what is still running (file, test, for how long) and fails the run. A test
// has its own timeout (30 s, hooks 60 s), so silence that long means the pool itself is stuck: the
// run must end, loudly, with enough said to find the cause.
import { appendFileSync, mkdirSync, writeFileSync } from "node:fs";
import { relative } from "node:path";
import type { Reporter, TestCase, TestModule } from "vitest/node";

const STALL_MS = Number(process.env.TEST_STALL_MS) || 3 * 60_000;

export default class TestProgressReporter implements Reporter {
  private readonly log = `${process.cwd()}/.local/test-progress.log`;
  private readonly started = Date.now();
  private lastEvent = Date.now();
  private readonly running = new Map<string, { since: number; test?: string; testSince?: number }>();
  private timer: NodeJS.Timeout | undefined;

  onInit(): void {
    mkdirSync(`${process.cwd()}/.local`, { recursive: true });
    writeFileSync(this.log, "");
    this.timer = setInterval(() => this.checkStall(), 5_000);
    this.timer.unref();
  }

  private note(line: string): void {
    this.lastEvent = Date.now();
    appendFileSync(this.log, `${((Date.now() - this.started) / 1000).toFixed(1).padStart(7)} s  ${line}\n`);
  }

  private name(module: TestModule): string {
    return relative(process.cwd(), module.moduleId);
  }

  onTestModuleQueued(module: TestModule): void {
    this.note(`queued   ${this.name(module)}`);
  }
  onTestModuleStart(module: TestModule): void {
    this.running.set(this.name(module), { since: Date.now() });
    this.note(`start    ${this.name(module)}`);
  }
  onTestModuleEnd(module: TestModule): void {
    this.running.delete(this.name(module));
    this.note(`end      ${this.name(module)} (${module.state()})`);
  }
  onTestCaseReady(test: TestCase): void {
    const entry = this.running.get(this.name(test.module));
    if (entry) Object.assign(entry, { test: test.fullName, testSince: Date.now() });
    this.note(`  test   ${this.name(test.module)} > ${test.fullName}`);
  }
  onTestCaseResult(test: TestCase): void {
    const entry = this.running.get(this.name(test.module));
    if (entry) entry.test = undefined;
    this.note(`  ${test.result().state.padEnd(6)} ${this.name(test.module)} > ${test.fullName}`);
  }
  onTestRunEnd(): void {
    clearInterval(this.timer);
    this.note("run ended");
  }

  private checkStall(): void {
    const quiet = Date.now() - this.lastEvent;
    if (quiet < STALL_MS) return;
    clearInterval(this.timer);
    const seconds = (ms: number) => `${Math.round(ms / 1000)} s`;
    const lines = [...this.running].map(
      ([file, entry]) =>
        `  ${file}: running for ${seconds(Date.now() - entry.since)}` +
        (entry.test && entry.testSince ? `, in "${entry.test}" for ${seconds(Date.now() - entry.testSince)}` : ", between tests"),
    );
    const report = [
      `[test] the test pool made no progress for ${seconds(quiet)}; still running:`,
      ...(lines.length > 0 ? lines : ["  (no file: the pool is between files)"]),
      "[test] the run fails here; .local/test-progress.log has its timeline",
    ].join("\n");
    appendFileSync(this.log, `${report}\n`);
    console.error(report);
    process.exit(1);
  }
}
