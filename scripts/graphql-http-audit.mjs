// Runs the GraphQL-over-HTTP conformance audits of the npm package `graphql-http`
// (serverAudits) against a live server and prints one JSON document with every result.
//
//   node scripts/graphql-http-audit.mjs http://127.0.0.1:8000/graphql
//
// With GRAPHQL_HTTP_AUDIT_AUTHORIZATION set, every request carries it as its Authorization header.
// Exit status: 0 when every audit is "ok", 1 when any is not, 2 on a usage or fatal error.
// The pytest suite (tests/web/test_conformance.py) drives this script.
import { serverAudits } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node scripts/graphql-http-audit.mjs URL');
  process.exit(2);
}

const authorization = process.env.GRAPHQL_HTTP_AUDIT_AUTHORIZATION;
const fetchFn = authorization
  ? (input, init = {}) => {
      const headers = new Headers(init.headers);
      headers.set('authorization', authorization);
      return fetch(input, { ...init, headers });
    }
  : fetch;

const results = [];
for (const audit of serverAudits({ url, fetchFn })) {
  const result = await audit.fn();
  const entry = { id: result.id, name: result.name, status: result.status };
  if (result.status !== 'ok') {
    entry.reason = result.reason;
    entry.httpStatus = result.response.status;
    entry.contentType = result.response.headers.get('content-type');
    entry.body = (await result.response.text()).slice(0, 2000);
  }
  results.push(entry);
}
console.log(JSON.stringify(results, null, 2));
process.exit(results.every((r) => r.status === 'ok') ? 0 : 1);
