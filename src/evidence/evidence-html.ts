// The evidence as one self-contained HTML page (no script, no external
// style, font or image: it can be mailed, archived and opened offline): a
// summary per framework, then one section per running Wasm task with its
// grants, signer, provenance, SBOM, policy decision, capability drift and
// the controls they support. Every value is escaped.
import type { SignerFacts } from '../policy/input-document.js';
import type { ClusterEvidence, TaskEvidence } from './collect-evidence.js';

const STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 72em; color: #1b1b1b; }
h1 { font-size: 1.6em; } h2 { font-size: 1.25em; margin-top: 2em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: .5em 0 1em; width: 100%; }
th, td { border: 1px solid #d0d0d0; padding: .3em .5em; text-align: left; vertical-align: top; }
th { background: #f2f2f2; width: 14em; }
code { font: 12px ui-monospace, monospace; word-break: break-all; }
.ok { color: #1a7f37; } .gap { color: #b35900; } .deny { color: #b00020; } .muted { color: #666; }
`;

export function evidenceHtml(evidence: ClusterEvidence): string {
  const frameworks = summary(evidence.tasks);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Wasm workload evidence — ${esc(evidence.nomad)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>Wasm workload evidence</h1>
<p class="muted">Nomad ${esc(evidence.nomad)} · generated ${esc(evidence.generated_at)} by nomad-wasm evidence · ${evidence.tasks.length} running Wasm task(s)</p>
<h2>Controls</h2>
<table id="controls">
<tr><th>Framework</th><th>Control</th><th>Title</th><th>Tasks evidenced</th></tr>
${frameworks.map((f) => `<tr><td>${esc(f.framework)}</td><td>${esc(f.control)}</td><td>${esc(f.title)}</td><td class="${f.evidenced === f.total ? 'ok' : 'gap'}">${f.evidenced} of ${f.total}</td></tr>`).join('\n')}
</table>
${evidence.tasks.map(taskSection).join('\n')}
</body>
</html>
`;
}

function taskSection(task: TaskEvidence): string {
  const g = task.grants;
  const list = (items: readonly string[]): string =>
    items.length === 0 ? '<span class="muted">none</span>' : items.map((i) => `<code>${esc(i)}</code>`).join(', ');
  const drift = Object.entries(task.drift.added);
  return `<section class="task" data-job="${esc(task.job)}" data-task="${esc(task.task)}">
<h2>${esc(task.namespace)} / ${esc(task.job)} / ${esc(task.group)} / ${esc(task.task)}</h2>
<table>
<tr><th>Allocation</th><td><code>${esc(task.alloc_id)}</code> on ${esc(task.node)} (job version ${task.job_version})</td></tr>
<tr><th>Component</th><td><code>${esc(task.component)}</code>${task.digest ? `<br><code>${esc(task.digest)}</code>` : ''}</td></tr>
<tr><th>Environment</th><td>${list(g.env)}</td></tr>
<tr><th>Mounts</th><td>${list(g.mounts.map((m) => `${m.source} → ${m.destination} (${m.readonly ? 'read-only' : 'read-write'})`))}</td></tr>
<tr><th>Outbound HTTP</th><td>${list(g.allow_http)}</td></tr>
<tr><th>Services by name</th><td>${list(g.allow_services)}</td></tr>
<tr><th>Key-value stores</th><td>${list((g.key_value_stores ?? []).map((s) => `${s.label} → ${s.consul_prefix}/`))}</td></tr>
<tr><th>Secrets</th><td>${list(g.secrets.map((s) => `${s.name} = ${s.path}${s.field ? `#${s.field}` : ''}`))}</td></tr>
<tr><th>Config keys</th><td>${list([...g.config_keys, ...g.config_values])}</td></tr>
<tr><th>Sockets</th><td>never granted</td></tr>
<tr><th>Memory ceiling</th><td>${g.memory_max_mb === null ? '<span class="muted">unset</span>' : `${g.memory_max_mb} MiB`}</td></tr>
<tr><th>Signer</th><td>${signerText(task.signer)}</td></tr>
<tr><th>Provenance</th><td>${task.provenance.length === 0 ? '<span class="muted">none attested</span>' : task.provenance.map((p) => `built by <code>${esc(p.builder_id ?? '?')}</code> from <code>${esc(p.source.repository ?? '?')}${p.source.ref ? `@${esc(p.source.ref)}` : ''}</code>`).join('<br>')}</td></tr>
<tr><th>SBOM</th><td>${task.sbom.length === 0 ? '<span class="muted">none attested</span>' : task.sbom.map((s) => `${esc(s.format)}: ${s.component_count} packages; licences ${list(s.licenses)}`).join('<br>')}</td></tr>
<tr><th>Policy decision</th><td>${policyText(task)}</td></tr>
<tr><th>Grants added since version ${task.drift.previous_version ?? '—'}</th><td>${task.drift.previous_version === null ? '<span class="muted">no previous version</span>' : drift.length === 0 ? 'none' : drift.map(([k, v]) => `${esc(k)}: ${list(v)}`).join('<br>')}</td></tr>
</table>
<table class="controls">
<tr><th>Framework</th><th>Control</th><th>Status</th><th>Why</th></tr>
${task.controls.map((c) => `<tr><td>${esc(c.framework)}</td><td>${esc(c.control)} ${esc(c.title)}</td><td class="${c.status === 'evidenced' ? 'ok' : 'gap'}">${c.status}</td><td>${esc(c.why)}</td></tr>`).join('\n')}
</table>
</section>`;
}

function signerText(signer: SignerFacts | string | null): string {
  if (signer === null) return '<span class="gap">not verified</span>';
  if (typeof signer === 'string') return esc(signer);
  return signer.kind === 'key'
    ? `key <code>${esc(signer.key_fingerprint)}</code>`
    : `${esc(signer.subject)} (issuer ${esc(signer.issuer)})`;
}

function policyText(task: TaskEvidence): string {
  const p = task.policy;
  if (p === null) return '<span class="muted">no policy on this node</span>';
  const reasons = [
    ...p.deny.map((m) => `<span class="deny">${esc(m.code ? `[${m.code}] ${m.msg}` : m.msg)}</span>`),
    ...p.warn.map((m) => esc(`warning: ${m.code ? `[${m.code}] ` : ''}${m.msg}`)),
  ];
  return `${esc(p.outcome)} (decision <code>${esc(p.decision_id)}</code>, input <code>${esc(p.input_digest)}</code>)${reasons.length > 0 ? `<br>${reasons.join('<br>')}` : ''}`;
}

interface ControlSummary {
  framework: string;
  control: string;
  title: string;
  evidenced: number;
  total: number;
}

/** Per control, how many tasks it applies to and how many have evidence for it (any of its rows). */
function summary(tasks: readonly TaskEvidence[]): ControlSummary[] {
  const rows = new Map<string, ControlSummary>();
  for (const task of tasks) {
    const perTask = new Map<string, { title: string; framework: string; control: string; evidenced: boolean }>();
    for (const c of task.controls) {
      const key = `${c.framework}\u0000${c.control}`;
      const seen = perTask.get(key);
      perTask.set(key, { ...c, evidenced: (seen?.evidenced ?? false) || c.status === 'evidenced' });
    }
    for (const [key, c] of perTask) {
      const row = rows.get(key) ?? {
        framework: c.framework,
        control: c.control,
        title: c.title,
        evidenced: 0,
        total: 0,
      };
      row.total += 1;
      if (c.evidenced) row.evidenced += 1;
      rows.set(key, row);
    }
  }
  return [...rows.values()].sort((a, b) => `${a.framework} ${a.control}`.localeCompare(`${b.framework} ${b.control}`));
}

export function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
