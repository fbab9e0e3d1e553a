// Starts GraphiQL with the endpoint and analyst examples the page carries as JSON.
// A file of its own (not inline) so the page's Content-Security-Policy can be script-src 'self'.
(function () {
  const config = JSON.parse(document.getElementById("cdp-graphiql-config").textContent);
  const fetcher = GraphiQL.createFetcher({ url: config.endpoint });
  const explorer = GraphiQLPluginExplorer.explorerPlugin();
  const defaultTabs = config.examples.map(function (example) {
    return {
      query: example.query,
      variables: Object.keys(example.variables).length
        ? JSON.stringify(example.variables, null, 2)
        : undefined,
    };
  });
  const root = ReactDOM.createRoot(document.getElementById("graphiql"));
  root.render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultTabs: defaultTabs,
      defaultEditorToolsVisibility: true,
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: false,
      inputValueDeprecation: true,
      plugins: [explorer],
    }),
  );
})();
