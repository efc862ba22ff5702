// tsc over the JavaScript suites, their helpers and scripts/ (tests/tsconfig.json: checkJs, with the relaxations noted there).
// The program also holds what they import: TypeScript files, which `tsc --noEmit` already checks with the
// project's strict options, and a few helpers of src/testing, which `tsc -p src/testing` checks with the package's
// own options. Only the suites' own diagnostics are reported, and any of them fails the run.
import ts from 'typescript';

const configPath = 'tests/tsconfig.json';
/** @param {string} fileName */
const reported = (fileName) => /\.m?js$/.test(fileName) && !/[\\/]src[\\/]testing[\\/]/.test(fileName);

const read = ts.readConfigFile(configPath, (path) => ts.sys.readFile(path));
if (read.error) throw new Error(ts.flattenDiagnosticMessageText(read.error.messageText, '\n'));
const parsed = ts.parseJsonConfigFileContent(/** @type {unknown} */ (read.config), ts.sys, 'tests');
const program = ts.createProgram({ rootNames: parsed.fileNames, options: parsed.options });
const diagnostics = [...parsed.errors, ...ts.getPreEmitDiagnostics(program)].filter((d) => !d.file || reported(d.file.fileName));
if (diagnostics.length > 0) {
  /** @type {ts.FormatDiagnosticsHost} */
  const host = { getCanonicalFileName: (f) => f, getCurrentDirectory: () => ts.sys.getCurrentDirectory(), getNewLine: () => ts.sys.newLine };
  process.stdout.write(ts.formatDiagnosticsWithColorAndContext(diagnostics, host));
  console.log(`\n${diagnostics.length} error(s) in the JavaScript suites (${configPath}).`);
  process.exitCode = 1;
}
