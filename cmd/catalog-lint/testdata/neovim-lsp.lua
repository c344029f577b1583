-- Drives `catalog-lint lsp` from Neovim's own LSP client (Neovim 0.7 and later), headless: open a
-- catalog file, wait for the diagnostic, ask for the code actions, apply the quick fix as the
-- editor applies it, and wait for the diagnostics to clear. What happened goes to $OUT, a line each.
local bin, file, out = os.getenv('CATALOG_LINT'), os.getenv('DOC'), os.getenv('OUT')
local lines = {}
local function say(s) table.insert(lines, s) end

local ok, err = pcall(function()
  vim.cmd('edit ' .. vim.fn.fnameescape(file))
  local bufnr = vim.api.nvim_get_current_buf()
  local id = vim.lsp.start_client({
    name = 'catalog-lint',
    cmd = { bin, 'lsp', '--stdio', '--offline' },
    root_dir = vim.fn.fnamemodify(file, ':h'),
  })
  vim.lsp.buf_attach_client(bufnr, id)
  say('attached ' .. tostring(vim.wait(15000, function() return #vim.diagnostic.get(bufnr) > 0 end, 50)))
  local diags = vim.diagnostic.get(bufnr)
  for _, d in ipairs(diags) do
    local lsp = (d.user_data and d.user_data.lsp) or {}
    local href = lsp.codeDescription and lsp.codeDescription.href or ''
    say(string.format('diagnostic %d:%d-%d:%d %s %s %s', d.lnum, d.col, d.end_lnum, d.end_col, tostring(lsp.code), href, d.message))
  end
  local d = diags[1]
  local client = vim.lsp.get_client_by_id(id)
  local params = {
    textDocument = vim.lsp.util.make_text_document_params(bufnr),
    range = { start = { line = d.lnum, character = d.col }, ['end'] = { line = d.end_lnum, character = d.end_col } },
    context = { diagnostics = { (d.user_data or {}).lsp } },
  }
  local resp = client.request_sync('textDocument/codeAction', params, 10000, bufnr)
  local fix
  for _, a in ipairs((resp and resp.result) or {}) do
    say('action ' .. a.kind .. ' ' .. a.title)
    if a.kind == 'quickfix' then fix = a end
  end
  vim.lsp.util.apply_workspace_edit(fix.edit, 'utf-16')
  say('line [' .. vim.api.nvim_buf_get_lines(bufnr, 5, 6, false)[1] .. ']')
  say('cleared ' .. tostring(vim.wait(15000, function() return #vim.diagnostic.get(bufnr) == 0 end, 50)))
end)
if not ok then say('error ' .. tostring(err)) end
vim.fn.writefile(lines, out)
vim.cmd('qa!')
