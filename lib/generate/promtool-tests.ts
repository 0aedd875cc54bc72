import type { AlertSpec, InputSeries } from './alert-spec.js';
import { renderDescription } from './alert-spec.js';
import type { AlertingRule } from './rules.js';

/** promtool's unit-test file for the rules of one alert name. */
export interface PromtoolTestFile {
  rule_files: string[];
  evaluation_interval: string;
  group_eval_order: string[];
  tests: {
    name: string;
    interval: string;
    input_series: { series: string; values: string }[];
    alert_rule_test: {
      eval_time: string;
      alertname: string;
      exp_alerts: { exp_labels: Record<string, string>; exp_annotations: Record<string, string> }[];
    }[];
  }[];
}

/**
 * Another job's copy of `inputs`: in a firing case it must not fire too, so a rule that lost its `job` matcher fails.
 * Series of no job of ours (an absent target's) have no copy.
 */
function anotherJob(inputs: InputSeries[], job: string): InputSeries[] {
  const ours = `job="${job}"`;
  return inputs
    .filter((input) => input.series.includes(ours))
    .map((input) => ({ ...input, series: input.series.replace(ours, `job="${job}-other"`) }));
}

/**
 * Unit tests of the rules of one alert name: every case of every rule becomes a promtool test that checks the exact
 * firing set at its evaluation time, labels and rendered annotations included; a firing case also holds the same
 * series of another job, which must not fire.
 */
export function promtoolTests(
  specs: AlertSpec[],
  rules: AlertingRule[],
  ruleFile: string,
  groups: string[],
  job: string,
): PromtoolTestFile {
  return {
    rule_files: [ruleFile],
    evaluation_interval: specs[0]!.evaluationInterval ?? '1m',
    // promtool evaluates groups in random order unless told: alerts must see this step's recordings, not the last.
    group_eval_order: groups,
    tests: specs.flatMap((spec, i) => {
      const rule = rules[i]!;
      return spec.cases.map((testCase) => ({
        name: `${spec.alert}: ${testCase.name}`,
        interval: testCase.interval,
        input_series:
          testCase.expect.length > 0 ? [...testCase.inputs, ...anotherJob(testCase.inputs, job)] : testCase.inputs,
        alert_rule_test: [
          {
            eval_time: testCase.evalTime,
            alertname: spec.alert,
            exp_alerts: testCase.expect.map(({ labels, value }) => {
              const all = { ...labels, ...rule.labels };
              return {
                exp_labels: all,
                exp_annotations: Object.fromEntries(
                  Object.entries(rule.annotations).map(([key, template]) => [
                    key,
                    renderDescription(template, { ...all, alertname: spec.alert }, value),
                  ]),
                ),
              };
            }),
          },
        ],
      }));
    }),
  };
}
