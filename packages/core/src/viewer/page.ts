/**
 * The viewer's page: one HTML document, one script and one style sheet, written by hand without a
 * framework or a build step, so the page works offline, weighs a few kilobytes and every value reaches the
 * document through `textContent` (no HTML is ever made from telemetry). The script reads the JSON API and
 * the event stream of server.ts.
 */

export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Telemetry viewer</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="app.css">
<script src="app.js" defer></script>
</head>
<body>
<header>
  <h1>Telemetry viewer <span id="service"></span></h1>
  <span id="live" data-testid="live-status" class="badge">connecting</span>
</header>
<section id="charts" aria-label="Live metrics"></section>
<main>
  <section id="list-pane" aria-label="Recent traces">
    <div class="filters">
      <input id="filter-text" data-testid="filter-text" type="search" placeholder="Filter: route, name, trace id">
      <select id="filter-status" data-testid="filter-status" aria-label="Status">
        <option value="all">All</option>
        <option value="errors">Errors</option>
        <option value="2">2xx</option>
        <option value="3">3xx</option>
        <option value="4">4xx</option>
        <option value="5">5xx</option>
      </select>
      <select id="sort" data-testid="sort" aria-label="Order">
        <option value="errors">Errors first</option>
        <option value="newest">Newest first</option>
        <option value="slowest">Slowest first</option>
      </select>
    </div>
    <table>
      <thead><tr><th>Time</th><th>Request</th><th>Status</th><th class="num">Duration</th><th class="num">Spans</th></tr></thead>
      <tbody id="trace-list" data-testid="trace-list"></tbody>
    </table>
    <p id="list-note" class="note"></p>
  </section>
  <section id="detail-pane" aria-label="Trace">
    <p id="detail-empty" class="note">Select a request to see its trace and its log lines.</p>
    <div id="detail" hidden>
      <h2 id="detail-title"></h2>
      <p id="detail-meta" class="note"></p>
      <div id="waterfall" data-testid="waterfall" class="waterfall"></div>
      <h3>Log lines of this trace</h3>
      <div id="trace-logs" data-testid="trace-logs" class="logs"></div>
      <div id="span-detail" data-testid="span-detail" class="span-detail"></div>
    </div>
  </section>
</main>
<section id="bottom">
  <div>
    <h3>Data operations (<code>measure()</code>)</h3>
    <table><thead><tr><th>Time</th><th>Operation</th><th class="num">Rows</th><th class="num">Duration</th><th>Status</th></tr></thead>
    <tbody id="operations" data-testid="operations"></tbody></table>
  </div>
  <div>
    <h3>Anomalies</h3>
    <div id="anomalies" data-testid="anomalies" class="logs"></div>
  </div>
</section>
</body>
</html>
`;

export const PAGE_STYLE = `:root { color-scheme: light dark; --bg: #fff; --fg: #1d2330; --muted: #667085; --line: #e4e7ec;
  --accent: #2f6fde; --err: #d92d20; --warn: #b54708; --ok: #079455; --bar: #7aa2f7; --sel: #eef4ff; }
@media (prefers-color-scheme: dark) { :root { --bg: #14171f; --fg: #e6e9ef; --muted: #98a2b3; --line: #2a2f3a;
  --sel: #1d2a44; --bar: #5b8def; } }
* { box-sizing: border-box; }
body { margin: 0; font: 13px/1.45 system-ui, sans-serif; background: var(--bg); color: var(--fg); }
header { display: flex; align-items: center; justify-content: space-between; padding: 8px 16px; border-bottom: 1px solid var(--line); }
h1 { font-size: 16px; margin: 0; } h1 span { color: var(--muted); font-weight: 400; }
h2 { font-size: 15px; margin: 0 0 4px; word-break: break-all; } h3 { font-size: 13px; margin: 14px 0 6px; }
.badge { border: 1px solid var(--line); border-radius: 10px; padding: 1px 10px; color: var(--muted); }
.badge.live { color: var(--ok); border-color: var(--ok); }
#charts { display: grid; grid-template-columns: repeat(5, 1fr); gap: 8px; padding: 8px 16px; border-bottom: 1px solid var(--line); }
.chart { border: 1px solid var(--line); border-radius: 6px; padding: 4px 8px; }
.chart .label { color: var(--muted); font-size: 11px; display: flex; justify-content: space-between; gap: 6px; }
.chart .value { font-weight: 600; color: var(--fg); }
.chart svg { width: 100%; height: 40px; display: block; }
.chart polyline { fill: none; stroke: var(--accent); stroke-width: 1.5; vector-effect: non-scaling-stroke; }
main { display: grid; grid-template-columns: minmax(380px, 2fr) 3fr; min-height: 60vh; }
#list-pane { border-right: 1px solid var(--line); padding: 8px 12px; overflow: auto; }
#detail-pane { padding: 8px 16px; overflow: auto; min-width: 0; }
.filters { display: flex; gap: 6px; margin-bottom: 6px; } .filters input { flex: 1; }
input, select { font: inherit; padding: 3px 6px; background: var(--bg); color: var(--fg); border: 1px solid var(--line); border-radius: 4px; }
table { width: 100%; border-collapse: collapse; }
th { text-align: left; color: var(--muted); font-weight: 500; border-bottom: 1px solid var(--line); padding: 3px 4px; }
td { padding: 3px 4px; border-bottom: 1px solid var(--line); vertical-align: top; }
.num { text-align: right; white-space: nowrap; }
tr.trace { cursor: pointer; } tr.trace:hover, tr.trace.selected { background: var(--sel); }
tr.trace.error td.status, .lvl-ERROR, .lvl-FATAL, .st-ERROR { color: var(--err); font-weight: 600; }
.lvl-WARN { color: var(--warn); font-weight: 600; }
.note { color: var(--muted); }
.waterfall { border: 1px solid var(--line); border-radius: 6px; margin: 8px 0; }
.span-row { display: grid; grid-template-columns: 40% 60%; cursor: pointer; border-bottom: 1px solid var(--line); }
.span-row:last-child { border-bottom: 0; } .span-row:hover, .span-row.selected { background: var(--sel); }
.span-name { padding: 2px 6px; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.span-name .kind { color: var(--muted); font-size: 10px; margin-right: 4px; }
.span-timing { position: relative; height: 22px; }
.span-bar { position: absolute; top: 6px; height: 10px; background: var(--bar); border-radius: 2px; min-width: 2px; }
.span-row.st-ERROR .span-bar { background: var(--err); }
.span-time { position: absolute; top: 3px; font-size: 11px; color: var(--muted); white-space: nowrap; }
.span-detail table td:first-child { color: var(--muted); white-space: nowrap; width: 1%; }
.span-detail td { word-break: break-all; }
pre { margin: 4px 0; padding: 6px; background: var(--sel); border-radius: 4px; overflow: auto; font-size: 11px; white-space: pre-wrap; }
.logs { font: 12px/1.4 ui-monospace, monospace; }
.log-line { padding: 2px 4px; border-bottom: 1px solid var(--line); word-break: break-word; }
.log-line .time, .log-line .logger { color: var(--muted); margin-right: 6px; }
.log-line .level { margin-right: 6px; } .log-line .data { color: var(--muted); margin-left: 6px; }
#bottom { display: grid; grid-template-columns: 1fr 1fr; gap: 16px; padding: 0 16px 16px; border-top: 1px solid var(--line); }
`;

export const PAGE_SCRIPT = String.raw`'use strict';
(function () {
  var BASE = location.pathname.replace(/\/[^/]*$/, '');
  var CHART_UNITS = {
    'http.server.request.rate': ['requests/s', 1], 'http.server.request.duration.p50': ['p50 ms', 1],
    'http.server.request.duration.p99': ['p99 ms', 1], 'nodejs.eventloop.delay.p99': ['event loop p99 ms', 1],
    'v8js.memory.heap.used': ['heap MiB', 1]
  };
  var state = { traces: new Map(), selected: null, selectedSpan: null, detail: null, samples: [], charts: {}, maxSamples: 120 };
  var $ = function (id) { return document.getElementById(id); };

  function el(tag, props, children) {
    var node = document.createElement(tag);
    if (props) for (var key in props) {
      if (key === 'text') node.textContent = props[key];
      else if (key === 'className') node.className = props[key];
      // Through the CSSOM: the content policy blocks style attributes, not style properties set by the script.
      else if (key === 'style') node.style.cssText = props[key];
      else if (key.indexOf('data-') === 0 || key === 'title') node.setAttribute(key, props[key]);
      else node[key] = props[key];
    }
    (children || []).forEach(function (child) { if (child) node.appendChild(child); });
    return node;
  }
  function svgEl(tag, attrs) {
    var node = document.createElementNS('http://www.w3.org/2000/svg', tag);
    for (var key in attrs) node.setAttribute(key, attrs[key]);
    return node;
  }
  function getJson(path) {
    return fetch(BASE + path, { headers: { accept: 'application/json' } }).then(function (r) {
      if (!r.ok) throw new Error(path + ': ' + r.status);
      return r.json();
    });
  }
  function ms(value) {
    if (value === null || value === undefined) return '\u2013';
    if (value >= 1000) return (value / 1000).toFixed(2) + ' s';
    if (value >= 10) return value.toFixed(0) + ' ms';
    return value.toFixed(value >= 1 ? 1 : 2) + ' ms';
  }
  function clock(epochMs) {
    var d = new Date(epochMs);
    return d.toLocaleTimeString([], { hour12: false }) + '.' + String(d.getMilliseconds()).padStart(3, '0');
  }
  // A stack starts with its error's "Type: message", already shown above it.
  function stackBody(head, stack) {
    return stack.indexOf(head) === 0 ? stack.slice(head.length).replace(/^\n/, '') : stack;
  }
  function compact(value) {
    try { return JSON.stringify(value); } catch (e) { return String(value); }
  }

  // Live metrics
  function buildCharts(names) {
    var box = $('charts');
    names.forEach(function (name) {
      var unit = (CHART_UNITS[name] || [name])[0];
      var value = el('span', { className: 'value', text: '\u2013' });
      var svg = svgEl('svg', { viewBox: '0 0 120 40', preserveAspectRatio: 'none', role: 'img', 'aria-label': name });
      var line = svgEl('polyline', { points: '' });
      svg.appendChild(line);
      var chart = el('div', { className: 'chart', 'data-testid': 'metric-chart', 'data-metric': name, 'data-samples': '0', title: name },
        [el('div', { className: 'label' }, [el('span', { text: unit }), value])]);
      chart.appendChild(svg);
      box.appendChild(chart);
      state.charts[name] = { root: chart, line: line, value: value };
    });
  }
  function drawCharts() {
    var samples = state.samples;
    Object.keys(state.charts).forEach(function (name) {
      var chart = state.charts[name];
      var values = samples.map(function (s) { return s.values[name]; });
      var max = values.reduce(function (m, v) { return v !== null && v > m ? v : m; }, 0) || 1;
      var points = [];
      values.forEach(function (v, i) {
        if (v === null || v === undefined) return;
        // The window grows with the samples up to its size: a young chart is not a dot at the right edge.
        var slots = Math.max(Math.min(state.maxSamples, values.length), 30);
        var x = (120 * (i + slots - values.length)) / (slots - 1);
        points.push(x.toFixed(1) + ',' + (38 - (36 * v) / max).toFixed(1));
      });
      chart.line.setAttribute('points', points.join(' '));
      var last = values.length > 0 ? values[values.length - 1] : null;
      chart.value.textContent = last === null || last === undefined ? '\u2013' : (Math.round(last * 100) / 100).toString();
      chart.root.setAttribute('data-samples', String(values.length));
      chart.root.setAttribute('data-last', last === null || last === undefined ? '' : String(last));
    });
  }
  function addSample(sample) {
    state.samples.push(sample);
    if (state.samples.length > state.maxSamples) state.samples.shift();
    drawCharts();
  }

  // The list of traces
  var listQueued = false;
  function queueList() {
    if (listQueued) return;
    listQueued = true;
    requestAnimationFrame(function () { listQueued = false; renderList(); });
  }
  function statusOf(t) { return t.error ? 'ERROR' : 'OK'; }
  function matches(t, text, status) {
    if (status === 'errors' && !t.error) return false;
    if (status.length === 1 && String(t.statusCode || '').charAt(0) !== status) return false;
    if (text && (t.name + ' ' + t.traceId + ' ' + (t.statusCode || '')).toLowerCase().indexOf(text) === -1) return false;
    return true;
  }
  function renderList() {
    var text = $('filter-text').value.trim().toLowerCase();
    var status = $('filter-status').value;
    var order = $('sort').value;
    var rows = [];
    state.traces.forEach(function (t) { if (matches(t, text, status)) rows.push(t); });
    rows.sort(function (a, b) {
      if (order === 'errors' && a.error !== b.error) return a.error ? -1 : 1;
      if (order === 'slowest') return b.durationMs - a.durationMs;
      return b.startMs - a.startMs;
    });
    var body = $('trace-list');
    body.replaceChildren.apply(body, rows.slice(0, 300).map(function (t) {
      var row = el('tr', { className: 'trace' + (t.error ? ' error' : '') + (t.traceId === state.selected ? ' selected' : ''),
        'data-testid': 'trace-row', 'data-trace-id': t.traceId, 'data-status': statusOf(t) }, [
        el('td', { text: clock(t.startMs) }),
        el('td', { text: t.name }),
        el('td', { className: 'status', text: (t.statusCode || '') + (t.error ? ' ERROR' : '') }),
        el('td', { className: 'num', text: ms(t.durationMs) }),
        el('td', { className: 'num', text: String(t.spanCount) })
      ]);
      row.addEventListener('click', function () { select(t.traceId); });
      return row;
    }));
    $('list-note').textContent = state.traces.size === 0 ? 'No request yet: send one to the service.' :
      rows.length + ' of ' + state.traces.size + ' recent traces shown';
  }

  // One trace
  function select(traceId) {
    state.selected = traceId;
    state.selectedSpan = null;
    queueList();
    loadDetail();
  }
  function loadDetail() {
    var traceId = state.selected;
    if (!traceId) return;
    getJson('/api/traces/' + encodeURIComponent(traceId)).then(function (trace) {
      if (state.selected !== traceId) return;
      state.detail = trace;
      renderDetail();
    }, function () {
      $('detail-meta').textContent = 'This trace is no longer kept (the viewer keeps the most recent ones).';
    });
  }
  function spanTree(spans) {
    var byId = new Map(); var children = new Map(); var out = [];
    spans.forEach(function (s) { byId.set(s.spanId, s); });
    spans.forEach(function (s) {
      var parent = s.parentSpanId && byId.has(s.parentSpanId) ? s.parentSpanId : '';
      if (!children.has(parent)) children.set(parent, []);
      children.get(parent).push(s);
    });
    (function walk(parent, depth) {
      (children.get(parent) || []).forEach(function (s) { out.push({ span: s, depth: depth }); walk(s.spanId, depth + 1); });
    })('', 0);
    return out;
  }
  function renderDetail() {
    var trace = state.detail;
    if (!trace) return;
    $('detail-empty').hidden = true;
    $('detail').hidden = false;
    var s = trace.summary;
    $('detail-title').textContent = s.name;
    $('detail-meta').textContent = 'trace ' + s.traceId + ' \u00b7 ' + ms(s.durationMs) + ' \u00b7 ' + trace.spans.length + ' spans' +
      (trace.droppedSpans ? ' (' + trace.droppedSpans + ' more not kept)' : '') + ' \u00b7 ' + trace.logs.length + ' log lines';
    var tree = spanTree(trace.spans);
    var t0 = Infinity; var t1 = -Infinity;
    trace.spans.forEach(function (span) { t0 = Math.min(t0, span.startMs); t1 = Math.max(t1, span.startMs + span.durationMs); });
    var total = Math.max(t1 - t0, 0.001);
    var box = $('waterfall');
    box.replaceChildren.apply(box, tree.map(function (item) {
      var span = item.span;
      // Bars use 88% of the width, so that the duration always fits on their right.
      var left = ((span.startMs - t0) / total) * 88;
      var width = Math.max((span.durationMs / total) * 88, 0.3);
      var row = el('div', { className: 'span-row st-' + span.status + (span.spanId === state.selectedSpan ? ' selected' : ''),
        'data-testid': 'span-row', 'data-span-id': span.spanId, 'data-span-name': span.name, 'data-span-kind': span.kind,
        'data-depth': String(item.depth), 'data-status': span.status }, [
        el('div', { className: 'span-name', style: 'padding-left:' + (6 + item.depth * 14) + 'px', title: span.name },
          [el('span', { className: 'kind', text: span.kind }), el('span', { text: span.name })]),
        el('div', { className: 'span-timing' }, [
          el('div', { className: 'span-bar', style: 'left:' + left.toFixed(2) + '%;width:' + width.toFixed(2) + '%' }),
          el('span', { className: 'span-time', style: 'left:' + (left + width).toFixed(2) + '%', text: ' ' + ms(span.durationMs) + ' ' })
        ])
      ]);
      row.addEventListener('click', function () { state.selectedSpan = span.spanId; renderDetail(); });
      return row;
    }));
    var chosen = trace.spans.filter(function (sp) { return sp.spanId === state.selectedSpan; })[0] || (tree[0] && tree[0].span);
    renderSpan(chosen);
    var logs = $('trace-logs');
    logs.replaceChildren.apply(logs, trace.logs.length === 0 ? [el('p', { className: 'note', text: 'No log line carries this trace id.' })] :
      trace.logs.map(logLine));
  }
  function kv(record) {
    return el('table', {}, [el('tbody', {}, Object.keys(record).sort().map(function (key) {
      var value = record[key];
      return el('tr', {}, [el('td', { text: key }), el('td', { text: typeof value === 'string' ? value : compact(value) })]);
    }))]);
  }
  function renderSpan(span) {
    var box = $('span-detail');
    if (!span) { box.replaceChildren(); return; }
    var parts = [
      el('h3', { text: span.kind + ' ' + span.name }),
      el('p', { className: 'note', text: 'span ' + span.spanId + (span.parentSpanId ? ' \u00b7 parent ' + span.parentSpanId : '') +
        ' \u00b7 ' + ms(span.durationMs) + ' \u00b7 status ' + span.status + (span.statusMessage ? ' (' + span.statusMessage + ')' : '') + ' \u00b7 ' + span.scope }),
      kv(span.attributes)
    ];
    span.events.forEach(function (event) {
      var a = event.attributes || {};
      parts.push(el('h3', { text: 'event ' + event.name + ' at ' + clock(event.timeMs) }));
      if (event.name === 'exception') {
        var head = (a['exception.type'] || 'Error') + ': ' + (a['exception.message'] || '');
        parts.push(el('p', { className: 'st-ERROR', text: head }));
        if (a['exception.stacktrace']) parts.push(el('pre', { text: stackBody(head, String(a['exception.stacktrace'])) }));
      } else if (Object.keys(a).length > 0) parts.push(kv(a));
    });
    span.links.forEach(function (link) {
      parts.push(el('p', { className: 'note', text: 'link to trace ' + link.traceId + ' span ' + link.spanId + ' ' + compact(link.attributes) }));
    });
    box.replaceChildren.apply(box, parts);
  }
  function logLine(line) {
    var dataText = Object.keys(line.data || {}).length > 0 ? compact(line.data) : '';
    var row = el('div', { className: 'log-line', 'data-testid': 'log-line', 'data-trace-id': line.trace_id || '',
      'data-span-id': line.span_id || '', 'data-level': line.level }, [
      el('span', { className: 'time', text: line.timestamp.slice(11, 23) }),
      el('span', { className: 'level lvl-' + line.level, text: line.level }),
      el('span', { className: 'logger', text: line.logger }),
      el('span', { className: 'message', text: line.message }),
      dataText ? el('span', { className: 'data', text: dataText }) : null
    ]);
    if (line.error) {
      var head = line.error.type + ': ' + line.error.message;
      row.appendChild(el('pre', { text: head + (line.error.stack ? '\n' + stackBody(head, line.error.stack) : '') }));
    }
    return row;
  }

  // Operations and anomalies
  var opsQueued = false;
  function queueOperations() {
    if (opsQueued) return;
    opsQueued = true;
    setTimeout(function () { opsQueued = false; loadOperations(); }, 1000);
  }
  function loadOperations() {
    getJson('/api/operations').then(function (r) {
      var ops = $('operations');
      ops.replaceChildren.apply(ops, r.operations.slice().reverse().map(function (o) {
        var row = el('tr', { className: 'trace', 'data-trace-id': o.traceId }, [
          el('td', { text: clock(o.startMs) }), el('td', { text: o.name }),
          el('td', { className: 'num', text: o.rows === undefined ? '\u2013' : String(o.rows) }),
          el('td', { className: 'num', text: ms(o.durationMs) }), el('td', { className: 'st-' + o.status, text: o.status })
        ]);
        row.addEventListener('click', function () { select(o.traceId); });
        return row;
      }));
      var an = $('anomalies');
      an.replaceChildren.apply(an, r.anomalies.length === 0 ? [el('p', { className: 'note', text: 'No anomaly detected.' })] :
        r.anomalies.slice().reverse().map(function (a) {
          return el('div', { className: 'log-line' }, [el('span', { className: 'time', text: clock(a.timeMs) }),
            el('span', { className: 'level lvl-WARN', text: 'ANOMALY' }), el('span', { text: a.spanName + ' ' }),
            el('span', { className: 'data', text: compact(a.attributes) })]);
        }));
    }, function () {});
  }

  // Live updates
  function mergeTraces(list) {
    list.forEach(function (t) { state.traces.delete(t.traceId); state.traces.set(t.traceId, t); });
    while (state.traces.size > 2000) state.traces.delete(state.traces.keys().next().value);
    queueList();
  }
  function connect() {
    var live = $('live');
    var source = new EventSource(BASE + '/api/events');
    source.onopen = function () { live.textContent = 'live'; live.className = 'badge live'; refresh(); };
    source.onerror = function () { live.textContent = 'reconnecting'; live.className = 'badge'; };
    source.addEventListener('traces', function (event) {
      var changed = JSON.parse(event.data);
      mergeTraces(changed);
      if (state.selected && changed.some(function (t) { return t.traceId === state.selected; })) loadDetail();
      queueOperations();
    });
    source.addEventListener('metrics', function (event) { addSample(JSON.parse(event.data)); });
  }
  function refresh() {
    getJson('/api/traces').then(function (r) {
      state.traces = new Map();
      r.traces.slice().reverse().forEach(function (t) { state.traces.set(t.traceId, t); });
      queueList();
    }, function () {});
    loadOperations();
  }

  ['filter-text', 'filter-status', 'sort'].forEach(function (id) { $(id).addEventListener('input', queueList); });
  getJson('/api/info').then(function (info) {
    $('service').textContent = info.service + ' ' + info.version + ' \u00b7 ' + info.environment;
    document.title = info.service + ' \u00b7 telemetry viewer';
    buildCharts(info.charts);
    return getJson('/api/metrics');
  }).then(function (r) {
    r.samples.forEach(function (sample) { state.samples.push(sample); });
    drawCharts();
    connect();
  }, function (error) { $('live').textContent = 'offline: ' + error.message; });
})();
`;
