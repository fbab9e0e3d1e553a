// Starts GraphiQL with the endpoint and analyst examples the page carries as JSON.
// A file of its own (not inline) so the page's Content-Security-Policy can be script-src 'self'.
(function () {
  const config = JSON.parse(document.getElementById("cdp-graphiql-config").textContent);
  // Subscriptions go over a WebSocket to the same endpoint (graphql-transport-ws); GraphiQL
  // sends the Headers editor's values (the Authorization header) as connection_init's payload.
  const socket = (location.protocol === "https:" ? "wss://" : "ws://") + location.host;
  const fetcher = GraphiQL.createFetcher({
    url: config.endpoint,
    subscriptionUrl: socket + config.endpoint,
  });
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
