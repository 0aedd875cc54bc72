// The document store of the AI-governance service: policies, standards and checklists that agents search, read,
// summarise and check against regulatory frameworks. In memory, so the demo needs nothing but Node.js.

/** The documents, by id. `controls` are the framework controls each one addresses. */
export const DOCUMENTS = [
  {
    id: 'ai-acceptable-use',
    title: 'AI Acceptable Use Policy',
    controls: ['ai-policy', 'transparency', 'govern'],
    body:
      'Employees may use approved generative AI tools for drafting, research and code assistance. ' +
      'Confidential client data must never be entered into tools that are not on the approved list. ' +
      'Outputs that inform decisions about people must be reviewed by a qualified human before use. ' +
      'Every AI-assisted deliverable is labelled as such, and prompts that contain personal data are logged for audit.',
  },
  {
    id: 'model-risk-management',
    title: 'Model Risk Management Standard',
    controls: ['risk-management-system', 'risk-assessment', 'map', 'measure', 'manage'],
    body:
      'Every model in production has an owner, a risk tier and a validation report. ' +
      'High-risk models are validated independently before release and revalidated every year or after a material change. ' +
      'Model inventories record intended use, known limitations, performance metrics and monitoring thresholds. ' +
      'Drift in inputs or outcomes beyond the agreed thresholds opens a model risk incident.',
  },
  {
    id: 'training-data-retention',
    title: 'Training Data Governance and Retention',
    controls: ['data-governance', 'record-keeping', 'map'],
    body:
      'Training and evaluation datasets are catalogued with their provenance, licence and legal basis. ' +
      'Personal data in training sets is minimised, pseudonymised where possible and retained for at most five years. ' +
      'Dataset versions used for each released model are kept so that results can be reproduced. ' +
      'Deletion requests are propagated to derived datasets within thirty days.',
  },
  {
    id: 'ai-incident-response',
    title: 'AI Incident Response Procedure',
    controls: ['incident-management', 'manage', 'record-keeping'],
    body:
      'An AI incident is any event in which an AI system causes or nearly causes harm, a legal breach or a major outage. ' +
      'The on-call engineer triages within fifteen minutes, contains the system, and informs the model owner. ' +
      'Serious incidents are reported to the regulator within fifteen days. ' +
      'Every incident ends with a blameless post-incident review and tracked corrective actions.',
  },
  {
    id: 'vendor-model-assessment',
    title: 'Third-Party Model and Vendor Assessment',
    controls: ['supplier-management', 'risk-assessment', 'govern'],
    body:
      'Foundation models and AI services from vendors are assessed before procurement. ' +
      'The assessment covers data handling, security certifications, model documentation, and the right to audit. ' +
      'Contracts require notice of material model changes and of incidents affecting our data. ' +
      'Vendors are reassessed annually and whenever their risk tier changes.',
  },
  {
    id: 'human-oversight',
    title: 'Human Oversight of Automated Decisions',
    controls: ['human-oversight', 'transparency', 'impact-assessment', 'govern'],
    body:
      'Automated decisions with legal or similarly significant effects always allow a human to intervene. ' +
      'Reviewers are trained to recognise automation bias and have the authority to override the system. ' +
      'Affected people are told when a decision was automated and how to contest it. ' +
      'Override rates are monitored; a falling rate triggers a review of reviewer workload.',
  },
  {
    id: 'bias-testing',
    title: 'Bias and Fairness Testing Guideline',
    controls: ['measure', 'impact-assessment', 'data-governance'],
    body:
      'Models that affect people are tested for disparate performance across protected groups before release. ' +
      'Fairness metrics, thresholds and the groups tested are recorded in the validation report. ' +
      'Where ground truth is missing, proxy analysis and qualitative review are documented instead. ' +
      'Failing tests block release unless the risk committee accepts a documented mitigation.',
  },
  {
    id: 'eu-ai-act-readiness',
    title: 'EU AI Act Readiness Checklist',
    controls: ['risk-management-system', 'data-governance', 'transparency', 'human-oversight', 'record-keeping'],
    body:
      'Classify each AI system by the risk categories of the EU AI Act and record the rationale. ' +
      'High-risk systems need a risk management system, data governance, technical documentation and logging. ' +
      'Providers register high-risk systems in the EU database before placing them on the market. ' +
      'General-purpose AI models need technical documentation and a summary of their training content.',
  },
];

/** Document ids, for tool schemas: an enum lets any client (and the load generator) pick valid ids. */
export const DOCUMENT_IDS = DOCUMENTS.map((doc) => doc.id);

const byId = new Map(DOCUMENTS.map((doc) => [doc.id, doc]));

/** The document `id`, or undefined. */
export function documentById(id) {
  return byId.get(id);
}

const words = (text) => text.toLowerCase().match(/[a-z0-9]+/g) ?? [];

/**
 * Documents matching `query`, best first: a term in the title counts three times, one in the body once.
 * @returns {{ id: string, title: string, score: number, snippet: string }[]}
 */
export function searchDocuments(query, limit) {
  const terms = new Set(words(query));
  const results = [];
  for (const doc of DOCUMENTS) {
    let score = 0;
    for (const word of words(doc.title)) if (terms.has(word)) score += 3;
    for (const word of words(doc.body)) if (terms.has(word)) score += 1;
    if (score > 0) {
      const sentence = doc.body.split('. ').find((s) => words(s).some((w) => terms.has(w))) ?? doc.body;
      results.push({ id: doc.id, title: doc.title, score, snippet: sentence.replace(/\.?$/, '.') });
    }
  }
  return results.sort((a, b) => b.score - a.score || a.id.localeCompare(b.id)).slice(0, limit);
}

/** The first `maxWords` words of a document, as a naive extractive summary. */
export function summarise(doc, maxWords) {
  const all = doc.body.split(/\s+/);
  return all.length <= maxWords ? doc.body : `${all.slice(0, maxWords).join(' ')} …`;
}
