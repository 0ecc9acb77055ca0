// JUnit XML for CI dashboards (`synack check --junit FILE`): one testcase per rule, a failure
// listing the offending flows, and an error testcase per capture that could not be read in full.

import { MAX_LISTED, title, violationLine, type CheckOutcome } from './report.js';

/** XML 1.0 §2.4/§3.3.3: escape markup characters; drop characters XML cannot carry. */
export function xmlEscape(s: string): string {
  return s
    // eslint-disable-next-line no-control-regex
    .replace(/[\x00-\x08\x0b\x0c\x0e-\x1f]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

/**
 * JUnit XML as CI servers read it (the Ant junitreport schema most tools follow): one
 * <testsuite> "synack check", one <testcase> per rule with a <failure> listing the flows, and
 * one <testcase> with an <error> per capture that could not be read in full.
 */
export function checkJunit(o: CheckOutcome): string {
  const several = o.captures.length > 1;
  const failures = o.results.filter((r) => !r.ok).length;
  const errors = o.captures.filter((c) => c.error !== null).length;
  const tests = o.results.length + errors;
  let cases = '';
  for (const res of o.results) {
    cases += `    <testcase classname="synack.check" name="${xmlEscape(title(res))}">`;
    if (res.ok) {
      cases += '</testcase>\n';
      continue;
    }
    const message = res.detail ?? `${res.violations.length} of ${res.checked} flows violate the rule`;
    const lines = res.violations.slice(0, MAX_LISTED).map((v) => violationLine(v, several));
    if (res.violations.length > MAX_LISTED) lines.push(`... and ${res.violations.length - MAX_LISTED} more`);
    cases += `\n      <failure type="${xmlEscape(res.name)}" message="${xmlEscape(message)}">${xmlEscape(lines.join('\n'))}</failure>\n    </testcase>\n`;
  }
  for (const cap of o.captures) {
    if (cap.error === null) continue;
    cases += `    <testcase classname="synack.check" name="${xmlEscape(`read ${cap.capture}`)}">\n`;
    cases += `      <error type="capture" message="${xmlEscape(cap.error)}"></error>\n    </testcase>\n`;
  }
  const counts = `tests="${tests}" failures="${failures}" errors="${errors}"`;
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<testsuites name="synack check" ${counts}>\n` +
    `  <testsuite name="synack check" ${counts} skipped="0">\n` +
    cases +
    '  </testsuite>\n</testsuites>\n'
  );
}
