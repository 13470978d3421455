// gRPC peer (@grpc/grpc-js) for test.EchoService with real protobuf messages
// (echo_service.js's Msg, the same service connect_peer.js serves), so a
// capture can decode gRPC messages by field number and, with a descriptor set,
// by name. The client gzips its messages (grpc-encoding: gzip); grpc-js's
// server answers uncompressed.
//   node grpc_echo_peer.js server PORT       prints "ready"
//   node grpc_echo_peer.js client HOST:PORT  runs every scenario, prints one
//                                            JSON object of results, exits 1 on a mismatch
// Environment: see grpc_tls.js (PEER_TLS_CERT/PEER_TLS_KEY, PEER_CA, grpc_proxy).
"use strict";
const grpc = require("@grpc/grpc-js");
const { Msg, pattern } = require("./echo_service");
const { listen, clientCredentials } = require("./grpc_tls");

const serialize = (m) => Buffer.from(m.toBinary());
const deserialize = (b) => Msg.fromBinary(b);
const method = (name, requestStream, responseStream) => ({
  path: `/test.EchoService/${name}`, requestStream, responseStream,
  requestSerialize: serialize, requestDeserialize: deserialize,
  responseSerialize: serialize, responseDeserialize: deserialize,
});
const definition = {
  unary: method("Unary", false, false),
  fail: method("Fail", false, false),
  serverStream: method("ServerStream", false, true),
  chat: method("Chat", true, true),
};
const GZIP = { "grpc.default_compression_algorithm": 2 };

function metadata(name, value) {
  const md = new grpc.Metadata();
  md.set(name, value);
  return md;
}

// google.rpc.Status{code, message, details: [Any{test.Msg{text}}]}, encoded by
// hand (every length here is under 128): what grpc-status-details-bin carries.
function statusDetails(code, message, detailText) {
  const field = (n, bytes) => Buffer.concat([Buffer.from([(n << 3) | 2, bytes.length]), bytes]);
  const any = Buffer.concat([field(1, Buffer.from("type.googleapis.com/test.Msg")),
                             field(2, Buffer.from(new Msg({ text: detailText }).toBinary()))]);
  return Buffer.concat([Buffer.from([0x08, code]), field(2, Buffer.from(message)), field(3, any)]);
}

function server(port) {
  const s = new grpc.Server();
  s.addService(definition, {
    unary(call, cb) {
      const { text, data } = call.request;
      cb(null, new Msg({ text: "echo:" + text, data, count: data.length }));
    },
    fail(call, cb) {
      const md = metadata("x-why", "testing");
      md.set("grpc-status-details-bin", statusDetails(grpc.status.FAILED_PRECONDITION, "refused: " + call.request.text,
                                                      "detail-for-" + call.request.text));
      cb({ code: grpc.status.FAILED_PRECONDITION, details: "refused: " + call.request.text, metadata: md });
    },
    serverStream(call) {
      for (let i = 0; i < call.request.count; i++) call.write(new Msg({ count: i, data: pattern(20000, i) }));
      call.end();
    },
    chat(call) {
      let n = 0;
      call.on("data", (r) => call.write(new Msg({ text: "answer:" + r.text, count: ++n })));
      call.on("end", () => call.emit("error", { code: grpc.status.RESOURCE_EXHAUSTED, details: "chat over",
                                                metadata: metadata("x-turns", String(n)) }));
    },
  });
  listen(s, port);
}

async function client(target) {
  const Client = grpc.makeGenericClientConstructor(definition, "EchoService");
  const c = new Client(target, clientCredentials(), GZIP);
  const results = {};
  const check = (name, ok, detail) => { results[name] = ok ? "ok" : "FAIL " + JSON.stringify(detail); };

  const big = pattern(300000, 7);
  const u = await new Promise((res) => c.unary(new Msg({ text: "hello", data: big }), (err, r) => res(err || r)));
  check("unary_gzip", u.text === "echo:hello" && u.count === 300000 && Buffer.compare(Buffer.from(u.data), big) === 0,
        { text: u.text, code: u.code });

  const f = await new Promise((res) => c.fail(new Msg({ text: "x" }), (err) => res(err)));
  check("unary_error", f && f.code === grpc.status.FAILED_PRECONDITION && f.details === "refused: x" &&
        f.metadata.get("x-why")[0] === "testing", f && { code: f.code, details: f.details });

  const streamed = await new Promise((res) => {
    const got = []; const call = c.serverStream(new Msg({ count: 50 }));
    call.on("data", (m) => got.push(m));
    call.on("error", () => {});
    call.on("status", (st) => res({ got, st }));
  });
  check("server_stream", streamed.st.code === grpc.status.OK && streamed.got.length === 50 &&
        streamed.got.every((m, i) => m.count === i && Buffer.compare(Buffer.from(m.data), pattern(20000, i)) === 0),
        { n: streamed.got.length, code: streamed.st.code });

  // The chat shape: send, wait for the answer, send again, and only then half-close.
  const chat = await new Promise((res) => {
    const call = c.chat();
    const answers = [];
    call.on("data", (m) => {
      answers.push(m.text);
      if (answers.length === 1) call.write(new Msg({ text: "second" }));
      else call.end();
    });
    call.on("error", () => {});
    call.on("status", (st) => res({ answers, st }));
    call.write(new Msg({ text: "first" }));
  });
  check("bidi_chat", chat.answers.join(",") === "answer:first,answer:second" &&
        chat.st.code === grpc.status.RESOURCE_EXHAUSTED && chat.st.details === "chat over" &&
        chat.st.metadata.get("x-turns")[0] === "2",
        { answers: chat.answers, code: chat.st.code, details: chat.st.details });

  console.log(JSON.stringify(results));
  c.close();
  process.exit(Object.values(results).every((v) => v === "ok") ? 0 : 1);
}

const [mode, arg] = process.argv.slice(2);
if (mode === "server") server(Number(arg));
else if (mode === "client") client(arg).catch((e) => { console.error(e); process.exit(2); });
else { console.error("usage: grpc_echo_peer.js server PORT | client HOST:PORT"); process.exit(2); }
