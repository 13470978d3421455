// gRPC peer (@grpc/grpc-js) over HTTP/2 cleartext, with a hand-written
// service definition whose messages are raw bytes (no protobuf codegen).
//   node grpc_peer.js server PORT    prints "ready"
//   node grpc_peer.js client HOST:PORT  runs every scenario, prints one JSON
//                                       object of results, exits 1 on a mismatch
// Environment: PEER_TLS_CERT/PEER_TLS_KEY make the server speak TLS; PEER_CA
// makes the client use TLS trusting that CA (with grpc_proxy for a CONNECT proxy).
"use strict";
const fs = require("node:fs");
const grpc = require("@grpc/grpc-js");
const { pattern } = require("./echo_service");

const raw = { requestSerialize: (b) => b, requestDeserialize: (b) => b,
              responseSerialize: (b) => b, responseDeserialize: (b) => b };
const definition = {
  unary: { path: "/test.Raw/Unary", requestStream: false, responseStream: false, ...raw },
  stream: { path: "/test.Raw/Stream", requestStream: false, responseStream: true, ...raw },
  streamThenFail: { path: "/test.Raw/StreamThenFail", requestStream: false, responseStream: true, ...raw },
  failNow: { path: "/test.Raw/FailNow", requestStream: false, responseStream: false, ...raw },
};

function server(port) {
  const s = new grpc.Server();
  s.addService(definition, {
    unary(call, cb) { cb(null, Buffer.concat([Buffer.from("echo:"), call.request])); },
    stream(call) {
      const n = call.request.readUInt32BE(0);
      for (let i = 0; i < n; i++) call.write(pattern(10000, i));
      call.end();
    },
    streamThenFail(call) {
      call.write(Buffer.from("one"));
      call.write(Buffer.from("two"));
      const md = new grpc.Metadata();
      md.set("x-reason", "quota");
      md.set("x-blob-bin", Buffer.from([0, 1, 2, 255]));
      call.emit("error", { code: grpc.status.RESOURCE_EXHAUSTED, details: "slow down", metadata: md });
    },
    failNow(call, cb) {
      // No response headers yet: grpc-js answers trailers-only (one HEADERS frame with END_STREAM).
      const md = new grpc.Metadata();
      md.set("x-missing", call.request.toString());
      cb({ code: grpc.status.NOT_FOUND, details: "no such thing", metadata: md });
    },
  });
  const credentials = process.env.PEER_TLS_CERT
    ? grpc.ServerCredentials.createSsl(null, [{ cert_chain: fs.readFileSync(process.env.PEER_TLS_CERT),
                                                private_key: fs.readFileSync(process.env.PEER_TLS_KEY) }])
    : grpc.ServerCredentials.createInsecure();
  s.bindAsync(`127.0.0.1:${port}`, credentials, (err) => {
    if (err) { console.error(err); process.exit(2); }
    console.log("ready");
  });
}

async function client(target) {
  const Client = grpc.makeGenericClientConstructor(definition, "Raw");
  // With PEER_CA: TLS trusting it (grpc-js goes through grpc_proxy=http://host:port itself).
  const credentials = process.env.PEER_CA
    ? grpc.credentials.createSsl(fs.readFileSync(process.env.PEER_CA))
    : grpc.credentials.createInsecure();
  const c = new Client(target, credentials);
  const results = {};
  const check = (name, ok, detail) => { results[name] = ok ? "ok" : "FAIL " + JSON.stringify(detail); };

  const reply = await new Promise((res) => c.unary(pattern(100000, 3), (err, r) => res(err || r)));
  check("unary", Buffer.isBuffer(reply) && Buffer.compare(reply, Buffer.concat([Buffer.from("echo:"), pattern(100000, 3)])) === 0,
        String(reply).slice(0, 80));

  const count = Buffer.alloc(4); count.writeUInt32BE(40);
  const streamed = await new Promise((res) => {
    const got = []; const call = c.stream(count);
    call.on("data", (d) => got.push(d));
    call.on("status", (st) => res({ got, st }));
    call.on("error", () => {});
  });
  check("server_stream", streamed.st.code === 0 && streamed.got.length === 40 &&
        streamed.got.every((d, i) => Buffer.compare(d, pattern(10000, i)) === 0),
        { n: streamed.got.length, code: streamed.st.code });

  const failed = await new Promise((res) => {
    const got = []; const call = c.streamThenFail(Buffer.alloc(0));
    call.on("data", (d) => got.push(d.toString()));
    call.on("error", () => {});
    call.on("status", (st) => res({ got, st }));
  });
  const blob = failed.st.metadata.get("x-blob-bin")[0];
  check("non_ok_status_with_trailers",
        failed.got.join(",") === "one,two" && failed.st.code === grpc.status.RESOURCE_EXHAUSTED &&
        failed.st.details === "slow down" && failed.st.metadata.get("x-reason")[0] === "quota" &&
        Buffer.isBuffer(blob) && Buffer.compare(blob, Buffer.from([0, 1, 2, 255])) === 0,
        { got: failed.got, code: failed.st.code, details: failed.st.details, md: failed.st.metadata.getMap() });

  const only = await new Promise((res) => c.failNow(Buffer.from("widget"), (err) => res(err)));
  check("trailers_only", only && only.code === grpc.status.NOT_FOUND && only.details === "no such thing" &&
        only.metadata.get("x-missing")[0] === "widget",
        only && { code: only.code, details: only.details });

  console.log(JSON.stringify(results));
  c.close();
  process.exit(Object.values(results).every((v) => v === "ok") ? 0 : 1);
}

const [mode, arg] = process.argv.slice(2);
if (mode === "server") server(Number(arg));
else if (mode === "client") client(arg).catch((e) => { console.error(e); process.exit(2); });
else { console.error("usage: grpc_peer.js server PORT | client HOST:PORT"); process.exit(2); }
