import type { Reporter, TestModule } from "vitest/node"

/**
 * Prints `vitest: N passed, N failed, N skipped` as the very last line of a run, so that any tool that
 * reads an "N passed, N failed" closing line can judge the run.
 */
export default class ClosingLineReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    let passed = 0
    let failed = 0
    let skipped = 0
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state
        if (state === "passed") passed++
        else if (state === "failed") failed++
        else skipped++
      }
      if (module.state() === "failed" && module.children.size === 0) failed++
    }
    // The default reporter prints its summary after this hook; write at exit so this line stays last.
    process.once("exit", () => {
      process.stdout.write(`vitest: ${passed} passed, ${failed} failed, ${skipped} skipped\n`)
    })
  }
}
