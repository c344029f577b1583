// Drives `catalog-lint lsp` with the client library VS Code's language client is built on
// (vscode-languageserver-protocol over vscode-jsonrpc): initialize, open a catalog file, wait for its
// diagnostics, ask for code actions, apply the quick fix, send the change, wait for the diagnostics to
// clear, shut down. Prints what happened as one JSON object. Env: CATALOG_LINT (the binary), DOC.
'use strict';
const { spawn } = require('child_process');
const fs = require('fs');
const path = require('path');
const rpc = require('vscode-jsonrpc/node');
const p = require('vscode-languageserver-protocol');

const bin = process.env.CATALOG_LINT;
const doc = process.env.DOC;
const uri = 'file://' + doc;
let text = fs.readFileSync(doc, 'utf8');

const server = spawn(bin, ['lsp', '--stdio', '--offline'], { cwd: path.dirname(doc), stdio: ['pipe', 'pipe', 'inherit'] });
const exited = new Promise((resolve) => server.on('exit', (code) => resolve(code)));
const conn = rpc.createMessageConnection(new rpc.StreamMessageReader(server.stdout), new rpc.StreamMessageWriter(server.stdin));

const published = [];
let wake = () => {};
conn.onNotification(p.PublishDiagnosticsNotification.type, (params) => { published.push(params); wake(); });
conn.listen();

function diagnosticsOf(version, ms) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no diagnostics for version ' + version)), ms);
    const look = () => {
      const found = published.find((d) => d.version === version);
      if (found) { clearTimeout(timer); resolve(found); }
    };
    wake = look;
    look();
  });
}

// offset of an LSP position in ASCII text (the test's document is ASCII).
function offset(s, pos) {
  const lines = s.split('\n');
  let off = 0;
  for (let i = 0; i < pos.line; i++) off += lines[i].length + 1;
  return off + pos.character;
}

(async () => {
  const out = {};
  const init = await conn.sendRequest(p.InitializeRequest.type, { processId: process.pid, rootUri: 'file://' + path.dirname(doc), capabilities: {} });
  out.server = init.serverInfo && init.serverInfo.name;
  out.fixAllKind = (init.capabilities.codeActionProvider.codeActionKinds || []).includes(p.CodeActionKind.SourceFixAll);
  conn.sendNotification(p.InitializedNotification.type, {});
  conn.sendNotification(p.DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: 'yaml', version: 1, text } });
  const first = await diagnosticsOf(1, 20000);
  out.diagnostics = first.diagnostics.map((d) => ({ code: d.code, severity: d.severity, range: d.range, href: d.codeDescription && d.codeDescription.href }));
  const actions = await conn.sendRequest(p.CodeActionRequest.type, {
    textDocument: { uri }, range: first.diagnostics[0].range, context: { diagnostics: first.diagnostics },
  });
  out.actions = actions.map((a) => a.kind);
  const fix = actions.find((a) => a.kind === p.CodeActionKind.QuickFix);
  const edits = fix.edit.changes[uri].slice().sort((a, b) => offset(text, b.range.start) - offset(text, a.range.start));
  for (const e of edits) {
    text = text.slice(0, offset(text, e.range.start)) + e.newText + text.slice(offset(text, e.range.end));
  }
  out.line = text.split('\n')[5];
  conn.sendNotification(p.DidChangeTextDocumentNotification.type, { textDocument: { uri, version: 2 }, contentChanges: [{ text }] });
  out.after = (await diagnosticsOf(2, 20000)).diagnostics.length;
  await conn.sendRequest(p.ShutdownRequest.type);
  conn.sendNotification(p.ExitNotification.type);
  out.exitCode = await exited;
  process.stdout.write(JSON.stringify(out) + '\n');
  process.exit(0);
})().catch((err) => {
  process.stdout.write(JSON.stringify({ error: String(err) }) + '\n');
  server.kill();
  process.exit(1);
});
