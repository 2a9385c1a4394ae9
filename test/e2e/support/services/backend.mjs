// A non-Wasm backend for the service-discovery e2e tests, run by raw_exec
// under Node: an HTTP server on Nomad's allocated port that names itself
// (its alloc id) in every answer, can be told to turn sick, and keeps the
// arrival time of every request that is not a health check.
//   GET /health    200, or 503 while sick
//   GET /sick      health and every other request answer 503 from now on
//   GET /recover   healthy again
//   GET /requests  JSON: arrival times (ms since the epoch) of the other requests
//   anything else  200 "<name> <path>" (503 "sick <name>" while sick)
import { createServer } from 'node:http';

const name = (process.env.NOMAD_ALLOC_ID ?? 'backend').slice(0, 8);
const arrivals = [];
let sick = false;

const server = createServer((req, res) => {
  const reply = (status, body, type = 'text/plain') => {
    res.writeHead(status, { 'content-type': type });
    res.end(body);
  };
  if (req.url === '/health') return reply(sick ? 503 : 200, sick ? 'sick\n' : 'ok\n');
  if (req.url === '/sick') {
    sick = true;
    return reply(200, `${name} sick\n`);
  }
  if (req.url === '/recover') {
    sick = false;
    return reply(200, `${name} recovered\n`);
  }
  if (req.url === '/requests') return reply(200, JSON.stringify(arrivals), 'application/json');
  arrivals.push(Date.now());
  if (sick) return reply(503, `sick ${name}\n`);
  return reply(200, `${name} ${req.url}\n`);
});
server.keepAliveTimeout = 5000;
server.listen(Number(process.env.NOMAD_PORT_http), process.env.NOMAD_IP_http ?? '127.0.0.1', () => {
  console.log(`backend ${name} listening on ${process.env.NOMAD_IP_http}:${process.env.NOMAD_PORT_http}`);
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(0));
