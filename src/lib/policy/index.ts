// Policy files: a versioned document (YAML or JSON) with the mode, exit
// events and the policy's rules; read and checked, compared with what the
// module runs, applied in one replacement, shown in the same format.
export {
  POLICY_API_VERSION,
  POLICY_KIND,
  POLICY_RULE_KEYS,
  canonicalJson,
  normalDocument,
  normalRule,
  parsePolicyTag,
  policySha256,
  policyTag,
  type PolicyDocument,
  type PolicyRule,
} from './document.js';
export { readPolicyFile, parsePolicy, policyContext, policySchema, maxPolicyName, type PolicyContext } from './file.js';
export { applyPolicy, diffPolicies, policyDrift, runningPolicy, type PolicyDiff, type RuleChange } from './apply.js';
export { renderDiff, renderPolicy } from './render.js';
