// A hand-written Connect service definition (no code generation): one
// message type built with @bufbuild/protobuf's runtime, four methods.
"use strict";
const { proto3, MethodKind } = require("@bufbuild/protobuf");

const Msg = proto3.makeMessageType("test.Msg", [
  { no: 1, name: "text", kind: "scalar", T: 9 /* string */ },
  { no: 2, name: "data", kind: "scalar", T: 12 /* bytes */ },
  { no: 3, name: "count", kind: "scalar", T: 5 /* int32 */ },
]);

const EchoService = {
  typeName: "test.EchoService",
  methods: {
    unary: { name: "Unary", I: Msg, O: Msg, kind: MethodKind.Unary },
    fail: { name: "Fail", I: Msg, O: Msg, kind: MethodKind.Unary },
    serverStream: { name: "ServerStream", I: Msg, O: Msg, kind: MethodKind.ServerStreaming },
    chat: { name: "Chat", I: Msg, O: Msg, kind: MethodKind.BiDiStreaming },
  },
};

// Deterministic bytes so both ends can check contents byte for byte.
function pattern(n, seed) {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}

module.exports = { Msg, EchoService, pattern };
