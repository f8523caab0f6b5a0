// Validates Argo CD Applications against the Application CRD's schema (@kubernetes-models/argo-cd).
// Reads {"name": application, ...} as JSON on stdin; prints a line per application; exits 1 on any
// invalid one.
const { Application } = require("@kubernetes-models/argo-cd/argoproj.io/v1alpha1");

const applications = JSON.parse(require("fs").readFileSync(0, "utf8"));
let invalid = 0;
for (const [name, application] of Object.entries(applications)) {
  try {
    new Application(application).validate();
    console.log(`${name}: valid`);
  } catch (error) {
    invalid += 1;
    console.log(`${name}: ${error.message}`);
  }
}
process.exit(invalid ? 1 : 0);
