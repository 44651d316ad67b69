/**
 * The stable OpenTelemetry HTTP semantic conventions the request lifecycle records, as plain constants.
 *
 * Declared here rather than imported from `@opentelemetry/semantic-conventions` because that package's entry
 * point loads every convention (thousands of exports) and the adapters' cold start is a measured goal.
 */

/** `http.request.method`: the normalised method, or `_OTHER`. */
export const ATTR_HTTP_REQUEST_METHOD = 'http.request.method';
/** `http.request.method_original`: the method as received, when it was normalised to `_OTHER`. */
export const ATTR_HTTP_REQUEST_METHOD_ORIGINAL = 'http.request.method_original';
/** `http.response.status_code`. */
export const ATTR_HTTP_RESPONSE_STATUS_CODE = 'http.response.status_code';
/** `http.route`: the matched route template. */
export const ATTR_HTTP_ROUTE = 'http.route';
/** `url.path`: the path, without the query. */
export const ATTR_URL_PATH = 'url.path';
/** `url.query`: the query without `?`, sensitive values redacted. */
export const ATTR_URL_QUERY = 'url.query';
/** `url.scheme`: `http` or `https`. */
export const ATTR_URL_SCHEME = 'url.scheme';
/** `server.address`: host name the request was addressed to (from `Host`). */
export const ATTR_SERVER_ADDRESS = 'server.address';
/** `server.port`: port the request was addressed to (from `Host`, else the scheme's default). */
export const ATTR_SERVER_PORT = 'server.port';
/** `client.address`: the peer that sent the request. */
export const ATTR_CLIENT_ADDRESS = 'client.address';
/** `user_agent.original`. */
export const ATTR_USER_AGENT_ORIGINAL = 'user_agent.original';
/** `network.protocol.version`: `1.0`, `1.1`, `2`. */
export const ATTR_NETWORK_PROTOCOL_VERSION = 'network.protocol.version';
/** `error.type`: the status code as a string for 5xx, or a low-cardinality reason. */
export const ATTR_ERROR_TYPE = 'error.type';

/** Name of the request duration histogram (seconds). */
export const METRIC_HTTP_SERVER_REQUEST_DURATION = 'http.server.request.duration';
/** Name of the in-flight requests up-down counter. */
export const METRIC_HTTP_SERVER_ACTIVE_REQUESTS = 'http.server.active_requests';

/** The bucket boundaries (seconds) the HTTP semantic conventions advise for request durations. */
export const HTTP_SERVER_DURATION_BUCKETS: readonly number[] = Object.freeze([
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
]);

/** The value of `http.request.method` for a method outside {@link KNOWN_HTTP_METHODS}. */
export const OTHER_HTTP_METHOD = '_OTHER';

/**
 * Methods recorded as they are (RFC 9110 and RFC 5789, plus QUERY); any other becomes `_OTHER`, which keeps
 * the `http.request.method` label bounded whatever clients send.
 */
export const KNOWN_HTTP_METHODS: ReadonlySet<string> = new Set([
  'CONNECT',
  'DELETE',
  'GET',
  'HEAD',
  'OPTIONS',
  'PATCH',
  'POST',
  'PUT',
  'QUERY',
  'TRACE',
]);
