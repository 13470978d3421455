// Connect (connect-es) peer over HTTP/2 cleartext (prior knowledge).
//   node connect_peer.js server PORT      serves test.EchoService, prints "ready"
//   node connect_peer.js client BASE_URL  runs every scenario, prints one JSON
//                                         object of results, exits 1 on a mismatch
//   node connect_peer.js tiny BASE_URL    1,000 tiny and empty unary calls
// Environment: PEER_TLS_CERT/PEER_TLS_KEY make the server speak TLS; a client
// with PEER_PROXY=host:port (an HTTP CONNECT proxy) and PEER_CA=file reaches an
// https:// BASE_URL through that proxy, trusting PEER_CA.
"use strict";
const fs = require("node:fs");
const http2 = require("node:http2");
const { transportOptions } = require("./tunnel");
const { ConnectError, Code, createPromiseClient } = require("@connectrpc/connect");
const { connectNodeAdapter, createConnectTransport, compressionGzip } = require("@connectrpc/connect-node");
const { Msg, EchoService, pattern } = require("./echo_service");

function server(port) {
  const routes = (router) =>
    router.service(EchoService, {
      async unary(req) {
        return new Msg({ text: "echo:" + req.text, data: req.data, count: req.data.length });
      },
      async fail(req, ctx) {
        ctx.responseTrailer.set("x-why", "testing");
        throw new ConnectError("refused: " + req.text, Code.FailedPrecondition,
                               undefined, [new Msg({ text: "detail-for-" + req.text })]);
      },
      async *serverStream(req) {
        for (let i = 0; i < req.count; i++) yield new Msg({ count: i, data: pattern(20000, i) });
      },
      async *chat(requests, ctx) {
        let n = 0;
        for await (const r of requests) yield new Msg({ text: "answer:" + r.text, count: ++n });
        ctx.responseTrailer.set("x-turns", String(n));
        throw new ConnectError("chat over", Code.ResourceExhausted,
                               undefined, [new Msg({ text: "after " + n + " turns" })]);
      },
    });
  const handler = connectNodeAdapter({ routes, acceptCompression: [compressionGzip] });
  const server = process.env.PEER_TLS_CERT
    ? http2.createSecureServer({ cert: fs.readFileSync(process.env.PEER_TLS_CERT),
                                 key: fs.readFileSync(process.env.PEER_TLS_KEY) }, handler)
    : http2.createServer(handler);
  server.listen(port, "127.0.0.1", () => console.log("ready"));
}

function check(results, name, ok, detail) {
  results[name] = ok ? "ok" : "FAIL " + JSON.stringify(detail);
}

async function client(baseUrl) {
  const transport = createConnectTransport({
    baseUrl, httpVersion: "2", useBinaryFormat: true,
    sendCompression: compressionGzip, acceptCompression: [compressionGzip], compressMinBytes: 1,
    ...(await transportOptions(baseUrl)),
  });
  const c = createPromiseClient(EchoService, transport);
  const results = {};

  const big = pattern(300000, 7);
  const u = await c.unary(new Msg({ text: "hello", data: big }));
  check(results, "unary_gzip", u.text === "echo:hello" && Buffer.compare(Buffer.from(u.data), big) === 0, u.text);

  try {
    await c.fail(new Msg({ text: "x" }));
    check(results, "unary_error", false, "no error");
  } catch (e) {
    const err = ConnectError.from(e);
    const details = err.findDetails(Msg);
    check(results, "unary_error",
          err.code === Code.FailedPrecondition && err.rawMessage === "refused: x" &&
          details.length === 1 && details[0].text === "detail-for-x",
          { code: err.code, msg: err.rawMessage, details });
  }

  let got = 0, same = true;
  for await (const m of c.serverStream(new Msg({ count: 50 }))) {
    same = same && m.count === got && Buffer.compare(Buffer.from(m.data), pattern(20000, got)) === 0;
    got++;
  }
  check(results, "server_stream", got === 50 && same, { got, same });

  // The chat shape: send, wait for the answer, send again, and only then half-close.
  const queue = [];
  let wake = null, closed = false;
  async function* requests() {
    for (;;) {
      while (queue.length) yield queue.shift();
      if (closed) return;
      await new Promise((r) => (wake = r));
    }
  }
  const push = (m) => { queue.push(m); if (wake) { wake(); wake = null; } };
  const answers = [];
  let chatError = null;
  const stream = c.chat(requests())[Symbol.asyncIterator]();
  try {
    push(new Msg({ text: "first" }));
    answers.push((await stream.next()).value.text);
    push(new Msg({ text: "second" }));
    answers.push((await stream.next()).value.text);
    closed = true; if (wake) wake();
    const last = await stream.next();
    chatError = last.done ? "ended without error" : "extra message";
  } catch (e) {
    const err = ConnectError.from(e);
    chatError = { code: err.code, details: err.findDetails(Msg).map((d) => d.text),
                  turns: err.metadata.get("x-turns") };
  }
  check(results, "bidi_chat",
        answers[0] === "answer:first" && answers[1] === "answer:second" &&
        chatError && chatError.code === Code.ResourceExhausted && chatError.details[0] === "after 2 turns" &&
        chatError.turns === "2",
        { answers, chatError });

  console.log(JSON.stringify(results));
  process.exit(Object.values(results).every((v) => v === "ok") ? 0 : 1);
}

// Many tiny and empty unary calls, 20 at a time (the shape that once drew
// GOAWAY(FRAME_SIZE_ERROR)): prints {"ok": N, "failed": N}.
async function tiny(baseUrl, total) {
  const transport = createConnectTransport({ baseUrl, httpVersion: "2", useBinaryFormat: true,
                                             ...(await transportOptions(baseUrl)) });
  const c = createPromiseClient(EchoService, transport);
  let ok = 0, failed = 0;
  for (let i = 0; i < total; i += 20) {
    await Promise.all(Array.from({ length: Math.min(20, total - i) }, async (_, j) => {
      const text = (i + j) % 2 ? "" : "t" + (i + j);
      try {
        const r = await c.unary(new Msg({ text }));
        if (r.text === "echo:" + text) ok++; else failed++;
      } catch (e) { failed++; }
    }));
  }
  console.log(JSON.stringify({ ok, failed }));
  process.exit(failed === 0 ? 0 : 1);
}

const [mode, arg] = process.argv.slice(2);
if (mode === "server") server(Number(arg));
else if (mode === "tiny") tiny(arg, 1000).catch((e) => { console.error(e); process.exit(2); });
else if (mode === "client") client(arg).catch((e) => { console.error(e); process.exit(2); });
else { console.error("usage: connect_peer.js server PORT | client BASE_URL"); process.exit(2); }
