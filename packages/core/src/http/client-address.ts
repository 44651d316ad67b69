/**
 * `client.address`: the original client, as the HTTP semantic conventions define it — the first address of
 * `X-Forwarded-For`, else the `for=` of the first `Forwarded` element, else the peer of the socket. Proxies in
 * front of Node services are the rule, and the socket peer is then the proxy. Nothing here is trusted for
 * security: it is a label on a span.
 */
import type { IncomingHttpHeaders } from 'node:http';

const MAX_ADDRESS_LENGTH = 64;

function firstForwardedFor(header: string): string | undefined {
  // `Forwarded: for=192.0.2.60;proto=http;by=203.0.113.43, for="[2001:db8:cafe::17]:4711"`
  const element = header.split(',', 1)[0] as string;
  for (const pair of element.split(';')) {
    const eq = pair.indexOf('=');
    if (eq === -1 || pair.slice(0, eq).trim().toLowerCase() !== 'for') continue;
    let value = pair.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    if (value.startsWith('[')) {
      const close = value.indexOf(']');
      return close === -1 ? undefined : value.slice(1, close);
    }
    const colon = value.indexOf(':');
    return colon === -1 ? value : value.slice(0, colon);
  }
  return undefined;
}

/** The client's address for a request with these headers arriving on a socket from `peer`. */
export function clientAddress(headers: IncomingHttpHeaders, peer: string | undefined): string | undefined {
  const xff = headers['x-forwarded-for'];
  let address: string | undefined;
  if (typeof xff === 'string' && xff.length > 0) {
    const comma = xff.indexOf(',');
    address = (comma === -1 ? xff : xff.slice(0, comma)).trim();
  } else {
    const forwarded = headers.forwarded;
    if (typeof forwarded === 'string' && forwarded.length > 0) address = firstForwardedFor(forwarded);
  }
  if (address === undefined || address.length === 0 || address.length > MAX_ADDRESS_LENGTH) return peer;
  return address;
}
