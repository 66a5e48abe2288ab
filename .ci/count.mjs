// Sum vitest's, Playwright's and the Python twin's JSON reports into one line: "N passed, N failed[, N skipped]".
import { existsSync, readFileSync } from 'node:fs';

let passed = 0, failed = 0, skipped = 0;
const unit = 'test-results/unit.json';
const e2e = 'test-results/e2e.json';
if (existsSync(unit)) {
  const r = JSON.parse(readFileSync(unit, 'utf8'));
  passed += r.numPassedTests ?? 0;
  failed += (r.numFailedTests ?? 0) + (r.numFailedTestSuites && !r.numFailedTests ? r.numFailedTestSuites : 0);
  skipped += (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
} else {
  // a step that never ran is a failure, not zero tests
  console.log('(no unit test report: the type check or the unit run did not finish)');
  failed += 1;
}
if (existsSync(e2e)) {
  const report = JSON.parse(readFileSync(e2e, 'utf8'));
  const s = report.stats ?? {};
  // A test that passed only on a retry is flaky: it failed at least once, so it counts as failed.
  passed += s.expected ?? 0;
  failed += (s.unexpected ?? 0) + (s.flaky ?? 0);
  skipped += s.skipped ?? 0;
  const flaky = [];
  const walk = (suite, path) => {
    for (const spec of suite.specs ?? []) for (const t of spec.tests ?? []) if (t.status === 'flaky') flaky.push(`${[...path, spec.title].join(' › ')}`);
    for (const child of suite.suites ?? []) walk(child, [...path, child.title]);
  };
  for (const suite of report.suites ?? []) walk(suite, [suite.title]);
  for (const f of flaky) console.log(`flaky (passed only on retry, counted as failed): ${f}`);
} else {
  console.log('(no e2e report: the e2e run did not happen, e.g. no browser was found)');
  failed += 1;
}
// the PyTorch twin's tests (npm run test:py writes {passed, failed, skipped})
const py = 'test-results/py.json';
if (existsSync(py)) {
  const r = JSON.parse(readFileSync(py, 'utf8'));
  passed += r.passed ?? 0;
  failed += r.failed ?? 0;
  skipped += r.skipped ?? 0;
} else {
  console.log('(no Python test report: npm run test:py did not run)');
  failed += 1;
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 ? 1 : 0);
