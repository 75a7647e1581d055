// The library's policy files as the daemon uses them (src/lib/policy).
import type { Binding } from '../lib/binding.js';
import { applyPolicy, policyContext, policyDrift, policySha256, readPolicyFile, renderDiff, type PolicyDocument } from '../lib/policy/index.js';
import type { PolicyOps } from './daemon.js';

export function libraryPolicy(binding: Binding): PolicyOps<PolicyDocument> {
  const ctx = policyContext(binding);
  return {
    read: (path) => readPolicyFile(path, ctx),
    sha256: policySha256,
    apply: (monitor, doc) => renderDiff(applyPolicy(monitor, doc, { dryRun: false })),
    drift: policyDrift,
  };
}
