// Stryker's settings for bench/mutation.py, which names the module to mutate (STRYKER_MUTATE)
// and where the JSON report goes (STRYKER_JSON). Only the vitest unit tests run, each mutant
// against the tests that cover it; the sandbox leaves out what the front-end tests never read.
export default {
  mutate: (process.env.STRYKER_MUTATE ?? "js/graph/visible.ts").split(","),
  testRunner: "vitest",
  vitest: { configFile: "vitest.config.mts" },
  coverageAnalysis: "perTest",
  // the vitest files that import the module (bench/mutation.py's TYPESCRIPT); empty: all of them
  testFiles: (process.env.STRYKER_TEST_FILES ?? "").split(",").filter(Boolean),
  reporters: ["json", "clear-text", "progress"],
  jsonReporter: { fileName: process.env.STRYKER_JSON ?? "bench/.mutation/stryker.json" },
  // bench/mutation.py --again reruns only the mutants whose code or covering tests changed
  incremental: true,
  incrementalFile: process.env.STRYKER_INCREMENTAL ?? "bench/.mutation/stryker-incremental.json",
  clearTextReporter: { allowColor: false, logTests: false },
  concurrency: 1,
  timeoutMS: 30_000,
  ignorePatterns: [
    ".venv", "src", "bench", "notebooks", "scripts", "test-artifacts", "tests/*.py", "tests/browser",
    "tests/golden/*.py", "README.md", "*.html", "alexnet.html",
  ],
  tempDirName: "bench/.stryker-tmp",
  cleanTempDir: "always",
};
