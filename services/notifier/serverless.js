// The notifier's Serverless Framework configuration, generated from its declaration (src/definition.ts).
require('tsx/cjs');
module.exports = require('@refinery/serverless-config').serverlessConfiguration(require('./src/definition.ts').notifier);
