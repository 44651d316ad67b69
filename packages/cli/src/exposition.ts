/**
 * Reads the Prometheus text exposition format (what `/metrics` answers): sample names, their labels and
 * values. Enough to tell which standard series a service exposes; not a full validating parser.
 *
 * @packageDocumentation
 */

/** One sample line. */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

function unescapeLabelValue(value: string): string {
  return value.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
}

/** Parses the sample lines of an exposition; comment and blank lines are skipped. */
export function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const brace = line.indexOf('{');
    const space = line.indexOf(' ');
    let name: string;
    const labels: Record<string, string> = {};
    let rest: string;
    if (brace !== -1 && (space === -1 || brace < space)) {
      name = line.slice(0, brace);
      let i = brace + 1;
      for (;;) {
        const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*"((?:\\.|[^"\\])*)"\s*,?/.exec(line.slice(i));
        if (!m) break;
        labels[m[1] as string] = unescapeLabelValue(m[2] as string);
        i += m[0].length;
      }
      const close = line.indexOf('}', i);
      rest = line.slice(close + 1).trim();
    } else {
      name = line.slice(0, space);
      rest = line.slice(space + 1).trim();
    }
    const value = Number(rest.split(/\s+/)[0]);
    samples.push({ name, labels, value });
  }
  return samples;
}

/** For each sample name, the union of its label names. */
export function labelNamesBySample(samples: readonly Sample[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const s of samples) {
    let set = out.get(s.name);
    if (!set) {
      set = new Set();
      out.set(s.name, set);
    }
    for (const label of Object.keys(s.labels)) set.add(label);
  }
  return out;
}
