import { renderTemplate } from "@hangar/kit";
import { type Document, isMap, isScalar, Scalar, visit } from "yaml";

/**
 * `{{ … }}` placeholders, rendered into a manifest after it is parsed: only into the text of
 * scalars (keys and values), never into the YAML source. Whatever a placeholder holds (a commit
 * message with `"\n---\n` and a ClusterRoleBinding) stays one string; it can never add a
 * document, a key or any structure.
 */

export type Vars = Readonly<Record<string, string | number | undefined>>;

const PLACEHOLDER_TEXT = /^\s*[\w.-]+(?:\s*\|\s*\w+)*\s*$/;

/**
 * `replicas: {{ replicas }}` unquoted is, to YAML, a flow map in a flow map. Such a node that is
 * exactly one placeholder becomes the rendered scalar: a number or boolean when the text is one
 * (so `replicas` stays a number), a string otherwise. Returns the placeholder, or undefined.
 */
function barePlaceholder(node: unknown): string | undefined {
  if (!isMap(node) || !node.flow || node.items.length !== 1) return undefined;
  const [outer] = node.items;
  if (!outer || (outer.value !== null && !(isScalar(outer.value) && outer.value.value === null)))
    return undefined;
  const inner = outer.key;
  if (!isMap(inner) || !inner.flow || inner.items.length !== 1) return undefined;
  const [pair] = inner.items;
  if (
    !pair ||
    !isScalar(pair.key) ||
    (pair.value !== null && !(isScalar(pair.value) && pair.value.value === null))
  )
    return undefined;
  const text = pair.key.value;
  return typeof text === "string" && PLACEHOLDER_TEXT.test(text) ? `{{ ${text.trim()} }}` : undefined;
}

/** The rendered text of a bare placeholder as the scalar YAML would read it: no structure, ever. */
function asScalar(text: string): string | number | boolean {
  if (/^-?(0|[1-9]\d{0,14})$/.test(text)) return Number(text);
  if (text === "true" || text === "false") return text === "true";
  return text;
}

/** Renders every placeholder of a parsed document in place; returns the problems (unknown names …). */
export function renderDocument(document: Document, vars: Vars): string[] {
  const problems: string[] = [];
  const render = (text: string): string | undefined => {
    try {
      return renderTemplate(text, vars);
    } catch (error) {
      problems.push((error as Error).message);
      return undefined;
    }
  };
  visit(document, {
    Map(_key, node) {
      const placeholder = barePlaceholder(node);
      if (placeholder === undefined) return undefined;
      const rendered = render(placeholder);
      return new Scalar(rendered === undefined ? "" : asScalar(rendered));
    },
    Scalar(_key, node) {
      if (typeof node.value !== "string" || !node.value.includes("{{")) return;
      const rendered = render(node.value);
      if (rendered !== undefined) node.value = rendered;
    },
  });
  return problems;
}
