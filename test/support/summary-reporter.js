// Keeps "N passed, N failed" for the global teardown to print as the run's plain closing line
// (jest prints its own summary after every reporter, so a reporter cannot print last).
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    globalThis.__tradeguardSummary = `${results.numPassedTests} passed, ${results.numFailedTests} failed${skipped ? `, ${skipped} skipped` : ''}`;
  }
}
module.exports = SummaryReporter;
