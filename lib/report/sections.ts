/** Reports as sections of tables and lines, rendered for a terminal or as Markdown: `report` and `capacity` share them. */

/** A section: a title, then a table (header and rows; columns after the first are right-aligned unless text). */
export interface Section {
  title: string;
  header?: string[];
  rows?: string[][];
  /** Columns aligned left (text); the others are numbers, aligned right. */
  textColumns?: number[];
  /** Lines instead of, or after, the table. */
  lines?: string[];
  /** What to print when there is nothing. */
  empty?: string;
}

function textTable(section: Section): string[] {
  const rows = [section.header!, ...section.rows!];
  const widths = section.header!.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length)));
  const text = new Set(section.textColumns ?? [0]);
  return rows.map((row) =>
    `  ${row.map((cell, i) => (text.has(i) ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ')}`.trimEnd(),
  );
}

/** `head` lines, then each section: its title, aligned columns, its lines. */
export function renderText(head: string[], sections: Section[]): string {
  const out = [...head];
  for (const section of sections) {
    out.push('', section.title);
    const hasRows = section.rows !== undefined && section.rows.length > 0;
    if (hasRows) out.push(...textTable(section));
    if (section.lines && section.lines.length > 0) out.push(...section.lines.map((line) => `  ${line}`));
    if (!hasRows && !(section.lines && section.lines.length > 0) && section.empty) out.push(`  ${section.empty}`);
  }
  return out.join('\n');
}

const cellMd = (cell: string) => cell.replace(/\|/g, '\\|');

/** A `title` heading, a `subtitle` in italics, then each section as a heading, a GitHub table and a list. */
export function renderMarkdown(title: string, subtitle: string, sections: Section[]): string {
  const out = [`# ${title}`, '', `_${subtitle}_`];
  for (const section of sections) {
    out.push('', `## ${section.title}`, '');
    const hasRows = section.rows !== undefined && section.rows.length > 0;
    if (hasRows) {
      const text = new Set(section.textColumns ?? [0]);
      out.push(`| ${section.header!.map(cellMd).join(' | ')} |`);
      out.push(`| ${section.header!.map((_, i) => (text.has(i) ? '---' : '---:')).join(' | ')} |`);
      for (const row of section.rows!) out.push(`| ${row.map(cellMd).join(' | ')} |`);
    }
    if (section.lines && section.lines.length > 0) {
      if (hasRows) out.push('');
      for (const line of section.lines) {
        const indent = line.startsWith('  ') ? '  ' : '';
        out.push(`${indent}- ${line.trim()}`);
      }
    }
    if (!hasRows && !(section.lines && section.lines.length > 0) && section.empty) out.push(`_${section.empty}_`);
  }
  return out.join('\n');
}
