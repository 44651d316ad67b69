/**
 * The part of Grafana's classic dashboard JSON model the generated dashboards use, and builders that lay
 * panels out on the 24-column grid.
 *
 * The classic model is what Grafana's import screen, its file provisioning and grafana.com take, from
 * Grafana 10 to 13; `schemaVersion` 41 is the version Grafana 12 writes, and later versions migrate it on
 * load (their migrations do not touch anything used here).
 *
 * @packageDocumentation
 */

/** Dashboard schema version written into every generated dashboard. */
export const GRAFANA_SCHEMA_VERSION = 41;

/** Reference to the data source chosen in the dashboard's `datasource` variable. */
export interface DataSourceRef {
  readonly type: 'prometheus';
  readonly uid: string;
}

/** The data source every panel and variable uses: whatever the `datasource` variable selects. */
export const PROMETHEUS_DATASOURCE: DataSourceRef = Object.freeze({
  type: 'prometheus',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana substitutes it
  uid: '${datasource}',
});

/** One PromQL query of a panel. */
export interface GrafanaTarget {
  readonly refId: string;
  readonly datasource: DataSourceRef;
  readonly expr: string;
  readonly legendFormat: string;
  readonly range: true;
  readonly editorMode: 'code';
}

/** Position and size on the 24-column grid. */
export interface GridPos {
  readonly h: number;
  readonly w: number;
  readonly x: number;
  readonly y: number;
}

/** A time series panel. */
export interface GrafanaPanel {
  readonly id: number;
  readonly type: 'timeseries';
  readonly title: string;
  readonly description: string;
  readonly gridPos: GridPos;
  readonly datasource: DataSourceRef;
  readonly targets: readonly GrafanaTarget[];
  readonly fieldConfig: {
    readonly defaults: {
      readonly unit: string;
      readonly min?: number;
      readonly max?: number;
      readonly custom: { readonly drawStyle: 'line'; readonly lineWidth: number; readonly fillOpacity: number };
    };
    readonly overrides: readonly never[];
  };
  readonly options: {
    readonly legend: {
      readonly displayMode: 'list' | 'table';
      readonly placement: 'bottom';
      readonly showLegend: true;
    };
    readonly tooltip: { readonly mode: 'multi'; readonly sort: 'desc' };
  };
}

/** A row header grouping the panels below it. */
export interface GrafanaRow {
  readonly id: number;
  readonly type: 'row';
  readonly title: string;
  readonly collapsed: false;
  readonly gridPos: GridPos;
  readonly panels: readonly never[];
}

/** A dashboard variable. */
export type GrafanaVariable =
  | {
      readonly type: 'datasource';
      readonly name: string;
      readonly label: string;
      readonly query: 'prometheus';
      readonly refresh: 1;
      readonly hide: 0;
      readonly current: Record<string, never>;
    }
  | {
      readonly type: 'query';
      readonly name: string;
      readonly label: string;
      readonly description: string;
      readonly datasource: DataSourceRef;
      readonly query: string;
      readonly definition: string;
      readonly regex: string;
      readonly refresh: 2;
      readonly sort: 1;
      readonly multi: true;
      readonly includeAll: true;
      readonly allValue: string;
      readonly hide: 0;
      readonly current: { readonly text: string[]; readonly value: string[] };
      readonly options: readonly never[];
    };

/** A complete dashboard, ready for Grafana's import screen or file provisioning. */
export interface GrafanaDashboard {
  readonly id: null;
  readonly uid: string;
  readonly title: string;
  readonly description: string;
  readonly tags: readonly string[];
  readonly timezone: 'browser';
  readonly editable: true;
  readonly graphTooltip: 1;
  readonly fiscalYearStartMonth: 0;
  readonly liveNow: false;
  readonly refresh: string;
  readonly time: { readonly from: string; readonly to: string };
  readonly timepicker: Record<string, never>;
  readonly schemaVersion: number;
  readonly version: 1;
  readonly links: readonly never[];
  readonly annotations: {
    readonly list: readonly {
      readonly builtIn: 1;
      readonly datasource: { readonly type: 'grafana'; readonly uid: '-- Grafana --' };
      readonly enable: true;
      readonly hide: true;
      readonly iconColor: string;
      readonly name: string;
      readonly type: 'dashboard';
    }[];
  };
  readonly templating: { readonly list: readonly GrafanaVariable[] };
  readonly panels: readonly (GrafanaPanel | GrafanaRow)[];
}

/** What a panel shows, before layout. */
export interface PanelSpec {
  readonly title: string;
  readonly description: string;
  /** A Grafana unit id (`reqps`, `percentunit`, `s`, `bytes`…) or `suffix:…`. */
  readonly unit: string;
  readonly min?: number;
  readonly max?: number;
  readonly queries: readonly { readonly expr: string; readonly legend: string }[];
  /** Width on the 24-column grid. Default 12. */
  readonly width?: number;
}

/** A titled group of panels. */
export interface RowSpec {
  readonly title: string;
  readonly panels: readonly PanelSpec[];
}

const PANEL_HEIGHT = 8;
const GRID_WIDTH = 24;

/** Lays rows and their panels out top to bottom, left to right, and numbers them. */
export function layout(rows: readonly RowSpec[]): (GrafanaPanel | GrafanaRow)[] {
  const out: (GrafanaPanel | GrafanaRow)[] = [];
  let id = 1;
  let y = 0;
  for (const row of rows) {
    out.push({
      id: id++,
      type: 'row',
      title: row.title,
      collapsed: false,
      gridPos: { h: 1, w: GRID_WIDTH, x: 0, y },
      panels: [],
    });
    y += 1;
    let x = 0;
    for (const spec of row.panels) {
      const w = spec.width ?? 12;
      if (x + w > GRID_WIDTH) {
        x = 0;
        y += PANEL_HEIGHT;
      }
      out.push(panel(id++, spec, { h: PANEL_HEIGHT, w, x, y }));
      x += w;
    }
    y += PANEL_HEIGHT;
  }
  return out;
}

function panel(id: number, spec: PanelSpec, gridPos: GridPos): GrafanaPanel {
  return {
    id,
    type: 'timeseries',
    title: spec.title,
    description: spec.description,
    gridPos,
    datasource: PROMETHEUS_DATASOURCE,
    targets: spec.queries.map((q, i) => ({
      refId: String.fromCharCode(65 + i),
      datasource: PROMETHEUS_DATASOURCE,
      expr: q.expr,
      legendFormat: q.legend,
      range: true,
      editorMode: 'code',
    })),
    fieldConfig: {
      defaults: {
        unit: spec.unit,
        ...(spec.min === undefined ? {} : { min: spec.min }),
        ...(spec.max === undefined ? {} : { max: spec.max }),
        custom: { drawStyle: 'line', lineWidth: 1, fillOpacity: 10 },
      },
      overrides: [],
    },
    options: {
      legend: { displayMode: 'list', placement: 'bottom', showLegend: true },
      tooltip: { mode: 'multi', sort: 'desc' },
    },
  };
}

/** The `datasource` variable: any Prometheus data source of the Grafana instance. */
export function datasourceVariable(): GrafanaVariable {
  return {
    type: 'datasource',
    name: 'datasource',
    label: 'Data source',
    query: 'prometheus',
    refresh: 1,
    hide: 0,
    current: {},
  };
}

/**
 * A multi-value variable filled by a Prometheus query, with an "All" option. `query` is either
 * `label_values(…)` or, with a `regex` extracting the value, `query_result(…)`.
 */
export function queryVariable(spec: {
  name: string;
  label: string;
  description: string;
  query: string;
  regex?: string;
}): GrafanaVariable {
  return {
    type: 'query',
    name: spec.name,
    label: spec.label,
    description: spec.description,
    datasource: PROMETHEUS_DATASOURCE,
    query: spec.query,
    definition: spec.query,
    regex: spec.regex ?? '',
    refresh: 2,
    sort: 1,
    multi: true,
    includeAll: true,
    // "All" must also match series where the label is absent (e.g. requests that matched no route).
    allValue: '.*',
    hide: 0,
    current: { text: ['All'], value: ['$__all'] },
    options: [],
  };
}

/** Wraps laid-out panels and variables into a dashboard. */
export function dashboard(spec: {
  uid: string;
  title: string;
  description: string;
  variables: readonly GrafanaVariable[];
  rows: readonly RowSpec[];
}): GrafanaDashboard {
  return {
    id: null,
    uid: spec.uid,
    title: spec.title,
    description: spec.description,
    tags: ['autotelemetry'],
    timezone: 'browser',
    editable: true,
    graphTooltip: 1,
    fiscalYearStartMonth: 0,
    liveNow: false,
    refresh: '30s',
    time: { from: 'now-1h', to: 'now' },
    timepicker: {},
    schemaVersion: GRAFANA_SCHEMA_VERSION,
    version: 1,
    links: [],
    annotations: {
      list: [
        {
          builtIn: 1,
          datasource: { type: 'grafana', uid: '-- Grafana --' },
          enable: true,
          hide: true,
          iconColor: 'rgba(0, 211, 255, 1)',
          name: 'Annotations & Alerts',
          type: 'dashboard',
        },
      ],
    },
    templating: { list: spec.variables },
    panels: layout(spec.rows),
  };
}
