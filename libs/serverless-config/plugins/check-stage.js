// A Serverless Framework plugin of every generated service: refuses, before anything is packaged or deployed, a stage
// whose name would break a resource name somewhere (S3's 63 characters for bucket names, lower case only), instead of
// CloudFormation failing halfway through a deploy. The rule is libs/serverless-config/src/aws-regions.ts
// (MAX_STAGE_LENGTH); test/infrastructure checks every resource name against its limit with the longest stage it allows.

// The generated serverless.js registers tsx before the framework loads plugins.
const { stageProblem } = require('../src/aws-regions.ts');

class CheckStage {
  constructor(serverless) {
    const check = () => {
      const problem = stageProblem(serverless.service.provider.stage);
      if (problem) throw new serverless.classes.Error(`${problem}. Choose another stage (--stage).`);
    };
    this.hooks = { 'before:package:initialize': check, 'before:deploy:deploy': check };
  }
}

module.exports = CheckStage;
