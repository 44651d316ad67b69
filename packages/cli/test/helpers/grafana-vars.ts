/**
 * Substitutes Grafana's variables in a dashboard query the way Grafana does before sending it to
 * Prometheus: `$service`-style variables become regular expressions (what a multi-value / "All" selection
 * turns into), `$__rate_interval` a duration.
 */

/** Values for the dashboards' variables. */
export interface VariableValues {
  readonly service: string;
  readonly environment: string;
  readonly route: string;
  readonly operation: string;
  readonly rateInterval: string;
}

/** "All" everywhere, with a given rate interval. */
export const ALL: VariableValues = {
  service: '.*',
  environment: '.*',
  route: '.*',
  operation: '.*',
  rateInterval: '1m',
};

/** Escapes a literal for a PromQL regular expression inside a double-quoted string. */
export function regexLiteral(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, '\\\\$&');
}

/** Replaces the variables; throws on one it does not know, so a new variable cannot go untested. */
export function instantiate(expr: string, values: VariableValues): string {
  return expr.replace(/\$(__rate_interval|\w+)/g, (whole, name: string) => {
    switch (name) {
      case '__rate_interval':
        return values.rateInterval;
      case 'service':
        return values.service;
      case 'environment':
        return values.environment;
      case 'route':
        return values.route;
      case 'operation':
        return values.operation;
      default:
        throw new Error(`unknown dashboard variable ${whole} in ${expr}`);
    }
  });
}
