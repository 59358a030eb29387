// A Serverless Framework plugin of every service with a WebSocket API (the generated configuration lists it).
//
// As soon as a function has a `websocket` event, Serverless Framework 3 grants every function of the stack
// execute-api:ManageConnections on `arn:${AWS::Partition}:execute-api:*:*:*/@connections/*` — every WebSocket API of
// the account, in every region (node_modules/serverless/lib/plugins/aws/package/compile/events/websockets/lib/api.js,
// with no setting to turn it off). The generated configuration grants what the service needs instead (POST to the
// connections of its own API and stage, statement PostToOwnSocketConnections); this removes the framework's grant.
// test/infrastructure/cloudformation.test.ts fails if a wildcard grant is ever packaged again.

const FRAMEWORK_GRANT = 'arn:${AWS::Partition}:execute-api:*:*:*/@connections/*';

class DropWildcardSocketGrant {
  constructor(serverless) {
    this.hooks = { 'after:package:compileEvents': () => this.drop(serverless) };
  }

  drop(serverless) {
    const role = serverless.service.provider.compiledCloudFormationTemplate.Resources.IamRoleLambdaExecution;
    if (!role) return;
    for (const policy of role.Properties.Policies) {
      policy.PolicyDocument.Statement = policy.PolicyDocument.Statement.filter(
        (statement) =>
          !(Array.isArray(statement.Resource) && statement.Resource.some((resource) => resource && resource['Fn::Sub'] === FRAMEWORK_GRANT)),
      );
    }
  }
}

module.exports = DropWildcardSocketGrant;
