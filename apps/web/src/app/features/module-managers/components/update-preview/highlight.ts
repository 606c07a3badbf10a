/**
 * Syntax highlighting for the update diff: highlight.js core with the few languages the template
 * packs generate, imported on first use so that neither the first page load nor the module form
 * carries it (a chunk of its own, fetched when a diff is first shown).
 */
export type Highlight = (code: string, language: string) => string;

let loading: Promise<Highlight> | null = null;

export function loadHighlighter(): Promise<Highlight> {
  loading ??= (async () => {
    const [{ default: hljs }, ts, php, json, yaml, xml, css] = await Promise.all([
      import('highlight.js/lib/core'),
      import('highlight.js/lib/languages/typescript'),
      import('highlight.js/lib/languages/php'),
      import('highlight.js/lib/languages/json'),
      import('highlight.js/lib/languages/yaml'),
      import('highlight.js/lib/languages/xml'),
      import('highlight.js/lib/languages/css'),
    ]);
    hljs.registerLanguage('typescript', ts.default);
    hljs.registerLanguage('php', php.default);
    hljs.registerLanguage('json', json.default);
    hljs.registerLanguage('yaml', yaml.default);
    hljs.registerLanguage('xml', xml.default);
    hljs.registerLanguage('css', css.default);
    // highlight.js escapes the code it is given: its output is text and <span class="hljs-…"> only.
    return (code, language) => hljs.highlight(code, { language, ignoreIllegals: true }).value;
  })();
  loading.catch(() => (loading = null));
  return loading;
}
