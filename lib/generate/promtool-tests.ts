import type { AlertSpec } from './alert-spec.js';
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
 * Unit tests of the rules of one alert name: every case of every rule becomes a promtool test that checks the exact
 * firing set at its evaluation time, labels and rendered annotations included.
 */
export function promtoolTests(
  specs: AlertSpec[],
  rules: AlertingRule[],
  ruleFile: string,
  groups: string[],
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
        input_series: testCase.inputs,
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
