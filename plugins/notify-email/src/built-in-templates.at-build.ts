import Handlebars from "handlebars";
import { compileOptions } from "./compile-options.ts";
import { DEFAULT_HTML, DEFAULT_TEXT } from "./default-mail.ts";
import { notifyEmailSettings } from "./settings.ts";

/**
 * The built-in templates (HTML and text body, subject), compiled to Handlebars template specs.
 * The bundle holds the specs this module computes when the bundle is made (scripts/build.ts runs
 * `*.at-build.ts` modules then), so a run renders them with the Handlebars runtime alone and never
 * loads the compiler and its parser for them.
 */

export interface BuiltInTemplate {
  source: string;
  html: boolean;
  spec: TemplateSpecification;
}

type TemplateSpecification = Parameters<typeof Handlebars.template>[0];

function precompiled(source: string, html: boolean): BuiltInTemplate {
  // precompile gives the spec as JavaScript source; Handlebars.compile evaluates its own the same way.
  const spec = new Function(
    `return ${Handlebars.precompile(source, compileOptions(html))};`,
  )() as TemplateSpecification;
  return { source, html, spec };
}

const subject = notifyEmailSettings.subject.default;

export const builtInTemplates: BuiltInTemplate[] = [
  precompiled(DEFAULT_HTML, true),
  precompiled(DEFAULT_TEXT, false),
  ...(typeof subject === "string" ? [precompiled(subject, false)] : []),
];
