// The catalog-lint extension starts `catalog-lint lsp --stdio` for YAML files and hands its
// diagnostics, quick fixes, definitions, completions and hovers to VS Code through its language
// client. The server does the work; see docs/editors.md.
'use strict';
const { workspace } = require('vscode');
const { LanguageClient } = require('vscode-languageclient/node');

let client;

function activate(context) {
  const config = workspace.getConfiguration('catalogLint');
  const args = ['lsp', '--stdio'];
  if (config.get('offline')) {
    args.push('--offline');
  }
  const server = { command: config.get('path') || 'catalog-lint', args };
  client = new LanguageClient('catalogLint', 'catalog-lint', { run: server, debug: server }, {
    documentSelector: [{ scheme: 'file', language: 'yaml' }],
  });
  context.subscriptions.push(client);
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
